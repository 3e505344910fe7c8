"""Bad values get one answer on every database: NUL in text, absurd numbers (issue 8).

PostgreSQL refuses NUL in text, and used to answer 500 in 29 places where SQLite and
MariaDB stored it; negative or huge numbers reached the database as they came. Each
case here is a 400 ``INVALID_PARAMETER_VALUE`` naming the field, on SQLite always and on
PostgreSQL and MariaDB when ``MODELREG_TEST_BACKENDS`` names them.
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
NUL = "a\x00b"


@pytest.fixture
def http(database_uri: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        tracking_uri=database_uri,
        artifact_root=str(tmp_path / "artifacts"),
        allowed_source_schemes=frozenset({"s3"}),
    )
    with asgi_client(create_app(settings, ServerSettings())) as client:
        yield client


@pytest.fixture
def seeded(http: TestClient) -> dict[str, str]:
    """A model with one version and an alias, an experiment and a run to aim at."""

    def ok(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = http.request(method, f"{API}/{path}", **kwargs)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    ok("POST", "registered-models/create", json={"name": "m"})
    ok("POST", "model-versions/create", json={"name": "m", "source": "s3://bucket/m"})
    ok("POST", "registered-models/alias", json={"name": "m", "alias": "champ", "version": "1"})
    experiment_id = ok("POST", "experiments/create", json={"name": "e"})["experiment_id"]
    run = ok("POST", "runs/create", json={"experiment_id": experiment_id})["run"]
    return {"experiment_id": experiment_id, "run_id": run["info"]["run_id"]}


def _cases(ids: dict[str, str]) -> list[tuple[str, str, dict[str, Any], str]]:
    """(method, path, fields, the field the error must name): every kind of text field."""
    run, exp = ids["run_id"], ids["experiment_id"]
    return [
        ("POST", "registered-models/create", {"name": NUL}, "name"),
        ("POST", "registered-models/create", {"name": "n", "description": NUL}, "description"),
        ("POST", "registered-models/create", {"name": "n", "tags": [{"key": NUL}]}, "tags[0].key"),
        (
            "POST",
            "registered-models/create",
            {"name": "n", "tags": [{"key": "k", "value": NUL}]},
            "tags[0].value",
        ),
        ("GET", "registered-models/get", {"name": NUL}, "name"),
        ("POST", "registered-models/rename", {"name": "m", "new_name": NUL}, "new_name"),
        ("PATCH", "registered-models/update", {"name": "m", "description": NUL}, "description"),
        ("POST", "registered-models/set-tag", {"name": "m", "key": "k", "value": NUL}, "value"),
        ("POST", "registered-models/set-tag", {"name": "m", "key": NUL, "value": "v"}, "key"),
        ("DELETE", "registered-models/delete-tag", {"name": "m", "key": NUL}, "key"),
        ("POST", "registered-models/alias", {"name": "m", "alias": NUL, "version": "1"}, "alias"),
        ("GET", "registered-models/alias", {"name": "m", "alias": NUL}, "alias"),
        ("GET", "registered-models/alias", {"name": NUL, "alias": "champ"}, "name"),
        ("GET", "registered-models/search", {"filter": f"name = '{NUL}'"}, "filter"),
        ("POST", "registered-models/get-latest-versions", {"name": NUL}, "name"),
        ("POST", "model-versions/create", {"name": "m", "source": NUL}, "source"),
        (
            "POST",
            "model-versions/create",
            {"name": "m", "source": "s3://b/x", "run_id": NUL},
            "run_id",
        ),
        (
            "POST",
            "model-versions/create",
            {"name": "m", "source": "s3://b/x", "description": NUL},
            "description",
        ),
        ("GET", "model-versions/get", {"name": "m", "version": NUL}, "version"),
        (
            "PATCH",
            "model-versions/update",
            {"name": "m", "version": "1", "description": NUL},
            "description",
        ),
        (
            "POST",
            "model-versions/set-tag",
            {"name": "m", "version": "1", "key": "k", "value": NUL},
            "value",
        ),
        ("GET", "model-versions/search", {"filter": f"run_id = '{NUL}'"}, "filter"),
        ("POST", "experiments/create", {"name": NUL}, "name"),
        (
            "POST",
            "experiments/create",
            {"name": "x", "artifact_location": NUL},
            "artifact_location",
        ),
        ("GET", "experiments/get-by-name", {"experiment_name": NUL}, "experiment_name"),
        ("GET", "experiments/get", {"experiment_id": NUL}, "experiment_id"),
        ("POST", "experiments/update", {"experiment_id": exp, "new_name": NUL}, "new_name"),
        (
            "POST",
            "experiments/set-experiment-tag",
            {"experiment_id": exp, "key": "k", "value": NUL},
            "value",
        ),
        ("POST", "runs/create", {"experiment_id": exp, "run_name": NUL}, "run_name"),
        ("POST", "runs/update", {"run_id": run, "run_name": NUL}, "run_name"),
        ("GET", "runs/get", {"run_id": NUL}, "run_id"),
        ("POST", "runs/log-parameter", {"run_id": run, "key": "p", "value": NUL}, "value"),
        ("POST", "runs/log-parameter", {"run_id": run, "key": NUL, "value": "v"}, "key"),
        ("POST", "runs/set-tag", {"run_id": run, "key": "t", "value": NUL}, "value"),
        (
            "POST",
            "runs/log-metric",
            {"run_id": run, "key": NUL, "value": 1.0, "timestamp": 1},
            "key",
        ),
        (
            "POST",
            "runs/log-batch",
            {"run_id": run, "params": [{"key": "a", "value": "1"}, {"key": "b", "value": NUL}]},
            "params[1].value",
        ),
        (
            "POST",
            "runs/search",
            {"experiment_ids": [exp], "filter": f"params.a = '{NUL}'"},
            "filter",
        ),
        ("POST", "runs/search", {"experiment_ids": [NUL]}, "experiment_ids[0]"),
        ("GET", "metrics/get-history", {"run_id": run, "metric_key": NUL}, "metric_key"),
        ("POST", "logged-models", {"experiment_id": exp, "name": NUL}, "name"),
        ("POST", "logged-models", {"experiment_id": exp, "source_run_id": NUL}, "source_run_id"),
        (
            "POST",
            "logged-models/search",
            {"experiment_ids": [exp], "filter": f"name = '{NUL}'"},
            "filter",
        ),
        ("GET", "logged-models/m-a%00b", {}, "model_id"),
    ]


def _send(http: TestClient, method: str, path: str, fields: dict[str, Any]) -> Any:
    if method == "GET":
        return http.get(f"{API}/{path}", params=fields)
    return http.request(method, f"{API}/{path}", json=fields)


def test_nul_in_any_text_field_is_a_400_naming_the_field(
    http: TestClient, seeded: dict[str, str]
) -> None:
    wrong = []
    for method, path, fields, field in _cases(seeded):
        response = _send(http, method, path, fields)
        body = response.json()
        if (
            response.status_code != 400
            or body.get("error_code") != "INVALID_PARAMETER_VALUE"
            or f"'{field}'" not in body.get("message", "")
            or "NUL" not in body.get("message", "")
        ):
            wrong.append((method, path, field, response.status_code, body))
    assert not wrong, "\n".join(map(repr, wrong))
    # Nothing was stored under a NUL name, and the valid data is untouched.
    names = [
        m["name"] for m in http.get(f"{API}/registered-models/search").json()["registered_models"]
    ]
    assert names == ["m"]


def test_a_nul_in_an_object_key_is_named_without_echoing_it(http: TestClient) -> None:
    response = http.post(f"{API}/registered-models/create", json={"name": "n", "a\x00": 1})
    assert response.status_code == 400
    assert "'a\\x00'" in response.json()["message"]


def test_text_without_nul_still_passes_through_the_check(
    http: TestClient, seeded: dict[str, str]
) -> None:
    """Escapes that merely look like NUL are ordinary text."""
    for description in ("\\u0000", "%00", "a\u0001b"):
        response = http.request(
            "PATCH",
            f"{API}/registered-models/update",
            json={"name": "m", "description": description},
        )
        assert response.status_code == 200, response.text
        got = http.get(f"{API}/registered-models/get", params={"name": "m"}).json()
        assert got["registered_model"]["description"] == description


ABSURD_NUMBERS = [
    ("metrics/get-history", {"max_results": "-1"}),
    ("metrics/get-history", {"max_results": "0"}),
    ("metrics/get-history", {"max_results": "99999999999999999999"}),
    ("metrics/get-history", {"max_results": "9223372036854775807"}),
    ("metrics/get-history", {"page_token": "-1"}),
    ("registered-models/search", {"max_results": "-1"}),
    ("registered-models/search", {"max_results": "9223372036854775807"}),
    ("model-versions/search", {"max_results": "-5"}),
    ("model-versions/search", {"max_results": "9223372036854775808"}),
    ("model-versions/get", {"name": "m", "version": "-1"}),
    ("model-versions/get", {"name": "m", "version": "99999999999"}),
    ("experiments/search", {"max_results": "-1"}),
    ("experiments/search", {"max_results": "9223372036854775807"}),
    ("runs/search", {"max_results": "-1"}),
    ("metrics/get-history-bulk-interval", {"max_results": "-1", "metric_key": "k"}),
]


def test_negative_or_absurd_numbers_are_a_400_never_a_5xx(
    http: TestClient, seeded: dict[str, str]
) -> None:
    wrong = []
    for path, fields in ABSURD_NUMBERS:
        query = {"run_id": seeded["run_id"], "metric_key": "k", **fields}
        if path.startswith("runs/search"):
            response = http.post(
                f"{API}/{path}",
                json={"experiment_ids": [seeded["experiment_id"]], "max_results": -1},
            )
        else:
            if "runs/" not in path and "metrics/" not in path:
                query.pop("run_id")
                query.pop("metric_key", None)
            if path.endswith("bulk-interval"):
                query["run_ids"] = query.pop("run_id")
            response = http.get(f"{API}/{path}", params=query)
        if (
            response.status_code != 400
            or response.json()["error_code"] != "INVALID_PARAMETER_VALUE"
        ):
            wrong.append((path, fields, response.status_code, response.text[:200]))
    assert not wrong, "\n".join(map(repr, wrong))


@pytest.mark.parametrize(
    ("field", "value"),
    [("timestamp", 2**63), ("step", 2**63), ("timestamp", -(2**63) - 1)],
)
def test_int64_overflow_in_a_metric_is_a_400(
    http: TestClient, seeded: dict[str, str], field: str, value: int
) -> None:
    metric: dict[str, Any] = {"run_id": seeded["run_id"], "key": "k", "value": 1.0}
    metric |= {"timestamp": 1, "step": 0, field: value}
    response = http.post(f"{API}/runs/log-metric", json=metric)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
