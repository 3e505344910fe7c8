"""The real clients end to end: mlflow 3.17.2's MlflowClient and databricks-sdk 0.167.0
create and manage webhooks on a live server, whose worker delivers to a loopback
receiver; signatures are verified with each vendor's recipe."""

from __future__ import annotations

import hashlib
import hmac
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.client_venvs import require_databricks_python
from tests.mlflow_env import require_mlflow_python
from tests.webhooks.receiver import receiver
from tests.webhooks.test_delivery import _mlflow_verify

MLFLOW_SCRIPT = r"""
import sys, warnings
warnings.simplefilter("ignore")
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

server, url = sys.argv[1], sys.argv[2]
c = MlflowClient(tracking_uri=server, registry_uri=server)
c.create_registered_model("churn")
hook = c.create_webhook(
    name="ci", url=url, events=["model_version.created", "model_version_alias.created"],
    description="deploys", secret="s3cret",
)
assert hook.secret is None and hook.status.value == "ACTIVE", hook
got = c.get_webhook(hook.webhook_id)
assert sorted(str(e) for e in got.events) == [
    "model_version.created", "model_version_alias.created"], got.events
assert got.description == "deploys"
assert hook.webhook_id in [w.webhook_id for w in c.list_webhooks()]
other = c.create_webhook(name="tmp", url=url, events=["registered_model.created"])
updated = c.update_webhook(other.webhook_id, description="later", status="DISABLED")
assert (updated.description, updated.status.value) == ("later", "DISABLED")
c.delete_webhook(other.webhook_id)
try:
    c.get_webhook(other.webhook_id)
    raise AssertionError("deleted webhook still there")
except MlflowException as error:
    assert error.error_code == "RESOURCE_DOES_NOT_EXIST", error.error_code
result = c.test_webhook(hook.webhook_id)
assert result.success and result.response_status == 200, result
c.create_model_version("churn", "s3://bucket/churn/1")
c.set_registered_model_alias("churn", "champion", "1")
print(hook.webhook_id)
"""

DATABRICKS_SCRIPT = r"""
import sys, warnings
warnings.simplefilter("ignore")
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError
from databricks.sdk.service.ml import (
    HttpUrlSpec, JobSpec, RegistryWebhookEvent as E, RegistryWebhookStatus,
)

server, url = sys.argv[1], sys.argv[2]
w = WorkspaceClient(host=server, token="dapi-test")
created = w.model_registry.create_webhook(
    events=[E.MODEL_VERSION_TRANSITIONED_TO_PRODUCTION, E.MODEL_VERSION_CREATED],
    model_name="churn",
    description="deploy churn",
    http_url_spec=HttpUrlSpec(url=url, secret="s3cret", authorization="Bearer abc"),
).webhook
assert created.model_name == "churn" and created.status == RegistryWebhookStatus.ACTIVE
assert created.http_url_spec.url == url
assert created.events == [E.MODEL_VERSION_TRANSITIONED_TO_PRODUCTION, E.MODEL_VERSION_CREATED]
listed = list(w.model_registry.list_webhooks(model_name="churn"))
assert [h.id for h in listed] == [created.id], listed
w.model_registry.update_webhook(id=created.id, description="deploy churn to prod")
tested = w.model_registry.test_registry_webhook(id=created.id, event=E.MODEL_VERSION_CREATED)
assert tested.status_code == 200, tested
try:
    w.model_registry.create_webhook(
        events=[E.MODEL_VERSION_CREATED], job_spec=JobSpec(job_id="1", access_token="t"))
    raise AssertionError("job_spec accepted")
except DatabricksError as error:
    assert "job_spec" in str(error), error
gone = w.model_registry.create_webhook(
    events=[E.REGISTERED_MODEL_CREATED], http_url_spec=HttpUrlSpec(url=url))
w.model_registry.delete_webhook(id=gone.webhook.id)
assert [h.id for h in w.model_registry.list_webhooks()] == [created.id]
print(created.id)
"""


def _run(python: Path, script: str, path: Path, *args: str) -> str:
    path.write_text(script)
    done = subprocess.run(
        [str(python), str(path), *args], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.mlflow
def test_mlflow_client_creates_webhooks_and_gets_signed_deliveries(
    live_webhook_server: str, tmp_path: Path
) -> None:
    python = require_mlflow_python()
    with receiver() as rx:
        _run(python, MLFLOW_SCRIPT, tmp_path / "c.py", live_webhook_server, rx.url)
        sent = rx.wait_for(3)  # the test, the version, the alias
    for request in sent:
        assert _mlflow_verify("s3cret", request.headers, request.body)
    kinds = sorted((r.json()["entity"], r.json()["action"]) for r in sent)
    assert kinds == [
        ("model_version", "created"),
        ("model_version", "created"),
        ("model_version_alias", "created"),
    ]
    real = [r.json() for r in sent if r.json()["data"]["name"] == "churn"]
    assert {d["data"].get("version") for d in real} == {"1"}


def test_databricks_sdk_manages_registry_webhooks_and_gets_signed_deliveries(
    live_webhook_server: str, tmp_path: Path
) -> None:
    python = require_databricks_python()
    api = f"{live_webhook_server}/api/2.0/mlflow"
    with receiver() as rx:
        httpx.post(f"{api}/registered-models/create", json={"name": "churn"}).raise_for_status()
        webhook_id = _run(python, DATABRICKS_SCRIPT, tmp_path / "d.py", live_webhook_server, rx.url)
        httpx.post(
            f"{api}/model-versions/create", json={"name": "churn", "source": "s3://b/c/1"}
        ).raise_for_status()
        for stage in ("Staging", "Production"):
            httpx.post(
                f"{api}/model-versions/transition-stage",
                json={
                    "name": "churn",
                    "version": "1",
                    "stage": stage,
                    "archive_existing_versions": False,
                },
            ).raise_for_status()
        sent = rx.wait_for(3)  # the test, the version, the move to Production
    for request in sent:
        # Databricks' recipe: hex HMAC-SHA256 of the raw body with the secret.
        expected = hmac.new(b"s3cret", request.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(request.headers["X-Databricks-Signature"], expected)
        assert request.headers["Authorization"] == "Bearer abc"
    events = [r.json() for r in sent]
    assert [e["event"] for e in events] == [
        "MODEL_VERSION_CREATED",
        "MODEL_VERSION_CREATED",
        "MODEL_VERSION_TRANSITIONED_TO_PRODUCTION",
    ]
    moved = events[-1]
    assert moved["webhook_id"] == webhook_id
    assert (moved["model_name"], moved["version"]) == ("churn", "1")
    assert (moved["from_stage"], moved["to_stage"]) == ("Staging", "Production")
