"""databricks-sdk's ``WorkspaceClient(...).model_registry`` against a live modelreg server.

The SDK (databricks-sdk 0.167.0, its own virtualenv: tests/client_venvs.py) runs in a
subprocess against ``modelreg server`` on 127.0.0.1: comments, transition requests
(create, list, approve with archive, reject, withdraw) and Databricks' transition-stage
(its comment recorded with the move), unchanged. The SDK first probes
``/.well-known/databricks-config`` without credentials; the server's empty answer lets
it go on without a warning.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.client_venvs import require_databricks_python
from tests.server.live import running_server

pytestmark = pytest.mark.databricks

SDK_SIDE = r"""
import json, logging, sys
from databricks.sdk import WorkspaceClient

warnings = []
class Collect(logging.Handler):
    def emit(self, record):
        if record.levelno >= logging.WARNING:
            warnings.append(record.getMessage())
logging.getLogger("databricks").addHandler(Collect())

url, out = sys.argv[1], sys.argv[2]
w = WorkspaceClient(host=url, token="dapi-not-checked")
mr = w.model_registry
r = {}
c = mr.create_comment(name="churn", version="1", comment="Looks **good**")
r["comment"] = [c.comment.comment, c.comment.user_id, bool(c.comment.id)]
u = mr.update_comment(id=c.comment.id, comment="Edited")
r["edited"] = u.comment.comment
mr.delete_comment(id=c.comment.id)

r["empty"] = list(mr.list_transition_requests(name="churn", version="2"))
req = mr.create_transition_request(name="churn", version="2", stage="Production", comment="ship")
r["request"] = [req.request.to_stage, req.request.comment]
listed = mr.list_transition_requests(name="churn", version="2")
r["listed"] = [(a.to_stage, a.activity_type.value) for a in listed]
ok = mr.approve_transition_request(
    name="churn", version="2", stage="Production", archive_existing_versions=True, comment="lgtm"
)
r["approved"] = [ok.activity.activity_type.value, ok.activity.to_stage, ok.activity.comment]
r["v2"] = mr.get_model_version(name="churn", version="2").model_version.current_stage
r["v1"] = mr.get_model_version(name="churn", version="1").model_version.current_stage

mr.create_transition_request(name="churn", version="1", stage="Staging")
no = mr.reject_transition_request(name="churn", version="1", stage="Staging", comment="no")
r["rejected"] = no.activity.activity_type.value
mr.create_transition_request(name="churn", version="1", stage="Staging")
gone = mr.delete_transition_request(name="churn", version="1", stage="Staging", creator="anonymous")
r["deleted"] = gone.activity.activity_type.value
r["after_delete"] = list(mr.list_transition_requests(name="churn", version="1"))
moved = mr.transition_stage(
    name="churn", version="1", stage="Staging", archive_existing_versions=False, comment="canary"
)
r["transitioned"] = moved.model_version_databricks.current_stage
try:
    mr.transition_stage(
        name="churn", version="1", stage="Production", archive_existing_versions=True
    )
except Exception as error:
    r["refused"] = [type(error).__name__, str(error)]
r["warnings"] = warnings
json.dump(r, open(out, "w"))
"""


def test_databricks_sdk_model_registry_workflow(tmp_path: Path) -> None:
    python = require_databricks_python()
    mlflow_calls = (
        ("registered-models/create", {"name": "churn"}),
        ("model-versions/create", {"name": "churn", "source": "s3://b/1"}),
        ("model-versions/create", {"name": "churn", "source": "s3://b/2"}),
        ("model-versions/transition-stage", _stage("1", "Production")),
        ("model-versions/set-tag", _tag("1", "failed")),
        ("model-versions/set-tag", _tag("2", "passed")),
    )
    out = tmp_path / "out.json"
    script = tmp_path / "sdk_side.py"
    script.write_text(SDK_SIDE)
    with running_server(tmp_path, "--allowed-source-schemes", "s3") as server:
        for path, body in mlflow_calls:
            assert httpx.post(f"{server.api}/{path}", json=body).status_code == 200
        # Production is protected: only validated versions may enter it.
        policy = {
            "name": "churn",
            "target": "Production",
            "required_tags": {"validation": "passed"},
        }
        assert httpx.post(f"{server.url}/api/2.0/modelreg/policies/set", json=policy).is_success
        done = subprocess.run(
            [str(python), str(script), server.url, str(out)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        feed = httpx.get(
            f"{server.url}/api/2.0/modelreg/events",
            params={"name": "churn", "version": "1", "type": "model_version.stage_transitioned"},
        ).json()["events"]
    result = json.loads(out.read_text())
    assert result["comment"] == ["Looks **good**", "anonymous", True]
    assert result["edited"] == "Edited"
    assert result["empty"] == []
    assert result["request"] == ["Production", "ship"]
    assert result["listed"] == [["Production", "REQUESTED_TRANSITION"]]
    assert result["approved"] == ["APPROVED_REQUEST", "Production", "lgtm"]
    assert (result["v2"], result["v1"]) == ("Production", "Archived")
    assert result["rejected"] == "REJECTED_REQUEST"
    assert result["deleted"] == "CANCELLED_REQUEST"
    assert result["after_delete"] == []
    assert result["transitioned"] == "Staging"
    # transition_stage's comment is recorded with the move (its reply has no field for it).
    assert feed[-1]["payload"]["to_stage"] == "Staging"
    assert feed[-1]["payload"]["comment"] == "canary"
    name, message = result["refused"]
    assert name == "PermissionDenied"
    assert "tag 'validation' must be 'passed' (is 'failed')" in message
    assert "Unexpected error" not in message
    assert result["warnings"] == []


def _stage(version: str, stage: str) -> dict[str, object]:
    return {"name": "churn", "version": version, "stage": stage, "archive_existing_versions": False}


def _tag(version: str, value: str) -> dict[str, object]:
    return {"name": "churn", "version": version, "key": "validation", "value": value}
