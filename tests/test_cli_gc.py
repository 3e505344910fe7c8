"""``modelreg gc``: orphaned registry copies, a dry run by default (issue 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from modelreg.cli import main
from modelreg.config import Settings
from modelreg.service.assembly import build_services
from modelreg.service.registry_gc import find_orphans, remove_orphans
from modelreg.store.copies import CopyStore


@pytest.fixture
def setup(sqlite_uri: str, tmp_path: Path) -> tuple[list[str], Path]:
    """A registry with one referenced copy and two orphans (pre-0005 deletions)."""
    root = tmp_path / "artifacts"
    model = tmp_path / "model"
    model.mkdir()
    (model / "MLmodel").write_text("flavors: {}\n")
    services = build_services(Settings(tracking_uri=sqlite_uri, artifact_root=str(root)))
    services.registry.create_registered_model("m")
    services.registry.create_model_version("m", str(model))
    for orphan in ("dead1", "dead2"):
        (root / "_registry" / orphan / "sub").mkdir(parents=True)
        (root / "_registry" / orphan / "sub" / "w.bin").write_bytes(b"x" * 3000)
    services.db.dispose()
    return ["--backend-store-uri", sqlite_uri, "--artifacts-destination", str(root)], root


def _copies(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "_registry").iterdir())


def test_a_dry_run_lists_what_would_be_freed_and_deletes_nothing(
    setup: tuple[list[str], Path],
) -> None:
    args, root = setup
    before = _copies(root)
    result = CliRunner().invoke(main, ["gc", *args])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:2] == [
        "would free _registry/dead1  1 files  2.9 KiB",
        "would free _registry/dead2  1 files  2.9 KiB",
    ]
    assert "2 orphaned copies, 5.9 KiB would free." in lines
    assert _copies(root) == before


def test_apply_deletes_orphans_and_never_a_referenced_copy(
    setup: tuple[list[str], Path],
) -> None:
    args, root = setup
    result = CliRunner().invoke(main, ["gc", *args, "--apply"])
    assert result.exit_code == 0, result.output
    assert "freed _registry/dead1" in result.output
    (kept,) = _copies(root)
    assert kept not in ("dead1", "dead2")
    again = CliRunner().invoke(main, ["gc", *args])
    assert "0 orphaned copies" in again.output


def test_a_copy_referenced_after_the_dry_run_is_kept(sqlite_uri: str, tmp_path: Path) -> None:
    """Checked again in the transaction that removes it: a copy that got a reference
    (or a reservation) since it was found is not deleted."""
    root = tmp_path / "artifacts"
    services = build_services(Settings(tracking_uri=sqlite_uri, artifact_root=str(root)))
    (root / "_registry" / "x").mkdir(parents=True)
    store = services.artifacts.store
    orphans = find_orphans(services.db, store, reserved_before=1000)
    assert [o.location for o in orphans] == ["_registry/x"]
    with services.db.write() as conn:
        CopyStore(conn).reserve("_registry/x", now=5000)  # a registration is making it
    assert remove_orphans(services.db, store, orphans, reserved_before=1000) == []
    assert (root / "_registry" / "x").is_dir()
    # A reservation older than the grace period is a dead registration's.
    assert [o.location for o in remove_orphans(services.db, store, orphans, 10_000)] == [
        "_registry/x"
    ]
    assert not (root / "_registry" / "x").exists()
    services.db.dispose()
