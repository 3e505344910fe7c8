"""JSON Schema fragments for the route tables and the OpenAPI components they point at."""

from __future__ import annotations

from typing import Any, Final

from modelreg import validation as v

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


def nullable(schema: Schema) -> Schema:
    """``schema`` or JSON ``null``."""
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]}
    if isinstance(kind, list):
        return schema if "null" in kind else {**schema, "type": [*kind, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def text(max_length: int, description: str = "", *, min_length: int = 0) -> Schema:
    """A string of at most ``max_length`` characters (a limit the service enforces)."""
    schema: Schema = {"type": "string", "maxLength": max_length}
    if min_length:
        schema["minLength"] = min_length
    if description:
        schema["description"] = description
    return schema


def page_size(maximum: int, default: int | None = None) -> Schema:
    """``max_results``: the page sizes the service accepts, and what it uses when absent."""
    schema: Schema = {"type": "integer", "format": "int64", "minimum": 1, "maximum": maximum}
    if default is not None:
        schema["default"] = default
    return schema


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


# Request fields with the limits modelreg.validation enforces, from its own constants
# and patterns. (Responses use the plain types: what was stored is never re-checked.)
MODEL_NAME: Final[Schema] = {
    **text(v.MAX_NAME_LENGTH, min_length=1),
    "pattern": v.MODEL_NAME_PATTERN,
    "description": (
        f"Registered model name: 1 to {v.MAX_NAME_LENGTH} characters, not only spaces; "
        "no '/' or ':'; not '.' and not starting with '..'."
    ),
    "examples": ["churn-predictor"],
}
VERSION_NUMBER: Final[Schema] = {
    "anyOf": [
        {"type": "string", "pattern": v.VERSION_PATTERN, "examples": ["1"]},
        {"type": "integer", "minimum": 1, "maximum": v.MAX_VERSION},
    ],
    "description": f"Version number, 1 to {v.MAX_VERSION}: a decimal string or an integer.",
}
ALIAS_NAME: Final[Schema] = {
    **text(v.MAX_ALIAS_LENGTH, min_length=1),
    "pattern": v.ALIAS_PATTERN,
    "description": (
        "Letters, digits, '_' and '-'; not 'latest' nor 'v<number>' (any case), which "
        "always mean the newest version and that version."
    ),
    "examples": ["champion"],
}
TAG_KEY: Final[Schema] = {
    **text(v.MAX_TAG_KEY_LENGTH, min_length=1),
    "pattern": v.TAG_KEY_PATTERN,
    "description": (
        "Tag key: letters, digits, '_', '-', '.', ' ', ':' and '/'; not '.', not starting "
        "with '..' or '/', no '//' or '/./'."
    ),
}
TAG_VALUE: Final[Schema] = text(v.MAX_TAG_VALUE_LENGTH)
DESCRIPTION: Final[Schema] = text(v.MAX_DESCRIPTION_LENGTH)
REGISTRY_TAGS: Final[Schema] = {
    "type": "array",
    "items": obj({"key": TAG_KEY, "value": TAG_VALUE}, ("key",)),
    "description": "Tags as {key, value}, with set-tag's rules for each.",
}

EMPTY: Final[Schema] = obj({})
TAGS: Final[Schema] = array(ref("Tag"))
STAGE: Final[Schema] = {
    "type": "string",
    "description": "None, Staging, Production or Archived (case-insensitive).",
}
RUN_STATUS: Final[Schema] = {
    "type": "string",
    "enum": ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"],
}
VIEW_TYPE: Final[Schema] = {"type": "string", "enum": ["ACTIVE_ONLY", "DELETED_ONLY", "ALL"]}
LOGGED_MODEL_STATUS: Final[Schema] = {
    "type": "string",
    "enum": ["LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED"],
}
METRIC_VALUE: Final[Schema] = {
    "oneOf": [{"type": "number"}, {"enum": ["NaN", "Infinity", "-Infinity"]}],
    "description": "A number; NaN and infinities as the strings proto JSON uses.",
}
BINARY: Final[Schema] = {"type": "string", "format": "binary"}

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
    "Experiment": obj(
        {
            "experiment_id": STRING,
            "name": STRING,
            "artifact_location": STRING,
            "lifecycle_stage": {"type": "string", "enum": ["active", "deleted"]},
            "last_update_time": TIMESTAMP,
            "creation_time": TIMESTAMP,
            "tags": TAGS,
        },
        ("experiment_id", "name", "artifact_location", "lifecycle_stage"),
    ),
    "Metric": obj(
        {
            "key": STRING,
            "value": METRIC_VALUE,
            "timestamp": TIMESTAMP,
            "step": INTEGER,
            "model_id": STRING,
            "dataset_name": STRING,
            "dataset_digest": STRING,
            "run_id": STRING,
        },
        ("key", "value", "timestamp"),
    ),
    "RunInfo": obj(
        {
            "run_uuid": STRING,
            "experiment_id": STRING,
            "run_name": STRING,
            "user_id": STRING,
            "status": RUN_STATUS,
            "start_time": TIMESTAMP,
            "end_time": TIMESTAMP,
            "artifact_uri": STRING,
            "lifecycle_stage": STRING,
            "run_id": STRING,
        },
        ("run_id", "run_uuid", "experiment_id", "status", "artifact_uri"),
    ),
    "DatasetInput": obj(
        {
            "tags": TAGS,
            "dataset": obj(
                {
                    "name": STRING,
                    "digest": STRING,
                    "source_type": STRING,
                    "source": STRING,
                    "schema": STRING,
                    "profile": STRING,
                },
                ("name", "digest"),
            ),
        },
        ("dataset",),
    ),
    "ModelOutput": obj({"model_id": STRING, "step": INTEGER}, ("model_id",)),
    "Run": obj(
        {
            "info": ref("RunInfo"),
            "data": obj(
                {"metrics": array(ref("Metric")), "params": TAGS, "tags": TAGS},
            ),
            "inputs": obj(
                {
                    "dataset_inputs": array(ref("DatasetInput")),
                    "model_inputs": array(obj({"model_id": STRING})),
                }
            ),
            "outputs": obj({"model_outputs": array(ref("ModelOutput"))}),
        },
        ("info",),
    ),
    "LoggedModel": obj(
        {
            "info": obj(
                {
                    "model_id": STRING,
                    "experiment_id": STRING,
                    "name": STRING,
                    "creation_timestamp_ms": TIMESTAMP,
                    "last_updated_timestamp_ms": TIMESTAMP,
                    "artifact_uri": STRING,
                    "status": LOGGED_MODEL_STATUS,
                    "model_type": STRING,
                    "source_run_id": STRING,
                    "status_message": STRING,
                    "tags": TAGS,
                },
                ("model_id", "experiment_id", "name", "artifact_uri", "status"),
            ),
            "data": obj({"params": TAGS, "metrics": array(ref("Metric"))}),
        },
        ("info",),
    ),
    "FileInfo": obj(
        {"path": STRING, "is_dir": BOOLEAN, "file_size": INTEGER},
        ("path", "is_dir"),
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
