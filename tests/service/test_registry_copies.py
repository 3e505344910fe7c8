"""Deleted means gone: a registry copy lives as long as a version references it (issue 8).

On SQLite always, and on PostgreSQL and MariaDB when ``MODELREG_TEST_BACKENDS`` names
them (the ``registry`` fixture's database is parametrised).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from modelreg.errors import NotFound
from modelreg.service import RegistryService
from modelreg.service.registry.versions import ModelVersions
from modelreg.store.copies import CopyStore
from modelreg.store.registry import RegistryStore
from modelreg.store.tables import registry_copies


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: {}\n")
    return folder


def _copies(artifact_root: Path) -> list[str]:
    folder = artifact_root / "_registry"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_deleting_the_only_version_removes_its_copy(
    registry: RegistryService, model_dir: Path, artifact_root: Path
) -> None:
    registry.create_registered_model("m")
    registry.create_model_version("m", str(model_dir))
    assert len(_copies(artifact_root)) == 1
    registry.delete_model_version("m", 1)
    assert _copies(artifact_root) == []


def test_a_shared_copy_lives_until_its_last_version_is_deleted(
    registry: RegistryService, model_dir: Path, artifact_root: Path
) -> None:
    registry.create_registered_model("a")
    registry.create_registered_model("b")
    registry.create_model_version("a", str(model_dir))
    registry.create_model_version("b", "models:/a/1")  # shares a/1's copy
    registry.create_model_version("a", "models:/a/1")
    (copy,) = _copies(artifact_root)
    registry.delete_model_version("a", 1)
    registry.delete_model_version("a", 2)
    assert _copies(artifact_root) == [copy]
    assert registry.get_model_version_manifest("b", 1) == {
        "MLmodel": registry.get_model_version_manifest("b", 1)["MLmodel"]  # type: ignore[index]
    }
    registry.delete_registered_model("b")
    assert _copies(artifact_root) == []


def test_deleting_a_model_removes_every_copy_of_its_versions(
    registry: RegistryService, model_dir: Path, artifact_root: Path
) -> None:
    registry.create_registered_model("m")
    for _ in range(3):
        registry.create_model_version("m", str(model_dir))
    assert len(_copies(artifact_root)) == 3
    registry.delete_registered_model("m")
    assert _copies(artifact_root) == []
    with registry.db.read() as conn:
        assert CopyStore(conn).is_orphan("_registry/none", reserved_before=0)


def test_a_registration_racing_the_deletion_of_its_source_is_refused(
    registry: RegistryService,
    model_dir: Path,
    artifact_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The source version's last reference goes between the registration's read of it
    and its write: the copy is gone, and the new version must not point at it."""
    registry.create_registered_model("a")
    registry.create_registered_model("b")
    registry.create_model_version("a", str(model_dir))
    original = ModelVersions._from_registered_version

    def then_delete(self: ModelVersions, *args: object, **kwargs: object) -> object:
        prepared = original(self, *args, **kwargs)  # type: ignore[arg-type]
        # Another caller (its own connection) deletes it and commits meanwhile.
        other = threading.Thread(target=registry.delete_model_version, args=("a", 1))
        other.start()
        other.join()
        return prepared

    monkeypatch.setattr(ModelVersions, "_from_registered_version", then_delete)
    with pytest.raises(NotFound, match="are gone"):
        registry.create_model_version("b", "models:/a/1")
    assert _copies(artifact_root) == []
    assert registry.search_model_versions("name = 'b'") == []


def test_a_failed_registration_leaves_no_copy_and_no_row(
    registry: RegistryService,
    model_dir: Path,
    artifact_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(NotFound):
        registry.create_model_version("missing", str(model_dir))
    assert _copies(artifact_root) == []
    registry.create_registered_model("m")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("insert failed")

    monkeypatch.setattr(RegistryStore, "insert_version", broken)
    with pytest.raises(RuntimeError):
        registry.create_model_version("m", str(model_dir))
    assert _copies(artifact_root) == []
    with registry.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(registry_copies)).scalar() == 0
