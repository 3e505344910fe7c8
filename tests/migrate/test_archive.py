"""`modelreg export` → `modelreg import`: every row and file survives, on every backend."""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from modelreg.artifacts import open_artifact_store
from modelreg.cli import main
from modelreg.config import Settings
from modelreg.errors import InvalidArgument
from modelreg.migrate.archive import export_archive, import_archive, walk_files
from modelreg.service.assembly import build_services
from modelreg.store.database import Database
from modelreg.store.tables import metadata
from tests.migrate.populate import populate


def _all_rows(uri: str) -> dict[str, list[tuple[Any, ...]]]:
    database = Database(uri)
    try:
        with database.read() as conn:
            return {
                table.name: [
                    tuple(row)
                    for row in conn.execute(select(table).order_by(*table.primary_key.columns))
                ]
                for table in metadata.sorted_tables
            }
    finally:
        database.dispose()


def _files(root: Path) -> dict[str, str]:
    store = open_artifact_store(str(root))
    return {
        path: hashlib.sha256(b"".join(store.iter_read(path))).hexdigest()
        for path, _ in walk_files(store)
    }


@pytest.fixture
def source(sqlite_template: Path, tmp_path: Path) -> tuple[str, Path]:
    # Its own file: on SQLite, `database_uri` (the import's target) is `sqlite_uri`.
    shutil.copy(sqlite_template, tmp_path / "source.db")
    sqlite_uri = f"sqlite:///{tmp_path / 'source.db'}"
    root = tmp_path / "source-artifacts"
    services = build_services(Settings(tracking_uri=sqlite_uri, artifact_root=str(root)))
    populate(services, str(root))
    services.db.dispose()
    return sqlite_uri, root


@pytest.mark.parametrize("form", ["folder", "tar", "tar.gz"])
def test_round_trip_is_lossless(
    source: tuple[str, Path], database_uri: str, tmp_path: Path, form: str
) -> None:
    source_uri, source_root = source
    target = str(tmp_path / "backup") + ("" if form == "folder" else f".{form}")
    db = Database(source_uri)
    exported = export_archive(db, open_artifact_store(str(source_root)), target)
    db.dispose()
    assert exported.tables["run_metrics"] == 66
    # 3 runs x 2 files, 3 logged models x 1, 2 registry copies x 2 (the deleted
    # version's copy went with it)
    assert exported.files == 13
    target_root = tmp_path / "target-artifacts"
    target_db = Database(database_uri)
    imported = import_archive(target_db, open_artifact_store(str(target_root)), target)
    target_db.dispose()
    assert imported.tables == exported.tables
    assert imported.files == exported.files and imported.bytes == exported.bytes

    before, after = _all_rows(source_uri), _all_rows(database_uri)
    for name, rows in before.items():
        assert after[name] == rows, name
    # Every kind of row took part, but the MLflow import's own state and the webhook
    # worker's deliveries (tests/webhooks covers those).
    unfilled = {"import_state", "webhook_deliveries", "webhook_attempts"}
    assert {name for name, rows in before.items() if not rows} <= unfilled
    assert _files(target_root) == _files(source_root)


def test_imported_registry_keeps_working(
    source: tuple[str, Path], database_uri: str, tmp_path: Path
) -> None:
    """New ids continue after the imported ones (PostgreSQL sequences included)."""
    source_uri, source_root = source
    db = Database(source_uri)
    export_archive(db, open_artifact_store(str(source_root)), str(tmp_path / "a.tar"))
    db.dispose()
    root = tmp_path / "target-artifacts"
    target = Database(database_uri)
    import_archive(target, open_artifact_store(str(root)), str(tmp_path / "a.tar"))
    services = build_services(
        Settings(tracking_uri=database_uri, artifact_root=str(root)), database=target
    )
    version = services.registry.create_model_version("fraud-model", "s3://bucket/elsewhere")
    assert version.version == "4"  # after the deleted 3
    services.registry.create_registered_model("another")
    assert services.tracking.create_experiment("third") == "3"
    manifest = services.registry.get_model_version_manifest("fraud-model", 1)
    assert manifest is not None and set(manifest) == {"MLmodel", "model.pkl"}
    events = services.registry.list_events(after_id=0, limit=1000)
    assert len({event.id for event in events}) == len(events)
    target.dispose()


def test_import_refuses_a_database_in_use(
    source: tuple[str, Path], sqlite_template: Path, tmp_path: Path
) -> None:
    source_uri, source_root = source
    db = Database(source_uri)
    export_archive(db, open_artifact_store(str(source_root)), str(tmp_path / "a"))
    with pytest.raises(InvalidArgument, match="not empty"):
        import_archive(db, open_artifact_store(str(source_root)), str(tmp_path / "a"))
    db.dispose()


def test_a_damaged_file_is_reported(source: tuple[str, Path], tmp_path: Path) -> None:
    source_uri, source_root = source
    db = Database(source_uri)
    export_archive(db, open_artifact_store(str(source_root)), str(tmp_path / "a"))
    db.dispose()
    victim = next((tmp_path / "a" / "files").rglob("model.pkl"))
    victim.write_bytes(b"changed")
    target = Database(f"sqlite:///{tmp_path / 'new.db'}")
    with pytest.raises(Exception, match="checksum differs"):
        import_archive(target, open_artifact_store(str(tmp_path / "t")), str(tmp_path / "a"))
    target.dispose()


def test_the_tar_starts_with_its_header(source: tuple[str, Path], tmp_path: Path) -> None:
    source_uri, source_root = source
    db = Database(source_uri)
    export_archive(db, open_artifact_store(str(source_root)), str(tmp_path / "a.tar"))
    db.dispose()
    with tarfile.open(tmp_path / "a.tar") as tar:
        names = tar.getnames()
        header = json.loads(tar.extractfile(names[0]).read())  # type: ignore[union-attr]
    assert names[0] == "format.json" and names[-1] == "summary.json"
    assert header["format"] == "modelreg-archive" and header["format_version"] == 1
    assert names.index("tables/events.jsonl") < names.index("files.jsonl")


def test_cli_export_then_import(source: tuple[str, Path], tmp_path: Path) -> None:
    source_uri, source_root = source
    runner = CliRunner()
    out = runner.invoke(
        main,
        [
            "export",
            "--to",
            str(tmp_path / "b.tar"),
            "--backend-store-uri",
            source_uri,
            "--artifacts-destination",
            str(source_root),
        ],
    )
    assert out.exit_code == 0, out.output
    assert "files" in out.output
    target_uri = f"sqlite:///{tmp_path / 'fresh' / 'registry.db'}"
    (tmp_path / "fresh").mkdir()
    out = runner.invoke(
        main,
        [
            "import",
            "--from",
            str(tmp_path / "b.tar"),
            "--backend-store-uri",
            target_uri,
            "--artifacts-destination",
            str(tmp_path / "fresh" / "artifacts"),
        ],
    )
    assert out.exit_code == 0, out.output
    assert _all_rows(target_uri) == _all_rows(source_uri)
    again = runner.invoke(
        main, ["import", "--from", str(tmp_path / "b.tar"), "--backend-store-uri", target_uri]
    )
    assert again.exit_code == 1 and "not empty" in again.output
