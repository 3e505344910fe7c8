"""``modelreg events verify``: exit 0 on intact chains, 2 with the first broken link named."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import update

from modelreg.cli import main
from modelreg.service import RegistryService
from modelreg.store.database import Database
from modelreg.store.tables import events


def test_verify_names_the_broken_link(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'registry.db'}"
    db = Database(uri)
    service = RegistryService(db, actor="alice")
    service.create_registered_model("churn")
    service.create_model_version("churn", "s3://b/m")
    runner = CliRunner()
    ok = runner.invoke(main, ["events", "verify", "--backend-store-uri", uri])
    assert ok.exit_code == 0, ok.output
    assert "Checked 2 events in 1 chains." in ok.output and "All chains verify." in ok.output
    edited = service.search_events()[1].id
    with db.write() as conn:
        conn.execute(update(events).where(events.c.id == edited).values(actor="mallory"))
    db.dispose()
    broken = runner.invoke(
        main, ["events", "verify", "--name", "churn", "--backend-store-uri", uri]
    )
    assert broken.exit_code == 2
    assert f"BROKEN: model 'churn' (id 1) at event {edited}:" in broken.output
    assert "the row was edited" in broken.output
    missing = runner.invoke(
        main, ["events", "verify", "--name", "nope", "--backend-store-uri", uri]
    )
    assert missing.exit_code == 1 and "not found" in missing.output
