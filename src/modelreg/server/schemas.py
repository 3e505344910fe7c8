"""JSON Schema fragments for the route tables and the OpenAPI components they point at."""

from __future__ import annotations

from typing import Any, Final

Schema = dict[str, Any]

STRING: Final[Schema] = {"type": "string"}
INTEGER: Final[Schema] = {"type": "integer", "format": "int64"}
BOOLEAN: Final[Schema] = {"type": "boolean"}
TIMESTAMP: Final[Schema] = {
    "type": "integer",
    "format": "int64",
    "description": "Milliseconds since the Unix epoch.",
}
VERSION: Final[Schema] = {
    "type": "string",
    "pattern": "^[0-9]+$",
    "description": "Version number, as a string (the MLflow client requires a string).",
}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


EMPTY: Final[Schema] = obj({})
TAGS: Final[Schema] = array(ref("Tag"))
STAGE: Final[Schema] = {
    "type": "string",
    "description": "None, Staging, Production or Archived (case-insensitive).",
}

COMPONENTS: Final[dict[str, Schema]] = {
    "Tag": obj({"key": STRING, "value": STRING}, ("key",)),
    "RegisteredModelAlias": obj({"alias": STRING, "version": VERSION}, ("alias", "version")),
    "ModelVersion": obj(
        {
            "name": STRING,
            "version": VERSION,
            "creation_timestamp": TIMESTAMP,
            "last_updated_timestamp": TIMESTAMP,
            "user_id": STRING,
            "current_stage": STAGE,
            "description": STRING,
            "source": STRING,
            "run_id": STRING,
            "status": {"type": "string", "enum": ["READY"]},
            "status_message": STRING,
            "tags": TAGS,
            "run_link": STRING,
            "aliases": array(STRING),
            "model_id": STRING,
        },
        ("name", "version", "creation_timestamp", "current_stage", "status"),
    ),
    "RegisteredModel": obj(
        {
            "name": STRING,
            "creation_timestamp": TIMESTAMP,
            "last_updated_timestamp": TIMESTAMP,
            "user_id": STRING,
            "description": STRING,
            "latest_versions": array(ref("ModelVersion")),
            "tags": TAGS,
            "aliases": array(ref("RegisteredModelAlias")),
        },
        ("name", "creation_timestamp", "last_updated_timestamp"),
    ),
    "Error": obj(
        {
            "error_code": {
                "type": "string",
                "description": "MLflow error code, e.g. RESOURCE_DOES_NOT_EXIST.",
            },
            "message": STRING,
        },
        ("error_code", "message"),
    ),
}
