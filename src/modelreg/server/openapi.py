"""The OpenAPI 3.1 document, generated from the same route tables that mount the routes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from modelreg._version import __version__
from modelreg.server.routing import Endpoint, Field
from modelreg.server.schemas import COMPONENTS, Schema, obj, ref

_ERROR_RESPONSE = {
    "description": 'Error envelope {"error_code", "message"}; see the MLflow error codes.',
    "content": {"application/json": {"schema": ref("Error")}},
}
_DESCRIPTION = (
    "MLflow-compatible model registry. Every /api/2.0 endpoint is also served under "
    "/ajax-api/2.0 (as MLflow does for its web UI). GET endpoints take their fields as "
    "query parameters (repeat a key for an array); the others take a JSON object body "
    "with Content-Type: application/json, DELETE included."
)


def _operation_id(endpoint: Endpoint, index: int, path: str) -> str:
    # Stable ids: the first path keeps the table's id, aliases get a predictable suffix.
    if index == 0:
        return endpoint.operation_id
    if path.startswith("/ajax-api/"):
        return f"{endpoint.operation_id}Ajax"
    return f"{endpoint.operation_id}Alt{index}"


def _parameter(field: Field) -> dict[str, Any]:
    parameter: dict[str, Any] = {
        "name": field.name,
        "in": "query",
        "required": field.required,
        "schema": field.schema,
    }
    if field.schema.get("type") == "array":
        parameter.update(style="form", explode=True)
    if field.description:
        parameter["description"] = field.description
    return parameter


def _body_schema(fields: tuple[Field, ...]) -> Schema:
    properties: dict[str, Schema] = {}
    for field in fields:
        schema = dict(field.schema)
        if field.description:
            schema["description"] = field.description
        properties[field.name] = schema
    return obj(properties, tuple(f.name for f in fields if f.required))


def _operation(endpoint: Endpoint, operation_id: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
    }
    if endpoint.method == "GET":
        if endpoint.fields:
            operation["parameters"] = [_parameter(field) for field in endpoint.fields]
    elif endpoint.fields:
        operation["requestBody"] = {
            "required": any(field.required for field in endpoint.fields),
            "content": {"application/json": {"schema": _body_schema(endpoint.fields)}},
        }
    operation["responses"] = {
        "200": {
            "description": "Success.",
            "content": {endpoint.response_media_type: {"schema": endpoint.response}},
        },
        "default": _ERROR_RESPONSE,
    }
    return operation


def document(endpoints: Iterable[Endpoint]) -> dict[str, Any]:
    """The whole OpenAPI document for ``endpoints``."""
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        for index, path in enumerate(endpoint.paths):
            operation = _operation(endpoint, _operation_id(endpoint, index, path))
            paths.setdefault(path, {})[endpoint.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "modelreg", "version": __version__, "description": _DESCRIPTION},
        "paths": paths,
        "components": {"schemas": COMPONENTS},
    }
