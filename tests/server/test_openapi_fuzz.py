"""Property-based: every operation answers as its OpenAPI document says (schemathesis).

Requests are generated from the document the server serves (valid by its schemas:
names within their patterns and lengths, page sizes within their bounds, ...) and
sent to the in-process ASGI app, on a fresh SQLite database per group of operations
(one OpenAPI tag: the registry, tracking, webhooks, ...; an app per operation would
cost more than the requests). Each
response must not be a 5xx the operation does not declare, must carry the declared
content type, and must match the declared response schema (the error envelope for
errors). A bounded number of examples per operation keeps the default suite fast;
``MODELREG_TEST_SLOW=1`` (CI) tries more. The examples are derandomized, so a failure
reproduces on every run; the message carries the request as a curl command.

Random names rarely name anything, so each group's database first gets a model, its
versions, an alias, a stage, an experiment and a run with a metric (names as in the
document's examples, which are sent first): the success responses are
checked too, not only the errors.

The ``/ajax-api/2.0`` aliases are the same handlers as their ``/api/2.0`` paths, so
only the first path of each operation is fuzzed.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from modelreg.server import ServerSettings
from modelreg.server.app import endpoints
from modelreg.server.openapi import document, openapi_path
from tests.server.asgi import BASE_URL, TestClient

EXAMPLES = 25 if os.environ.get("MODELREG_TEST_SLOW") == "1" else 5
_DOCUMENT = document(endpoints())
OPERATIONS: dict[str, list[tuple[str, str]]] = {}
for _endpoint in endpoints():
    if _endpoint.paths[0] != "/openapi.json":  # a static document; nothing to find there
        OPERATIONS.setdefault(_endpoint.tag, []).append(
            (_endpoint.method.lower(), openapi_path(_endpoint.paths[0]))
        )


@pytest.fixture(scope="module")
def api_schema() -> Any:
    return schemathesis.openapi.from_dict(_DOCUMENT)


@pytest.fixture
def server_settings() -> ServerSettings:
    # No webhook worker thread to start and stop around every operation's app.
    return ServerSettings(webhook_worker=False)


def _send(http: TestClient, case: Any) -> Any:
    """The case's request through the test client (httpx spells a raw body content=)."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    kwargs.pop("cookies", None)
    if isinstance(kwargs.get("data"), bytes | str):
        kwargs["content"] = kwargs.pop("data")
    return http.request(**kwargs)


def _seed(http: TestClient) -> None:
    """The document's example resources: a model, versions, alias, stage, run, metric."""

    def post(path: str, body: dict[str, Any]) -> Any:
        response = http.post(f"/api/2.0/mlflow/{path}", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    name = "churn-predictor"
    post(
        "registered-models/create",
        {"name": name, "description": "d", "tags": [{"key": "team", "value": "ml"}]},
    )
    for _ in range(2):
        post("model-versions/create", {"name": name, "source": "s3://bucket/churn"})
    post("registered-models/alias", {"name": name, "alias": "champion", "version": "1"})
    post("model-versions/set-tag", {"name": name, "version": "1", "key": "k", "value": "v"})
    post("model-versions/transition-stage", {"name": name, "version": "1", "stage": "Staging"})
    experiment = post("experiments/create", {"name": "fuzz"})["experiment_id"]
    run = post("runs/create", {"experiment_id": experiment})["run"]["info"]["run_id"]
    post("runs/log-metric", {"run_id": run, "key": "loss", "value": 0.5, "timestamp": 1})
    post("runs/log-parameter", {"run_id": run, "key": "alpha", "value": "1"})


def _declared_statuses(case: Any) -> set[str]:
    return set(case.operation.definition.raw["responses"])


def _check(http: TestClient, case: Any) -> None:
    response = _send(http, case)
    if response.status_code >= 500:
        assert str(response.status_code) in _declared_statuses(case), (
            f"undeclared {response.status_code}: {response.text[:500]}\n{case.as_curl_command()}"
        )
    case.validate_response(response, checks=[response_schema_conformance, content_type_conformance])


def _fuzz(http: TestClient, operation: Any) -> None:
    """The document's examples once each (they name the seeded resources), then
    ``EXAMPLES`` generated requests."""
    runs = [(strategy, 1) for strategy in operation.get_strategies_from_examples()]
    for strategy, examples in [*runs, (operation.as_strategy(), EXAMPLES)]:

        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def answers_as_documented(case: Any) -> None:
            _check(http, case)

        answers_as_documented()


@pytest.mark.parametrize("tag", sorted(OPERATIONS))
def test_operations_answer_as_documented(api_schema: Any, http: TestClient, tag: str) -> None:
    _seed(http)
    failures = []
    for method, path in OPERATIONS[tag]:
        try:
            _fuzz(http, api_schema[path][method])
        except Exception as error:  # every operation of the group is tried, then reported
            failures.append(f"{method.upper()} {path}: {error}")
    assert not failures, "\n\n".join(failures)
