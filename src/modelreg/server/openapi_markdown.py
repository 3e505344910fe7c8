"""``python -m modelreg.server.openapi_markdown > docs/reference/rest.md``.

The REST reference page of the documentation site, rendered from the same OpenAPI
document the server serves at ``/openapi.json`` (tests/server/test_openapi_markdown.py
fails when the committed page drifts from it). Each operation is listed once, under its
first path; the aliases (``/ajax-api/2.0/...``, MLflow's older spellings) are named
under it rather than repeated.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from modelreg.server.app import endpoints
from modelreg.server.openapi import document, openapi_path

# Section order and titles, by OpenAPI tag.
_TAGS = {
    "server": "Server",
    "registry": "Model registry (MLflow)",
    "modelreg": "Approvals, policies and status checks",
    "tracking": "Tracking (MLflow)",
    "artifacts": "Artifacts",
    "history": "History",
    "webhooks": "Webhooks",
    "databricks": "Databricks compatibility",
    "auth": "Users, permissions and tokens",
}


def _type(schema: dict[str, Any]) -> str:
    """A short human name for a schema with its limits: ``string``, ``array of Tag``,
    ``integer, 1 to 1000, default 100``, ``RegisteredModel``."""
    if "$ref" in schema:
        return f"[{schema['$ref'].rsplit('/', 1)[-1]}](#schemas)"
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return " or ".join(_type(option) for option in options)
    kind = schema.get("type", "object")
    if isinstance(kind, list) and "null" in kind:
        rest = [k for k in kind if k != "null"]
        return f"null or {_type({**schema, 'type': rest[0] if len(rest) == 1 else rest})}"
    if isinstance(kind, list):
        kind = " or ".join(str(k) for k in kind)
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}{_limits(schema)}"
    if "enum" in schema:
        return f"{kind} (one of {', '.join(f'`{v}`' for v in schema['enum'])})"
    return f"{kind}{_limits(schema)}"


def _limits(schema: dict[str, Any]) -> str:
    """The constraints a schema declares, as the server enforces them."""
    parts = []
    if "minimum" in schema or "maximum" in schema:
        parts.append(f"{schema.get('minimum', '…')} to {schema.get('maximum', '…')}")
    if "maxLength" in schema:
        parts.append(f"{schema.get('minLength', 0)} to {schema['maxLength']} characters")
    if "maxItems" in schema:
        parts.append(f"{schema.get('minItems', 0)} to {schema['maxItems']} items")
    if "pattern" in schema:
        parts.append(f"pattern `{schema['pattern']}`")
    if "default" in schema:
        parts.append(f"default {schema['default']}")
    return "".join(f", {part}" for part in parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _parameters(operation: dict[str, Any]) -> list[str]:
    rows: list[str] = []
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        rows.append(
            f"| `{parameter['name']}` | {parameter['in']} | {_cell(_type(schema))} | "
            f"{'yes' if parameter.get('required') else ''} | "
            f"{_cell(parameter.get('description') or schema.get('description', ''))} |"
        )
    body = operation.get("requestBody", {}).get("content", {})
    for media_type, content in body.items():
        schema = content.get("schema", {})
        if media_type != "application/json":
            rows.append(f"| (body) | body | raw bytes, `{media_type}` | yes | |")
            continue
        required = set(schema.get("required", ()))
        for name, field in schema.get("properties", {}).items():
            rows.append(
                f"| `{name}` | body | {_cell(_type(field))} | "
                f"{'yes' if name in required else ''} | {_cell(field.get('description', ''))} |"
            )
    if not rows:
        return []
    return ["| Field | In | Type | Required | Description |", "|---|---|---|---|---|", *rows, ""]


def _response(operation: dict[str, Any]) -> list[str]:
    if "200" not in operation["responses"]:
        statuses = ", ".join(operation["responses"])
        return [f"Answers: {statuses} (the error envelope), always.", ""]
    content = operation["responses"]["200"]["content"]
    lines: list[str] = []
    for media_type, body in content.items():
        schema = body.get("schema", {})
        properties = schema.get("properties")
        if media_type == "application/json" and properties:
            fields = ", ".join(f"`{name}` ({_type(f)})" for name, f in properties.items())
            lines.append(f"Returns: {fields}.")
        elif media_type == "application/json":
            lines.append("Returns: a JSON object.")
        else:
            lines.append(f"Returns: `{media_type}`.")
    return [*lines, ""]


def render_markdown() -> str:
    """The whole REST reference page."""
    table = endpoints()
    spec = document(table)
    out = [
        "# REST API reference",
        "",
        "<!-- Generated: python -m modelreg.server.openapi_markdown > docs/reference/rest.md -->",
        "",
        "Generated from the OpenAPI document the server serves at `GET /openapi.json`. "
        f"{spec['info']['description']}",
        "",
        "Errors answer with a non-2xx status and the envelope "
        '`{"error_code": "...", "message": "..."}` (see [Server](../server.md)).',
        "",
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any], list[str]]]] = {}
    for endpoint in table:
        first = openapi_path(endpoint.paths[0])
        method = endpoint.method.lower()
        operation = spec["paths"][first][method]
        aliases = [openapi_path(path) for path in endpoint.paths[1:]]
        by_tag.setdefault(endpoint.tag, []).append((method, first, operation, aliases))
    tags = [*_TAGS, *sorted(set(by_tag) - set(_TAGS))]
    for tag in tags:
        if tag not in by_tag:
            continue
        out += [f"## {_TAGS.get(tag, tag.capitalize())}", ""]
        for method, path, operation, aliases in by_tag[tag]:
            out += [f"### `{method.upper()} {path}`", "", operation["summary"], ""]
            if aliases:
                out += ["Also at: " + ", ".join(f"`{alias}`" for alias in aliases) + ".", ""]
            out += _parameters(operation)
            out += _response(operation)
    out += ["## Schemas", ""]
    for name, schema in spec["components"]["schemas"].items():
        out += [
            f"### {name}",
            "",
            "```json",
            json.dumps(schema, indent=2, sort_keys=True),
            "```",
            "",
        ]
    return "\n".join(out).rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
