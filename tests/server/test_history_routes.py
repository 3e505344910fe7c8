"""The history endpoints on the wire: their paths, 400s for bad parameters, 404s, and
the MlflowClient methods over a server (docs/history.md)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

API = "/api/2.0/modelreg"


def _setup(http: TestClient) -> None:
    http.post("/api/2.0/mlflow/registered-models/create", json={"name": "churn"})
    for _ in range(2):
        http.post(
            "/api/2.0/mlflow/model-versions/create", json={"name": "churn", "source": "s3://b/m"}
        )
    http.post(
        "/api/2.0/mlflow/registered-models/alias",
        json={"name": "churn", "alias": "champion", "version": "1"},
    )
    http.post(
        "/api/2.0/mlflow/registered-models/alias",
        json={"name": "churn", "alias": "champion", "version": "2"},
    )


def test_feed_and_time_travel_over_http(http: TestClient) -> None:
    _setup(http)
    body = http.get(f"{API}/events", params={"name": "churn", "type": "alias.set"}).json()
    assert [e["version"] for e in body["events"]] == [1, 2]
    assert "next_page_token" not in body
    first = body["events"][0]
    assert set(first) == {
        "id",
        "timestamp",
        "actor",
        "type",
        "schema_version",
        "model_name",
        "version",
        "payload",
    }
    at = http.get(
        f"{API}/aliases/at",
        params={"name": "churn", "alias": "champion", "timestamp": first["timestamp"]},
    )
    assert at.status_code == 200 and at.json() == {"version": "1"}
    stages = http.get(
        f"{API}/stages/at",
        params={"name": "churn", "stage": "None", "timestamp": first["timestamp"]},
    )
    assert stages.json() == {"versions": ["1", "2"]}
    rolled = http.post(f"{API}/aliases/rollback", json={"name": "churn", "alias": "champion"})
    assert rolled.json() == {"version": "1"}
    verified = http.get(f"{API}/events/verify").json()
    assert verified["ok"] is True and verified["breaks"] == [] and verified["chains"] == 1


@pytest.mark.parametrize(
    ("method", "path", "params", "message"),
    [
        ("GET", "events", {"since": "yesterday"}, "since"),
        ("GET", "events", {"max_results": "5000"}, "at most 1000"),
        ("GET", "events", {"max_results": "0"}, "max_results"),
        ("GET", "events", {"page_token": "x"}, "page_token"),
        ("GET", "events", {"type": "nope"}, "Unknown event type"),
        ("GET", "events", {"version": "1"}, "version needs name"),
        ("GET", "aliases/at", {"name": "churn", "alias": "champion"}, "timestamp"),
        (
            "GET",
            "aliases/at",
            {"name": "churn", "alias": "champion", "timestamp": "-3"},
            "timestamp",
        ),
        ("GET", "stages/at", {"name": "churn", "stage": "Live", "timestamp": "1"}, "stage"),
        ("POST", "aliases/rollback", {"name": "churn"}, "alias"),
        (
            "POST",
            "aliases/rollback",
            {"name": "churn", "alias": "champion", "timestamp": "x"},
            "timestamp",
        ),
    ],
)
def test_bad_parameters_are_400s(
    http: TestClient, method: str, path: str, params: dict[str, Any], message: str
) -> None:
    _setup(http)
    if method == "GET":
        response = http.get(f"{API}/{path}", params=params)
    else:
        response = http.post(f"{API}/{path}", json=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE" and message in body["message"]


def test_nothing_there_is_a_404(http: TestClient) -> None:
    _setup(http)
    for params in (
        {"name": "churn", "alias": "challenger", "timestamp": "99999999999999"},
        {"name": "nobody", "alias": "champion", "timestamp": "1"},
    ):
        response = http.get(f"{API}/aliases/at", params=params)
        assert response.status_code == 404
        assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_the_openapi_document_lists_the_history_endpoints(http: TestClient) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    for path in ("events", "aliases/at", "stages/at", "aliases/rollback", "events/verify"):
        assert f"{API}/{path}" in paths
