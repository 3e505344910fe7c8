"""The approvals REST API on the wire: shapes, status codes and messages (in-process app).

Bad input is 400 INVALID_PARAMETER_VALUE saying what was wrong; a policy refusal is
403 PERMISSION_DENIED listing what is missing; nothing is ever a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from modelreg.config import Settings
from modelreg.server import create_app
from tests.server.asgi import asgi_client

API = "/api/2.0"


@pytest.fixture
def http(sqlite_uri: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        tracking_uri=sqlite_uri,
        artifact_root=str(tmp_path / "artifacts"),
        allowed_source_schemes=frozenset({"s3"}),
    )
    with asgi_client(create_app(settings)) as client:
        client.auth = ("alice", "x")
        for path, body in (
            ("mlflow/registered-models/create", {"name": "m"}),
            ("mlflow/model-versions/create", {"name": "m", "source": "s3://b/1"}),
        ):
            assert client.post(f"{API}/{path}", json=body).status_code == 200
        yield client


def _error(response: Any) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error_code"], body["message"]


def test_databricks_host_metadata_probe_is_an_empty_object(http: TestClient) -> None:
    response = http.get("/.well-known/databricks-config", auth=None)
    assert (response.status_code, response.json()) == (200, {})


def test_comment_and_request_shapes(http: TestClient) -> None:
    created = http.post(
        f"{API}/mlflow/comments/create", json={"name": "m", "version": "1", "comment": "<b>x</b>"}
    ).json()["comment"]
    assert created["comment"] == "<b>x</b>" and created["user_id"] == "alice"
    assert created["available_actions"] == ["EDIT_COMMENT", "DELETE_COMMENT"]
    listed = http.get(f"{API}/mlflow/comments/list", params={"name": "m", "version": "1"})
    assert [c["id"] for c in listed.json()["comments"]] == [created["id"]]
    request = http.post(
        f"{API}/mlflow/transition-requests/create",
        json={"name": "m", "version": "1", "stage": "Staging"},
    ).json()["request"]
    assert {k: request[k] for k in ("to_stage", "user_id", "activity_type", "status")} == {
        "to_stage": "Staging",
        "user_id": "alice",
        "activity_type": "REQUESTED_TRANSITION",
        "status": "open",
    }
    approved = http.post(
        f"{API}/mlflow/transition-requests/approve",
        json={"name": "m", "version": "1", "stage": "Staging", "archive_existing_versions": False},
    ).json()
    assert approved["activity"]["activity_type"] == "APPROVED_REQUEST"
    assert approved["activity"]["from_stage"] == "None"
    assert approved["request"]["status"] == "approved"
    deleted = http.delete(f"{API}/mlflow/comments/delete", params={"id": created["id"]})
    assert (deleted.status_code, deleted.json()) == (200, {})


def test_databricks_transition_stage_records_its_comment(http: TestClient) -> None:
    body = {"name": "m", "version": "1", "stage": "Staging", "archive_existing_versions": False}
    moved = http.post(
        f"{API}/mlflow/databricks/model-versions/transition-stage",
        json={**body, "comment": "Ship it: **AUC 0.91**"},
    )
    assert moved.status_code == 200
    # Databricks' reply is the version alone (ModelVersionDatabricks has no comment).
    assert set(moved.json()) == {"model_version_databricks"}
    assert moved.json()["model_version_databricks"]["current_stage"] == "Staging"
    # Without a comment (and through MLflow's own endpoint) the event says "".
    back = {**body, "stage": "None"}
    assert http.post(f"{API}/mlflow/model-versions/transition-stage", json=back).is_success
    feed = http.get(
        f"{API}/modelreg/events", params={"name": "m", "type": "model_version.stage_transitioned"}
    ).json()["events"]
    assert [(e["actor"], e["payload"]["to_stage"], e["payload"]["comment"]) for e in feed] == [
        ("alice", "Staging", "Ship it: **AUC 0.91**"),
        ("alice", "None", ""),
    ]


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        (
            "POST",
            "mlflow/transition-requests/approve",
            {"name": "m", "version": "1", "stage": "Production"},
            "Missing value for required parameter 'archive_existing_versions'.",
        ),
        (
            "POST",
            "mlflow/comments/create",
            {"name": "m", "version": "1", "comment": 3},
            "Invalid value 3 for parameter 'comment' supplied: expected a string, got a number.",
        ),
        (
            "PATCH",
            "mlflow/comments/update",
            {"id": "abc", "comment": "x"},
            "Invalid comment id 'abc': expected a number.",
        ),
        (
            "POST",
            "modelreg/policies/set",
            {"name": "m", "target": "Production", "required_tags": ["a"]},
            "Invalid value [\"a\"] for parameter 'required_tags' supplied: expected an object",
        ),
        (
            "POST",
            "modelreg/policies/set",
            {"name": "m", "target": "Production", "required_approvals": "many"},
            "Invalid value \"many\" for parameter 'required_approvals' supplied",
        ),
        (
            "POST",
            "modelreg/checks/set",
            {"name": "m", "version": "1", "check_name": "ci", "state": "green"},
            "Invalid status check state 'green'",
        ),
        (
            "POST",
            "mlflow/databricks/model-versions/transition-stage",
            {
                "name": "m",
                "version": "1",
                "stage": "Staging",
                "archive_existing_versions": False,
                "comment": ["x"],
            },
            "Invalid value [\"x\"] for parameter 'comment' supplied: expected a string",
        ),
        (
            "POST",
            "mlflow/databricks/model-versions/transition-stage",
            {
                "name": "m",
                "version": "1",
                "stage": "Staging",
                "archive_existing_versions": False,
                "comment": "x" * 65_537,
            },
            "A comment is 65537 characters long; at most 65536 are allowed.",
        ),
        (
            "POST",
            "mlflow/transition-requests/approve",
            {"name": "m", "version": "1", "stage": "Archived", "archive_existing_versions": True},
            "archive_existing_versions can only be used when transitioning to Staging or "
            "Production, not 'Archived'.",
        ),
    ],
)
def test_bad_input_is_400_with_what_was_wrong(
    http: TestClient, method: str, path: str, body: dict[str, Any], message: str
) -> None:
    status, code, text = _error(http.request(method, f"{API}/{path}", json=body))
    assert (status, code) == (400, "INVALID_PARAMETER_VALUE")
    assert text.startswith(message), text


def test_policy_refusal_is_403_listing_what_is_missing(http: TestClient) -> None:
    policy = {"name": "m", "target": "Production", "required_checks": ["ci"]}
    assert http.post(f"{API}/modelreg/policies/set", json=policy).status_code == 200
    response = http.post(
        f"{API}/mlflow/model-versions/transition-stage",
        json={
            "name": "m",
            "version": "1",
            "stage": "Production",
            "archive_existing_versions": True,
        },
    )
    status, code, message = _error(response)
    assert (status, code) == (403, "PERMISSION_DENIED")
    assert message == (
        "Moving m version 1 to stage Production is refused by its promotion policy: "
        "status check 'ci' must be success (missing)."
    )
    missing = http.get(f"{API}/modelreg/policies/get", params={"name": "m", "target": "Staging"})
    assert _error(missing) == (
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "No promotion policy for Staging of registered model m",
    )
