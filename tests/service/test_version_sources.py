"""Sources and lineage that point at other people's work are refused (issue 8).

Each case was accepted before (mlflow 3.18 refuses the traversal and host cases with
400 ``INVALID_PARAMETER_VALUE`` too). On SQLite, and on PostgreSQL and MariaDB when
``MODELREG_TEST_BACKENDS`` names them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from modelreg.config import Settings
from modelreg.errors import InvalidArgument, PermissionDenied
from modelreg.principal import Principal
from modelreg.service import RegistryService
from modelreg.service.access import AllowAll
from modelreg.service.assembly import build_services
from modelreg.service.auth import GrantPolicy
from modelreg.service.auth.access import GrantAccess
from modelreg.service.tracking import TrackingService


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
