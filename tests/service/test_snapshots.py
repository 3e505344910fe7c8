"""Registered versions own a copy of their files, hashed at registration."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from modelreg.errors import Conflict, InvalidArgument
from modelreg.service import RegistryService
from modelreg.service.artifact_locations import ArtifactLocations
from modelreg.service.snapshots import open_snapshotter
from modelreg.service.tracking import TrackingService
from modelreg.store.database import Database
from modelreg.store.registry import RegistryStore


def _write_model(folder: Path, payload: bytes = b"weights") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "MLmodel").write_text("flavors: {}\n")
    (folder / "sub").mkdir(exist_ok=True)
    (folder / "sub" / "model.bin").write_bytes(payload)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_runs_source_is_copied_and_hashed(
    registry: RegistryService, tracking: TrackingService, artifact_root: Path
) -> None:
    run = tracking.create_run()
    run_dir = Path(run.info.artifact_uri) / "model"
    _write_model(run_dir)
    registry.create_registered_model("m")
    version = registry.create_model_version("m", f"runs:/{run.info.run_id}/model")
    assert version.run_id == run.info.run_id
    manifest = registry.get_model_version_manifest("m", 1)
    assert manifest == {"MLmodel": _sha(b"flavors: {}\n"), "sub/model.bin": _sha(b"weights")}
    download = Path(registry.get_model_version_download_uri("m", 1))
    assert download.parent == artifact_root / "_registry"
    # Overwriting or deleting the run's files cannot change the registered version.
    (run_dir / "sub" / "model.bin").write_bytes(b"tampered")
    (run_dir / "MLmodel").unlink()
    assert (download / "sub" / "model.bin").read_bytes() == b"weights"
    assert (download / "MLmodel").is_file()


def test_logged_model_source(registry: RegistryService, tracking: TrackingService) -> None:
    run = tracking.create_run()
    logged = tracking.create_logged_model("0", "model", run.info.run_id)
    _write_model(Path(logged.artifact_location), b"v1")
    registry.create_registered_model("m")
    version = registry.create_model_version(
        "m", f"models:/{logged.model_id}", model_id=logged.model_id
    )
    assert (version.run_id, version.model_id) == (run.info.run_id, logged.model_id)
    manifest = registry.get_model_version_manifest("m", 1)
    assert manifest is not None and manifest["sub/model.bin"] == _sha(b"v1")
    with pytest.raises(InvalidArgument, match="does not match"):
        registry.create_model_version("m", f"models:/{logged.model_id}", model_id="m-other")


def test_local_folder_is_copied_when_embedded(registry: RegistryService, tmp_path: Path) -> None:
    folder = tmp_path / "outside"
    _write_model(folder)
    registry.create_registered_model("m")
    registry.create_model_version("m", str(folder))
    registry.create_model_version("m", folder.as_uri())
    assert registry.get_model_version_manifest("m", 1) == registry.get_model_version_manifest(
        "m", 2
    )
    with pytest.raises(InvalidArgument, match="not an existing directory"):
        registry.create_model_version("m", str(tmp_path / "missing"))


def test_server_refuses_local_paths_outside_its_store(
    db: Database, artifact_root: Path, tmp_path: Path
) -> None:
    locations = ArtifactLocations(root=str(artifact_root), allow_external=False)
    server = RegistryService(db, snapshotter=open_snapshotter(locations, str(artifact_root)))
    server.create_registered_model("m")
    for source in ("/etc", "file:///etc/passwd", str(tmp_path)):
        with pytest.raises(InvalidArgument, match="cannot be registered"):
            server.create_model_version("m", source)
    assert server.search_model_versions("name='m'") == []


def test_external_sources_are_references(registry: RegistryService) -> None:
    registry.create_registered_model("m")
    registry.create_model_version("m", "s3://other-bucket/model")
    assert registry.get_model_version_manifest("m", 1) is None
    assert registry.get_model_version_download_uri("m", 1) == "s3://other-bucket/model"


def test_copies_share_the_original_snapshot(
    registry: RegistryService, tracking: TrackingService
) -> None:
    run = tracking.create_run()
    _write_model(Path(run.info.artifact_uri) / "model")
    registry.create_registered_model("src")
    registry.create_model_version("src", f"runs:/{run.info.run_id}/model")
    copied = registry.copy_model_version("models:/src/1", "dst")
    assert registry.get_model_version_download_uri(
        "dst", copied.version
    ) == registry.get_model_version_download_uri("src", 1)
    assert registry.get_model_version_manifest("dst", 1) == registry.get_model_version_manifest(
        "src", 1
    )


def test_failed_create_leaves_no_copy(
    registry: RegistryService,
    tracking: TrackingService,
    artifact_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = tracking.create_run()
    _write_model(Path(run.info.artifact_uri) / "model")
    registry.create_registered_model("m")

    def fail(*args: object, **kwargs: object) -> None:
        raise Conflict("simulated failure after the copy was made")

    monkeypatch.setattr(RegistryStore, "set_version_tags", fail)
    with pytest.raises(Conflict):
        registry.create_model_version("m", f"runs:/{run.info.run_id}/model")
    monkeypatch.undo()
    assert registry.search_model_versions("name='m'") == []
    registry_dir = artifact_root / "_registry"
    assert not registry_dir.exists() or list(registry_dir.iterdir()) == []
