"""The OpenAPI document covers every mounted route, and its references resolve."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

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
            assert "200" in operation["responses"]
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
