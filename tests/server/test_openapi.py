"""The OpenAPI document covers every mounted route, and its references resolve."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

from modelreg import limits, validation
from modelreg.errors import InvalidArgument
from modelreg.server.openapi import openapi_path
from tests.server.asgi import TestClient


def _mounted(app: Starlette) -> set[tuple[str, str]]:
    pairs = set()
    for route in app.routes:
        if _is_web_ui(route):
            continue  # HTML pages and their assets (docs/ui.md), not API operations
        assert isinstance(route, Route)
        for method in route.methods or ():
            if method != "HEAD":  # implied by GET, as in every OpenAPI document
                pairs.add((openapi_path(route.path), method.lower()))
    return pairs


def _is_web_ui(route: BaseRoute) -> bool:
    if isinstance(route, Mount):
        return route.path == "/static"
    endpoint = getattr(route, "endpoint", None)
    return getattr(endpoint, "__module__", "").startswith("modelreg.server.ui.")


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_document_is_served_at_both_paths(http: TestClient) -> None:
    root = http.get("/openapi.json")
    assert root.status_code == 200
    assert root.json() == http.get("/api/2.0/mlflow/openapi.json").json()
    assert root.json()["openapi"] == "3.1.0"


def test_every_mounted_route_is_documented(app: Starlette, http: TestClient) -> None:
    document = http.get("/openapi.json").json()
    documented = {
        (path, method) for path, operations in document["paths"].items() for method in operations
    }
    assert documented == _mounted(app)


def test_operations_are_well_formed(http: TestClient) -> None:
    document = http.get("/openapi.json").json()
    ids = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            ids.append(operation["operationId"])
            assert operation["summary"]
            assert "200" in operation["responses"] or set(operation["responses"]) == {"501"}
            in_path = {p["name"] for p in operation.get("parameters", ()) if p["in"] == "path"}
            assert in_path == set(re.findall(r"\{(\w+)\}", path)), path
            if method == "get":
                assert "requestBody" not in operation
                for parameter in operation.get("parameters", ()):
                    assert parameter["in"] in ("query", "path")
            elif "/registered-models/" in path or "/model-versions/" in path:
                schema = operation["requestBody"]["content"]["application/json"]["schema"]
                assert "name" in schema["required"]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    components = document["components"]["schemas"]
    for ref in set(_refs(document)):
        assert ref.removeprefix("#/components/schemas/") in components, ref


def test_known_operations(http: TestClient) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    search = paths["/api/2.0/mlflow/model-versions/search"]["get"]
    order_by = next(p for p in search["parameters"] if p["name"] == "order_by")
    assert order_by["schema"]["type"] == "array" and order_by["explode"] is True
    delete = paths["/api/2.0/mlflow/registered-models/delete"]["delete"]
    assert delete["requestBody"]["content"]["application/json"]["schema"]["required"] == ["name"]
    assert paths["/ajax-api/2.0/mlflow/registered-models/get"]["get"]["operationId"] == (
        "getRegisteredModelAjax"
    )
    latest = paths["/api/2.0/mlflow/registered-models/get-latest-versions"]
    assert set(latest) == {"get", "post"}


def test_path_parameters_and_raw_bodies(http: TestClient) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    logged = paths["/api/2.0/mlflow/logged-models/{model_id}"]
    assert set(logged) == {"get", "patch", "delete"}
    (parameter,) = logged["get"]["parameters"]
    assert (parameter["name"], parameter["in"], parameter["required"]) == ("model_id", "path", True)
    upload = paths["/api/2.0/mlflow-artifacts/artifacts/{artifact_path}"]["put"]
    assert set(upload["requestBody"]["content"]) == {"application/octet-stream"}
    download = paths["/api/2.0/mlflow-artifacts/artifacts/{artifact_path}"]["get"]
    assert set(download["responses"]["200"]["content"]) == {"application/octet-stream"}


def _body(paths: dict[str, Any], path: str, method: str = "post") -> dict[str, Any]:
    operation = paths[f"/api/2.0/{path}"][method]
    schema: dict[str, Any] = operation["requestBody"]["content"]["application/json"]["schema"]
    return schema


def _query(paths: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    parameters = paths[f"/api/2.0/{path}"]["get"]["parameters"]
    schema: dict[str, Any] = next(p["schema"] for p in parameters if p["name"] == name)
    return schema


def test_multipart_upload_is_documented_and_answered_as_501(http: TestClient) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    for step in ("create", "complete", "abort"):
        path = f"/api/2.0/mlflow-artifacts/mpu/{step}/{{artifact_path}}"
        assert set(paths[path]["post"]["responses"]) == {"501"}
        response = http.post(f"/api/2.0/mlflow-artifacts/mpu/{step}/a/b.bin")
        assert response.status_code == 501
        assert response.json()["error_code"] == "NOT_IMPLEMENTED"


def test_page_sizes_are_the_services_limits(http: TestClient) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    expected = {
        "mlflow/registered-models/search": (limits.SEARCH_MODELS_MAX, 100),
        "mlflow/model-versions/search": (limits.SEARCH_VERSIONS_MAX, limits.SEARCH_VERSIONS_MAX),
        "modelreg/events": (limits.SEARCH_EVENTS_MAX, limits.SEARCH_EVENTS_DEFAULT),
        "modelreg/webhooks": (limits.WEBHOOKS_PAGE_MAX, limits.WEBHOOKS_PAGE_DEFAULT),
        "mlflow/metrics/get-history-bulk-interval": (2500, 2500),
    }
    for path, (maximum, default) in expected.items():
        schema = _query(paths, path, "max_results")
        assert (schema["minimum"], schema["maximum"], schema["default"]) == (1, maximum, default)
    history = _query(paths, "mlflow/metrics/get-history", "max_results")
    assert (history["maximum"], "default" in history) == (limits.METRIC_HISTORY_MAX, False)
    runs = _body(paths, "mlflow/runs/search")["properties"]["max_results"]
    assert runs["maximum"] == limits.SEARCH_RUNS_MAX


def test_page_size_limits_are_enforced(http: TestClient) -> None:
    search = "/api/2.0/mlflow/registered-models/search"
    assert http.get(search, params={"max_results": limits.SEARCH_MODELS_MAX}).status_code == 200
    for refused in (0, limits.SEARCH_MODELS_MAX + 1):
        response = http.get(search, params={"max_results": refused})
        assert response.status_code == 400, refused
        assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_name_rules_are_the_validators(http: TestClient) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    name = _body(paths, "mlflow/registered-models/create")["properties"]["name"]
    assert (name["minLength"], name["maxLength"]) == (1, validation.MAX_NAME_LENGTH)
    pattern = re.compile(name["pattern"])
    for candidate in ("churn", ".hidden", "a..b", "é b", ".", "..", "..x", "a/b", "a:b"):
        try:
            validation.validate_model_name(candidate)
            accepted = True
        except InvalidArgument:
            accepted = False
        assert bool(pattern.match(candidate)) == accepted, candidate
    alias = _body(paths, "mlflow/registered-models/alias")["properties"]["alias"]
    assert (alias["maxLength"], alias["pattern"]) == (
        validation.MAX_ALIAS_LENGTH,
        validation.ALIAS_PATTERN,
    )
    key = _body(paths, "mlflow/registered-models/set-tag")["properties"]["key"]
    assert (key["maxLength"], key["pattern"]) == (
        validation.MAX_TAG_KEY_LENGTH,
        validation.TAG_KEY_PATTERN,
    )


def test_version_bounds(http: TestClient) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    version = _query(paths, "mlflow/model-versions/get", "version")
    text, number = version["anyOf"]
    assert (number["minimum"], number["maximum"]) == (1, validation.MAX_VERSION)
    assert re.match(text["pattern"], " 12 ") and not re.match(text["pattern"], "12345678901")
    for refused in ("0", str(validation.MAX_VERSION + 1), "x"):
        response = http.get(
            "/api/2.0/mlflow/model-versions/get", params={"name": "m", "version": refused}
        )
        assert response.status_code == 400, refused


def test_null_is_documented_where_it_is_read_as_absent(http: TestClient) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    create = _body(paths, "mlflow/registered-models/create")["properties"]
    assert create["description"]["type"] == ["string", "null"]
    assert create["name"]["type"] == "string"  # required: null is "missing"
    made = http.post(
        "/api/2.0/mlflow/registered-models/create",
        json={"name": "m", "description": None, "tags": None},
    )
    assert made.status_code == 200, made.text
    # A tag value's null is refused (it is not the empty string), so it is not nullable.
    set_tag = _body(paths, "mlflow/registered-models/set-tag")["properties"]
    assert set_tag["value"]["type"] == "string"
    refused = http.post(
        "/api/2.0/mlflow/registered-models/set-tag", json={"name": "m", "key": "k", "value": None}
    )
    assert refused.status_code == 400
    event = paths["/api/2.0/modelreg/events"]["get"]["responses"]["200"]["content"]
    properties = event["application/json"]["schema"]["properties"]["events"]["items"]
    assert properties["properties"]["version"]["type"] == ["integer", "null"]
