"""Sources and lineage that point at other people's work are refused (issue 8).

Each case was accepted before (mlflow 3.18 refuses the traversal and host cases with
400 ``INVALID_PARAMETER_VALUE`` too). On SQLite, and on PostgreSQL and MariaDB when
``MODELREG_TEST_BACKENDS`` names them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from modelreg.config import Settings
from modelreg.errors import InvalidArgument, NotFound, PermissionDenied
from modelreg.limits import CopyLimits
from modelreg.principal import Principal
from modelreg.service import RegistryService
from modelreg.service.access import AllowAll
from modelreg.service.artifact_locations import ArtifactLocations
from modelreg.service.assembly import Services, build_services
from modelreg.service.auth import GrantPolicy
from modelreg.service.auth.access import GrantAccess
from modelreg.service.snapshots import open_snapshotter
from modelreg.service.tracking import TrackingService
from modelreg.store.database import Database
from modelreg.store.tables import registry_copies


@pytest.fixture
def run_dirs(tracking: TrackingService, artifact_root: Path) -> tuple[str, str]:
    """Two runs in two experiments, each with a model folder in its artifacts."""
    ids = []
    for name in ("mine", "theirs"):
        experiment = tracking.create_experiment(name)
        run = tracking.create_run(experiment)
        folder = artifact_root / run.info.artifact_uri / "model"
        folder.mkdir(parents=True)
        (folder / "MLmodel").write_text("flavors: {}\n")
        ids.append(run.info.run_id)
    return ids[0], ids[1]


@pytest.mark.parametrize(
    "source",
    [
        "http://host/models/../../../etc",
        "s3a://bucket/models/../../other",
        "dbfs:/databricks/mlflow/a%3f/../../other",
        "dbfs:/x/%2e%2e/y",
        "s3://b/%252e%252e/y",
        "C:\\models\\..\\secrets",
        "mlflow-artifacts://other-host:9000/1/run/artifacts/model",
        "mlflow-artifacts:/_registry/0123456789abcdef",
        "mlflow-artifacts:/_model-versions/m/1",
        "_registry/0123456789abcdef",
    ],
)
def test_hostile_sources_are_refused(registry: RegistryService, source: str) -> None:
    registry.create_registered_model("m")
    with pytest.raises(InvalidArgument, match="Invalid model version source"):
        registry.create_model_version("m", source)


def test_four_dots_are_a_name_not_a_traversal(registry: RegistryService) -> None:
    registry.create_registered_model("m")
    assert registry.create_model_version("m", "s3://b/artifact/..../model").version == "1"


def test_a_local_path_into_the_registry_copies_is_refused(
    registry: RegistryService, artifact_root: Path
) -> None:
    copy = artifact_root / "_registry" / "abc"
    copy.mkdir(parents=True)
    registry.create_registered_model("m")
    with pytest.raises(InvalidArgument, match="copies of model versions cannot be a source"):
        registry.create_model_version("m", str(copy))


def test_run_ids_must_exist_and_hold_the_source(
    registry: RegistryService, run_dirs: tuple[str, str]
) -> None:
    mine, theirs = run_dirs
    registry.create_registered_model("m")
    with pytest.raises(InvalidArgument, match="no run has this id"):
        registry.create_model_version("m", "s3://b/model", run_id="0" * 32)
    with pytest.raises(InvalidArgument, match="no run has this id"):
        registry.create_model_version("m", f"runs:/{'0' * 32}/model")
    with pytest.raises(InvalidArgument, match="run_id request parameter"):
        registry.create_model_version("m", f"runs:/{theirs}/model", run_id=mine)
    # Another run's files, named by the artifact proxy, under my run_id.
    with pytest.raises(InvalidArgument, match="inside the artifacts of run"):
        registry.create_model_version(
            "m", f"mlflow-artifacts:/2/{theirs}/artifacts/model", run_id=mine
        )
    created = registry.create_model_version("m", f"runs:/{mine}/model", run_id=mine)
    assert created.run_id == mine


class _Deny(AllowAll):
    def may_read_model(self, principal: Principal, name: str) -> bool:
        return name != "b"

    def may_read_experiment(self, principal: Principal, experiment_id: str) -> bool:
        return experiment_id != "2"


def test_models_and_runs_the_caller_may_not_read_are_refused(
    registry: RegistryService, run_dirs: tuple[str, str]
) -> None:
    mine, theirs = run_dirs
    registry.create_registered_model("a")
    registry.create_registered_model("b")
    registry.create_model_version("b", f"runs:/{theirs}/model")
    guarded = RegistryService(
        registry.db, actor="mallory", snapshotter=registry.snapshotter, access=_Deny()
    )
    assert guarded.as_actor("eve").access is guarded.access
    with pytest.raises(PermissionDenied, match="registered model 'b'"):
        guarded.create_model_version("a", "models:/b/1")
    with pytest.raises(PermissionDenied, match="read run"):
        guarded.create_model_version("a", f"runs:/{theirs}/model")
    assert guarded.create_model_version("a", f"runs:/{mine}/model").version == "1"


class _DenyStore(_Deny):
    def may_read_store(self, principal: Principal) -> bool:
        return False


def test_a_path_into_the_store_is_checked_like_the_run_it_names(
    registry: RegistryService, run_dirs: tuple[str, str], artifact_root: Path
) -> None:
    # ``2/<run>/artifacts/model`` (or the store's own path to it) names the files of
    # experiment 2 as surely as runs:/ does: the caller must be allowed to read them.
    mine, theirs = run_dirs
    registry.create_registered_model("a")
    guarded = RegistryService(
        registry.db, actor="mallory", snapshotter=registry.snapshotter, access=_DenyStore()
    )
    theirs_path = f"2/{theirs}/artifacts/model"
    for source in (
        theirs_path,
        f"{artifact_root}/{theirs_path}",
        f"{artifact_root.as_uri()}/{theirs_path}",
    ):
        with pytest.raises(PermissionDenied, match="experiment 2"):
            guarded.create_model_version("a", source)
    (artifact_root / "loose").mkdir()
    (artifact_root / "loose" / "MLmodel").write_text("flavors: {}\n")
    with pytest.raises(PermissionDenied, match="'loose'"):
        guarded.create_model_version("a", "loose")
    assert guarded.create_model_version("a", f"1/{mine}/artifacts/model").version == "1"


def test_a_logged_model_the_caller_may_not_read_is_refused(
    registry: RegistryService, tracking: TrackingService
) -> None:
    registry.create_registered_model("a")
    tracking.create_experiment("one")
    other = tracking.create_experiment("two")
    logged = tracking.create_logged_model(other, name="lm")
    guarded = RegistryService(
        registry.db, actor="mallory", snapshotter=registry.snapshotter, access=_Deny()
    )
    with pytest.raises(PermissionDenied, match="logged model"):
        guarded.create_model_version("a", f"models:/{logged.model_id}")


def test_with_grants_read_access_comes_from_them(sqlite_uri: str, tmp_path: Path) -> None:
    settings = Settings(tracking_uri=sqlite_uri, artifact_root=str(tmp_path / "artifacts"))
    plain = build_services(settings)
    assert not isinstance(plain.registry.access, GrantAccess)
    plain.db.dispose()
    services = build_services(settings, grants=GrantPolicy())
    access = services.registry.access
    assert isinstance(access, GrantAccess)
    alice = Principal("alice", authenticated=True)
    services.auth.create_user("alice", "alice-Pass-123!")
    services.registry.as_actor(alice).create_registered_model("m")
    services.auth.grant_creator(alice, "registered_model", "m")
    assert access.may_read_model(alice, "m")
    assert not access.may_read_model(Principal("bob", authenticated=True), "m")
    assert access.may_read_model(Principal("root", authenticated=True, is_admin=True), "m")
    assert not access.may_read_store(alice)
    assert not access.may_read_experiment(alice, "not-a-number")
    services.db.dispose()


@pytest.fixture
def served(sqlite_uri: str, artifact_root: Path) -> Iterator[Services]:
    """The services as ``modelreg server`` builds them, with no option given."""
    services = build_services(Settings(sqlite_uri, str(artifact_root)).served())
    yield services
    services.db.dispose()


def _served_run(services: Services, artifact_root: Path, experiment: str = "e") -> str:
    """A run on the served store with a model folder at ``model`` in its artifacts."""
    run = services.tracking.create_run(services.tracking.create_experiment(experiment))
    relative = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    folder = artifact_root / relative / "model"
    folder.mkdir(parents=True)
    (folder / "MLmodel").write_text("flavors: {}\n")
    return run.info.run_id


@pytest.mark.parametrize(
    ("source", "named"),
    [
        ("http://attacker.example/model", "'http' URI"),
        ("https://example.com/models/churn", "'https' URI"),
        ("s3://another-teams-bucket/model", "'s3' URI"),
        ("gs://b/model", "'gs' URI"),
        ("C:\\models\\churn", "Windows path"),
    ],
)
def test_a_server_stores_no_external_reference_by_default(
    served: Services, source: str, named: str
) -> None:
    registry = served.registry
    registry.create_registered_model("m")
    with pytest.raises(InvalidArgument) as refused:
        registry.create_model_version("m", source)
    message = refused.value.message
    assert f"Invalid model version source: '{source}'" in message
    assert named in message
    assert "external references: none" in message
    assert "--allowed-source-schemes" in message
    assert registry.search_model_versions("name = 'm'") == []


def test_a_server_stores_the_schemes_it_was_configured_for(
    sqlite_uri: str, artifact_root: Path
) -> None:
    settings = Settings(sqlite_uri, str(artifact_root), allowed_source_schemes=frozenset({"s3"}))
    services = build_services(settings.served())
    try:
        registry = services.registry
        registry.create_registered_model("m")
        stored = registry.create_model_version("m", "s3://bucket/model")
        assert registry.get_model_version_download_uri("m", stored.version) == "s3://bucket/model"
        with pytest.raises(InvalidArgument, match="external references: s3\\. "):
            registry.create_model_version("m", "https://example.com/model")
    finally:
        services.db.dispose()


def test_sources_the_server_copies_need_no_scheme_allowed(
    served: Services, artifact_root: Path
) -> None:
    run_id = _served_run(served, artifact_root)
    artifacts = served.tracking.get_run(run_id).info.artifact_uri
    registry = served.registry
    registry.create_registered_model("m")
    registry.create_model_version("m", f"runs:/{run_id}/model")
    registry.create_model_version("m", f"{artifacts}/model", run_id=run_id)
    registry.create_model_version("m", artifacts.removeprefix("mlflow-artifacts:/") + "/model")
    registry.create_model_version("m", "models:/m/1")
    versions = registry.search_model_versions("name = 'm'")
    assert len(versions) == 4
    assert all(registry.get_model_version_manifest("m", v.version) for v in versions)


def test_the_embedded_client_keeps_references_and_local_paths(
    registry: RegistryService, tmp_path: Path
) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: {}\n")
    registry.create_registered_model("m")
    assert registry.create_model_version("m", "https://example.com/model").version == "1"
    assert registry.create_model_version("m", str(folder)).version == "2"
    assert registry.get_model_version_manifest("m", 2) is not None


def _copies(artifact_root: Path) -> list[Path]:
    folder = artifact_root / "_registry"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_a_source_must_be_a_model_directory(served: Services, artifact_root: Path) -> None:
    run_id = _served_run(served, artifact_root)
    artifacts = served.tracking.get_run(run_id).info.artifact_uri  # mlflow-artifacts:/…
    experiment = artifacts.removeprefix("mlflow-artifacts:/").split("/")[0]
    loose = artifact_root / "loose" / "model"
    loose.mkdir(parents=True)
    (loose / "MLmodel").write_text("flavors: {}\n")
    registry = served.registry
    registry.create_registered_model("m")
    for source in (
        f"mlflow-artifacts:/{experiment}",  # a whole experiment in one request
        "mlflow-artifacts:/",  # the whole store
        experiment,
        artifacts.removesuffix("/artifacts"),  # the run's folder, not its artifacts
        "mlflow-artifacts:/loose",
    ):
        with pytest.raises(InvalidArgument, match="A source must be a model directory"):
            registry.create_model_version("m", source)
    assert _copies(artifact_root) == []
    assert registry.search_model_versions("name = 'm'") == []
    # An MLmodel at its root, or anything inside a run's artifacts, is a model.
    assert registry.create_model_version("m", "mlflow-artifacts:/loose/model").version == "1"
    assert registry.create_model_version("m", artifacts).version == "2"
    assert registry.create_model_version("m", f"runs:/{run_id}").version == "3"


def test_the_embedded_client_copies_only_model_folders(
    registry: RegistryService, tmp_path: Path
) -> None:
    (tmp_path / "home" / "notes.txt").parent.mkdir()
    (tmp_path / "home" / "notes.txt").write_text("not a model")
    registry.create_registered_model("m")
    with pytest.raises(InvalidArgument, match="A source must be a model directory"):
        registry.create_model_version("m", str(tmp_path / "home"))


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (CopyLimits(max_files=2), r"it holds 3 files \(25 bytes\), more than one registration"),
        (CopyLimits(max_bytes=20), r"it holds 3 files \(25 bytes\), more than one registration"),
    ],
)
def test_a_copy_is_bounded_and_a_refused_one_leaves_nothing(
    sqlite_uri: str, artifact_root: Path, limits: CopyLimits, message: str
) -> None:
    services = build_services(Settings(sqlite_uri, str(artifact_root), copy_limits=limits).served())
    try:
        run_id = _served_run(services, artifact_root)
        folder = artifact_root / services.tracking.get_run(run_id).info.artifact_uri.removeprefix(
            "mlflow-artifacts:/"
        )
        (folder / "model" / "a.bin").write_bytes(b"12345678")
        (folder / "model" / "b.bin").write_bytes(b"12345")  # 12 + 8 + 5 = 25 bytes
        registry = services.registry
        registry.create_registered_model("m")
        with pytest.raises(InvalidArgument, match=message) as refused:
            registry.create_model_version("m", f"runs:/{run_id}/model")
        assert "MODELREG_MAX_COPY_FILES" in refused.value.message
        assert _copies(artifact_root) == []
        assert registry.search_model_versions("name = 'm'") == []
        with services.db.read() as conn:
            assert conn.execute(select(func.count()).select_from(registry_copies)).scalar() == 0
    finally:
        services.db.dispose()


def test_an_embedded_local_folder_is_bounded_too(
    db: Database, artifact_root: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    for index in range(4):
        (folder / f"f{index}").write_text("x")
    (folder / "MLmodel").write_text("flavors: {}\n")
    locations = ArtifactLocations(str(artifact_root), allow_external=True)
    snapshotter = open_snapshotter(locations, str(artifact_root), CopyLimits(max_files=3))
    registry = RegistryService(db, snapshotter=snapshotter)
    registry.create_registered_model("m")
    with pytest.raises(InvalidArgument, match="it holds more than 3 files"):
        registry.create_model_version("m", str(folder))
    assert _copies(artifact_root) == []


def _served_logged_model(services: Services, artifact_root: Path, run_id: str) -> str:
    """A logged model of ``run_id`` with an MLmodel in its artifacts."""
    run = services.tracking.get_run(run_id)
    logged = services.tracking.create_logged_model(
        run.info.experiment_id, "model", source_run_id=run_id
    )
    folder = artifact_root / logged.artifact_location.removeprefix("mlflow-artifacts:/")
    folder.mkdir(parents=True)
    (folder / "MLmodel").write_text("flavors: {}\n")
    return logged.model_id


def test_a_model_id_must_exist_and_hold_the_source(served: Services, artifact_root: Path) -> None:
    mine = _served_run(served, artifact_root, "mine")
    theirs = _served_run(served, artifact_root, "theirs")
    my_model = _served_logged_model(served, artifact_root, mine)
    their_model = _served_logged_model(served, artifact_root, theirs)
    my_files = served.tracking.get_run(mine).info.artifact_uri + "/model"
    registry = served.registry
    registry.create_registered_model("m")
    with pytest.raises(NotFound, match="^Logged model with ID 'm-nope' not found.$"):
        registry.create_model_version("m", my_files, model_id="m-nope")
    # My files, claimed as another run's logged model (whose tag would record it).
    with pytest.raises(
        InvalidArgument, match=f"inside the artifacts of logged model '{their_model}'"
    ):
        registry.create_model_version("m", my_files, model_id=their_model)
    with pytest.raises(InvalidArgument, match=f"logged by run '{theirs}', not by run '{mine}'"):
        registry.create_model_version("m", f"runs:/{mine}/model", model_id=their_model)
    with pytest.raises(InvalidArgument, match=f"logged by run '{theirs}', not by run '{mine}'"):
        registry.create_model_version("m", f"models:/{their_model}", run_id=mine)
    assert _copies(artifact_root) == []
    assert "mlflow.modelVersions" not in served.tracking.get_logged_model(their_model).tags
    # The model's own artifacts, or its run's, with or without the run_id.
    logged_files = served.tracking.get_logged_model(my_model).artifact_location
    registry.create_model_version("m", logged_files, model_id=my_model, run_id=mine)
    registry.create_model_version("m", my_files, model_id=my_model)
    registry.create_model_version("m", f"runs:/{mine}/model", model_id=my_model)
    assert [v.model_id for v in registry.search_model_versions("name = 'm'")] == [my_model] * 3


def test_a_logged_model_the_caller_may_not_read_is_refused_with_any_source(
    served: Services, artifact_root: Path
) -> None:
    theirs = _served_run(served, artifact_root)
    their_model = _served_logged_model(served, artifact_root, theirs)
    served.registry.create_registered_model("a")
    experiment = served.tracking.get_run(theirs).info.experiment_id

    class _DenyTheirs(AllowAll):
        def may_read_experiment(self, principal: Principal, experiment_id: str) -> bool:
            return experiment_id != experiment

    guarded = RegistryService(
        served.db, actor="mallory", snapshotter=served.registry.snapshotter, access=_DenyTheirs()
    )
    with pytest.raises(PermissionDenied, match=f"read logged model '{their_model}'"):
        guarded.create_model_version("a", f"models:/{their_model}")
    with pytest.raises(PermissionDenied, match=f"read logged model '{their_model}'"):
        guarded.create_model_version("a", "s3://b/m", model_id=their_model)
    assert "mlflow.modelVersions" not in served.tracking.get_logged_model(their_model).tags
