"""A bounded hostile-input suite: every request here is one an attacker would send.

In-process (no socket leaves the test), on SQLite always and on PostgreSQL and MariaDB
when ``MODELREG_TEST_BACKENDS`` names them (CI runs PostgreSQL). Each request must get
a clean 4xx JSON answer (never a 5xx), and nothing may appear outside the artifact root
or become readable that should not be (issue 8).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelreg.config import Settings
from modelreg.server import ServerSettings, create_app
from tests.server.asgi import TestClient, asgi_client

API = "/api/2.0/mlflow"
FILES = "/api/2.0/mlflow-artifacts/artifacts"
BIG = "9" * 25


@pytest.fixture
def http(database_uri: str, tmp_path: Path) -> Iterator[TestClient]:
    root = tmp_path / "artifacts"
    settings = Settings(tracking_uri=database_uri, artifact_root=str(root))
    with asgi_client(create_app(settings, ServerSettings())) as client:
        yield client


def _hostile(run_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, request kwargs): hostile values in every kind of field."""
    reg, mv = f"{API}/registered-models", f"{API}/model-versions"
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", f"{reg}/create", {"json": {"name": "x" * 100_000}}),
        ("POST", f"{reg}/create", {"json": {"name": ["a"]}}),
        ("POST", f"{reg}/create", {"json": {"name": "t", "tags": "nope"}}),
        ("POST", f"{reg}/create", {"json": {"name": "t", "tags": [{"key": {"a": 1}}]}}),
        ("POST", f"{reg}/create", {"content": b"[" * 5000, "headers": _json()}),
        ("POST", f"{reg}/create", {"content": b'{"name": "\\ud800"}', "headers": _json()}),
        ("POST", f"{reg}/create", {"content": b"name=x"}),
        ("GET", f"{reg}/get", {"params": {"name": "../../etc/passwd"}}),
        ("GET", f"{reg}/search", {"params": {"max_results": BIG}}),
        ("GET", f"{reg}/search", {"params": {"max_results": "-1"}}),
        ("GET", f"{reg}/search", {"params": {"page_token": "A" * 5000}}),
        ("GET", f"{reg}/search", {"params": {"filter": "name = 'a' AND " * 600 + "name='b'"}}),
        ("GET", f"{reg}/search", {"params": {"order_by": "name; DROP TABLE runs"}}),
        ("GET", f"{mv}/get", {"params": {"name": "m", "version": BIG}}),
        ("GET", f"{mv}/get", {"params": {"name": "m", "version": "²"}}),
        ("GET", f"{mv}/search", {"params": {"filter": "run_id = '" + "'" * 50}}),
        ("POST", f"{mv}/create", {"json": {"name": "m", "source": "file:///etc/"}}),
        ("POST", f"{mv}/create", {"json": {"name": "m", "source": "/etc"}}),
        ("POST", f"{mv}/create", {"json": {"name": "m", "source": "http://h/m/../../../"}}),
        ("POST", f"{mv}/create", {"json": {"name": "m", "source": "dbfs:/a%3f/../../x"}}),
        ("POST", f"{mv}/create", {"json": {"name": "m", "source": "mlflow-artifacts://h:1/x"}}),
        ("POST", f"{mv}/create", {"json": {"name": "m", "source": "mlflow-artifacts:/_registry"}}),
        ("POST", f"{mv}/create", {"json": {"name": "m", "source": "s3://b/m", "run_id": "x"}}),
        (
            "POST",
            f"{mv}/create",
            {"json": {"name": "m", "source": f"runs:/{run_id}/model", "run_id": "other"}},
        ),
        ("GET", f"{API}/metrics/get-history", {"params": {"run_id": run_id, "max_results": BIG}}),
        (
            "GET",
            f"{API}/metrics/get-history",
            {"params": {"run_id": run_id, "metric_key": "k", "max_results": str(2**63 - 1)}},
        ),
        (
            "POST",
            f"{API}/runs/log-metric",
            {"json": {"run_id": run_id, "key": "k", "value": 1, "timestamp": 2**64}},
        ),
        (
            "POST",
            f"{API}/runs/log-parameter",
            {"json": {"run_id": run_id, "key": "../k", "value": "v"}},
        ),
        ("POST", f"{API}/runs/search", {"json": {"experiment_ids": ["1" * 40]}}),
        ("GET", f"{API}/experiments/get", {"params": {"experiment_id": BIG}}),
        ("GET", FILES, {"params": {"path": "/etc"}}),
        ("GET", FILES, {"params": {"path": "../"}}),
        ("GET", f"{FILES}/_registry/x/MLmodel", {}),
        ("GET", f"{FILES}/_model-versions/m/{BIG}/MLmodel", {}),
        ("GET", f"{FILES}/_model-versions/m/0/MLmodel", {}),
        ("PUT", f"{FILES}/_model-versions/m/1/MLmodel", {"content": b"x"}),
        ("DELETE", f"{FILES}/_registry", {}),
    ]
    return cases


def _json() -> dict[str, str]:
    return {"content-type": "application/json"}


def test_hostile_requests_get_clean_4xx_answers(http: TestClient, tmp_path: Path) -> None:
    http.post(f"{API}/registered-models/create", json={"name": "m"})
    experiment = http.post(f"{API}/experiments/create", json={"name": "e"}).json()
    run = http.post(f"{API}/runs/create", json={"experiment_id": experiment["experiment_id"]})
    run_id = run.json()["run"]["info"]["run_id"]
    before = {p for p in tmp_path.rglob("*") if "artifacts" not in p.parts}
    wrong = []
    for method, path, kwargs in _hostile(run_id):
        response = http.request(method, path, **kwargs)
        ok = 400 <= response.status_code < 500
        if ok:
            body = response.json()
            ok = set(body) == {"error_code", "message"} and body["error_code"] != "INTERNAL_ERROR"
        if not ok:
            wrong.append((method, path[:80], response.status_code, response.text[:160]))
    assert not wrong, "\n".join(map(repr, wrong))
    # Nothing was written outside the artifact root, and no version came to be.
    after = {p for p in tmp_path.rglob("*") if "artifacts" not in p.parts}
    assert after == before
    found = http.get(f"{API}/model-versions/search").json()
    assert found.get("model_versions", []) == []
    # The registry's copies list as nothing (a missing folder is {} for MLflow's client).
    assert http.get(FILES, params={"path": "_registry"}).json() == {}
