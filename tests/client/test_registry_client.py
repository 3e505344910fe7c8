"""The embedded ``MlflowClient``: MLflow's method names and defaults, on a local database."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from sqlalchemy import delete

import modelreg
from modelreg import MlflowClient
from modelreg.client import embedded
from modelreg.errors import InvalidArgument, NotFound
from modelreg.store.database import Database
from modelreg.store.tables import runs
from tests.runs import insert_runs

# Every registry method of mlflow.MlflowClient (3.17), with its parameters in order.
MLFLOW_REGISTRY_METHODS: dict[str, list[str]] = {
    "create_registered_model": ["name", "tags", "description", "deployment_job_id"],
    "rename_registered_model": ["name", "new_name"],
    "update_registered_model": ["name", "description", "deployment_job_id"],
    "delete_registered_model": ["name"],
    "search_registered_models": ["filter_string", "max_results", "order_by", "page_token"],
    "get_registered_model": ["name"],
    "get_latest_versions": ["name", "stages"],
    "set_registered_model_tag": ["name", "key", "value"],
    "delete_registered_model_tag": ["name", "key"],
    "create_model_version": [
        "name",
        "source",
        "run_id",
        "tags",
        "run_link",
        "description",
        "await_creation_for",
        "model_id",
    ],
    "copy_model_version": ["src_model_uri", "dst_name"],
    "update_model_version": ["name", "version", "description"],
    "transition_model_version_stage": ["name", "version", "stage", "archive_existing_versions"],
    "delete_model_version": ["name", "version"],
    "get_model_version": ["name", "version"],
    "get_model_version_download_uri": ["name", "version"],
    "search_model_versions": ["filter_string", "max_results", "order_by", "page_token"],
    "get_model_version_stages": ["name", "version"],
    "set_model_version_tag": ["name", "version", "key", "value", "stage"],
    "delete_model_version_tag": ["name", "version", "key", "stage"],
    "set_registered_model_alias": ["name", "alias", "version"],
    "delete_registered_model_alias": ["name", "alias"],
    "get_model_version_by_alias": ["name", "alias"],
}

MLFLOW_DEFAULTS = {
    ("search_registered_models", "max_results"): 100,
    ("search_model_versions", "max_results"): 10_000,
    ("transition_model_version_stage", "archive_existing_versions"): False,
    ("create_model_version", "await_creation_for"): 300,
}


@pytest.mark.parametrize("method", sorted(MLFLOW_REGISTRY_METHODS))
def test_method_signature_matches_mlflow(method: str) -> None:
    signature = inspect.signature(getattr(MlflowClient, method))
    params = [p for p in signature.parameters if p != "self"]
    assert params == MLFLOW_REGISTRY_METHODS[method]
    for (name, param), default in MLFLOW_DEFAULTS.items():
        if name == method:
            assert signature.parameters[param].default == default


def test_client_alias_and_lazy_exports() -> None:
    assert modelreg.Client is modelreg.MlflowClient


def test_issue_example_workflow(client: MlflowClient) -> None:
    client.create_registered_model(
        "fraud-detector",
        description="Real-time fraud detection",
        tags={"team": "payments", "priority": "critical"},
    )
    mv = client.create_model_version("fraud-detector", source="s3://bucket/path/model", run_id=None)
    assert mv.version == "1"
    promoted = client.transition_model_version_stage(
        "fraud-detector", mv.version, "Production", archive_existing_versions=True
    )
    assert promoted.current_stage == "Production"
    found = client.search_registered_models(filter_string="name LIKE '%fraud%'")
    assert [m.name for m in found] == ["fraud-detector"]
    assert found.token is None
    latest = client.get_latest_versions("fraud-detector", stages=["Production"])
    assert [v.version for v in latest] == ["1"]
    assert client.get_model_version_stages("fraud-detector", 1) == [
        "None",
        "Staging",
        "Production",
        "Archived",
    ]


def test_version_tag_by_stage(client: MlflowClient) -> None:
    client.create_registered_model("m")
    client.create_model_version("m", "s3://a")
    client.create_model_version("m", "s3://b")
    client.transition_model_version_stage("m", "2", "Staging")
    client.set_model_version_tag("m", key="k", value="v", stage="staging")
    assert client.get_model_version("m", 2).tags == {"k": "v"}
    client.delete_model_version_tag("m", key="k", stage="Staging")
    assert client.get_model_version("m", 2).tags == {}
    with pytest.raises(InvalidArgument, match="Exactly one"):
        client.set_model_version_tag("m", 1, "k", "v", stage="Staging")
    with pytest.raises(InvalidArgument, match="stage"):
        client.set_model_version_tag("m", key="k", value="v", stage="Production")


def test_update_model_version_needs_a_description(client: MlflowClient) -> None:
    client.create_registered_model("m")
    client.create_model_version("m", "s3://a")
    with pytest.raises(InvalidArgument, match="no new field"):
        client.update_model_version("m", 1)


def test_default_location_is_created_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MODELREG_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    try:
        client = MlflowClient()
        client.create_registered_model("m")
        assert (tmp_path / ".modelreg" / "modelreg.db").is_file()
        assert client.tracking_uri == f"sqlite:///{tmp_path / '.modelreg' / 'modelreg.db'}"
    finally:
        embedded.reset()


def test_set_tracking_uri_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELREG_TRACKING_URI", str(tmp_path / "from-env"))
    try:
        assert MlflowClient().tracking_uri.endswith("from-env/modelreg.db")
        modelreg.set_tracking_uri(f"sqlite:///{tmp_path / 'explicit.db'}")
        client = MlflowClient()
        assert client.tracking_uri == f"sqlite:///{tmp_path / 'explicit.db'}"
        client.create_registered_model("m")
        with pytest.raises(NotFound):
            MlflowClient(tracking_uri=str(tmp_path / "other")).get_registered_model("m")
    finally:
        modelreg.set_tracking_uri(None)
        embedded.reset()


def test_unsupported_uri_is_explained() -> None:
    with pytest.raises(InvalidArgument, match="Unsupported tracking URI"):
        MlflowClient(tracking_uri="ftp://host/x")


def test_lineage_of_a_version_with_an_unknown_run(client: MlflowClient, sqlite_uri: str) -> None:
    # A version's run_id must name a run when registered (issue 8); the run can be
    # removed from the database later, which is the case lineage must survive.
    db = Database(sqlite_uri)
    insert_runs(db, "f" * 32)
    client.create_registered_model("m")
    client.create_model_version("m", "s3://bucket/m", run_id="f" * 32)
    with db.write() as conn:
        conn.execute(delete(runs).where(runs.c.run_id == "f" * 32))
    db.dispose()
    lineage = client.get_model_version_lineage("m", 1)
    assert (lineage.run, lineage.logged_model, lineage.git_commit) == (None, None, None)
    assert lineage.source == "s3://bucket/m"
