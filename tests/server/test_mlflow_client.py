"""The real ``mlflow.MlflowClient`` (its own virtualenv) against the server's registry API.

The server runs in a thread (uvicorn, a real socket); the MLflow client runs in a
subprocess of the mlflow virtualenv (tests/mlflow_env.py) and asserts what it sees.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.mlflow_env import require_mlflow_python

pytestmark = pytest.mark.mlflow

SCRIPT = r"""
import sys, warnings
warnings.simplefilter("ignore")
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

def error_code(call):
    try:
        call()
    except MlflowException as error:
        return error.error_code
    raise AssertionError("no error")

c = MlflowClient(tracking_uri=sys.argv[1], registry_uri=sys.argv[1])
rm = c.create_registered_model("churn", tags={"team": "ds"}, description="d")
assert (rm.name, rm.tags, rm.description) == ("churn", {"team": "ds"}, "d")
assert error_code(lambda: c.create_registered_model("churn")) == "RESOURCE_ALREADY_EXISTS"
mv = c.create_model_version("churn", "s3://bucket/churn/1", tags={"b": "1"}, await_creation_for=0)
assert (mv.version, mv.status, mv.current_stage, mv.tags) == ("1", "READY", "None", {"b": "1"})
c.create_model_version("churn", "s3://bucket/churn/2")
c.set_registered_model_alias("churn", "champ", "1")
champ = c.get_model_version_by_alias("churn", "champ")
assert (champ.version, champ.aliases) == ("1", ["champ"])
moved = c.transition_model_version_stage("churn", "2", "production", archive_existing_versions=True)
assert moved.current_stage == "Production"
assert [v.version for v in c.get_latest_versions("churn", ["Production"])] == ["2"]
got = c.get_registered_model("churn")
assert got.aliases == {"champ": "1"}
assert sorted(v.version for v in got.latest_versions) == ["1", "2"]
assert [m.name for m in c.search_registered_models("name LIKE 'ch%'")] == ["churn"]
found = c.search_model_versions("name='churn'", order_by=["version_number DESC"])
assert [v.version for v in found] == ["2", "1"]
assert c.get_model_version_download_uri("churn", "1") == "s3://bucket/churn/1"
c.set_model_version_tag("churn", "1", "k", "v")
c.delete_model_version_tag("churn", "1", "k")
c.set_registered_model_tag("churn", "k", "v")
c.delete_registered_model_tag("churn", "k")
assert c.update_model_version("churn", "1", "new").description == "new"
c.update_registered_model("churn", "rm")
c.rename_registered_model("churn", "churn2")
c.delete_registered_model_alias("churn2", "champ")
assert error_code(lambda: c.get_model_version_by_alias("churn2", "champ")) == (
    "INVALID_PARAMETER_VALUE"
)
c.copy_model_version("models:/churn2/1", "copy")
assert c.get_model_version("copy", "1").source == "models:/churn2/1"
c.delete_model_version("churn2", "1")
assert error_code(lambda: c.get_model_version("churn2", "1")) == "RESOURCE_DOES_NOT_EXIST"
c.delete_registered_model("churn2")
assert error_code(lambda: c.get_registered_model("churn2")) == "RESOURCE_DOES_NOT_EXIST"
print("OK")
"""


@pytest.fixture
def mlflow_python() -> Path:
    python = require_mlflow_python()
    return python


def test_mlflow_client_registry_workflow(
    mlflow_python: Path, live_server: str, tmp_path: Path
) -> None:
    script = tmp_path / "client.py"
    script.write_text(SCRIPT)
    done = subprocess.run(
        [str(mlflow_python), str(script), live_server],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert done.stdout.strip().endswith("OK")
