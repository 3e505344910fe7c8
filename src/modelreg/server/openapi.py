"""The OpenAPI 3.1 document, generated from the same route tables that mount the routes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

from modelreg._version import __version__
from modelreg.server.routing import Endpoint, Field
from modelreg.server.schemas import BINARY, COMPONENTS, Schema, nullable, obj, ref

_ERROR_RESPONSE = {
    "description": 'Error envelope {"error_code", "message"}; see the MLflow error codes.',
    "content": {"application/json": {"schema": ref("Error")}},
}
_NOT_IMPLEMENTED_RESPONSE = {
    "description": "Not supported by this server: NOT_IMPLEMENTED in the error envelope.",
    "content": {"application/json": {"schema": ref("Error")}},
}
# Starlette's "{name:converter}" path parameters; OpenAPI spells them "{name}".
_PATH_PARAMETER: Final = re.compile(r"\{(\w+)(?::\w+)?\}")
_DESCRIPTION = (
    "MLflow-compatible model registry. Every /api/2.0 endpoint is also served under "
    "/ajax-api/2.0 (as MLflow does for its web UI). GET endpoints take their fields as "
    "query parameters (repeat a key for an array); the others take a JSON object body "
    "with Content-Type: application/json, DELETE included; an optional body field sent "
    "as null is read as absent (as MLflow does) unless its schema says otherwise. No "
    "text field may contain NUL (\\u0000): 400 INVALID_PARAMETER_VALUE names the field. "
    "The artifact proxy (/api/2.0/mlflow-artifacts/artifacts/<path>) takes and returns "
    "raw bytes."
)


def _operation_id(endpoint: Endpoint, index: int, path: str) -> str:
    # Stable ids: the first path keeps the table's id, aliases get a predictable suffix.
    if index == 0:
        return endpoint.operation_id
    if path.startswith("/ajax-api/"):
        return f"{endpoint.operation_id}Ajax"
    return f"{endpoint.operation_id}Alt{index}"


def openapi_path(path: str) -> str:
    """The route path as OpenAPI writes it (``{name:path}`` becomes ``{name}``)."""
    return _PATH_PARAMETER.sub(r"{\1}", path)


def _parameter(field: Field, where: str = "query") -> dict[str, Any]:
    parameter: dict[str, Any] = {
        "name": field.name,
        "in": where,
        "required": field.required or where == "path",
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
        properties[field.name] = (
            nullable(schema) if field.nullable and not field.required else schema
        )
    return obj(properties, tuple(f.name for f in fields if f.required))


def _operation(endpoint: Endpoint, operation_id: str, path: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
    }
    in_path = set(_PATH_PARAMETER.findall(path))
    parameters = [_parameter(f, "path") for f in endpoint.fields if f.name in in_path]
    fields = tuple(f for f in endpoint.fields if f.name not in in_path)
    if endpoint.method == "GET":
        parameters += [_parameter(field) for field in fields]
    elif endpoint.request_media_type != "application/json":
        operation["requestBody"] = {
            "required": True,
            "content": {endpoint.request_media_type: {"schema": BINARY}},
        }
    elif fields:
        operation["requestBody"] = {
            "required": any(field.required for field in fields),
            "content": {"application/json": {"schema": _body_schema(fields)}},
        }
    if parameters:
        operation["parameters"] = parameters
    if endpoint.not_implemented:
        operation["responses"] = {"501": _NOT_IMPLEMENTED_RESPONSE}
        return operation
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
            operation = _operation(endpoint, _operation_id(endpoint, index, path), path)
            paths.setdefault(openapi_path(path), {})[endpoint.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "modelreg", "version": __version__, "description": _DESCRIPTION},
        "paths": paths,
        "components": {"schemas": COMPONENTS},
    }
