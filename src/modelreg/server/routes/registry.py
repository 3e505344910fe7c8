"""MLflow's Model Registry endpoints (mlflow-wire.md §3.1), under /api/2.0 and /ajax-api/2.0.

Each handler parses its fields, makes one service call and renders the result; the
table at the bottom declares method, path, fields and response for routing and OpenAPI.
"""

from __future__ import annotations

from typing import Any

from modelreg.codec import registry as rc
from modelreg.limits import SEARCH_MODELS_DEFAULT, SEARCH_MODELS_MAX, SEARCH_VERSIONS_MAX
from modelreg.server import wire as w
from modelreg.server.authz import (
    AUTHENTICATED,
    EDIT,
    MANAGE,
    READ,
    Creates,
    ModelPermission,
    VersionSource,
)
from modelreg.server.context import Call
from modelreg.server.routing import Endpoint, Field, api_paths
from modelreg.server.schemas import (
    ALIAS_NAME,
    BOOLEAN,
    DESCRIPTION,
    EMPTY,
    MODEL_NAME,
    REGISTRY_TAGS,
    STAGE,
    STRING,
    TAG_KEY,
    TAG_VALUE,
    VERSION_NUMBER,
    array,
    obj,
    page_size,
    ref,
    text,
)
from modelreg.validation import (
    MAX_MODEL_ID_LENGTH,
    MAX_RUN_ID_LENGTH,
    MAX_RUN_LINK_LENGTH,
    MAX_SOURCE_LENGTH,
)

Body = dict[str, Any]

# Defaults when max_results is absent: the proto2 defaults of the request messages. (The
# MLflow client always sends it; only hand-written requests rely on these.)
MODELS_PAGE_DEFAULT = SEARCH_MODELS_DEFAULT
VERSIONS_PAGE_DEFAULT = SEARCH_VERSIONS_MAX

_OK: Body = {}


# ------------------------------------------------------------ registered models
def create_registered_model(call: Call) -> Body:
    p = call.params
    model = call.registry.create_registered_model(
        w.required_str(p, "name"), w.optional_tags(p), w.optional_str(p, "description")
    )
    return {"registered_model": rc.registered_model_json(model)}


def get_registered_model(call: Call) -> Body:
    model = call.registry.get_registered_model(w.required_str(call.params, "name"))
    return {"registered_model": rc.registered_model_json(model)}


def rename_registered_model(call: Call) -> Body:
    p = call.params
    model = call.registry.rename_registered_model(
        w.required_str(p, "name"), w.required_str(p, "new_name")
    )
    return {"registered_model": rc.registered_model_json(model)}


def update_registered_model(call: Call) -> Body:
    p = call.params
    # An absent description clears it, as on MLflow's server.
    model = call.registry.update_registered_model(
        w.required_str(p, "name"), w.optional_str(p, "description")
    )
    return {"registered_model": rc.registered_model_json(model)}


def delete_registered_model(call: Call) -> Body:
    call.registry.delete_registered_model(w.required_str(call.params, "name"))
    return _OK


def search_registered_models(call: Call) -> Body:
    p = call.params
    max_results = w.optional_int(p, "max_results")
    found = call.registry.search_registered_models(
        w.optional_str(p, "filter"),
        MODELS_PAGE_DEFAULT if max_results is None else max_results,
        w.optional_strings(p, "order_by"),
        w.optional_str(p, "page_token"),
    )
    body: Body = {}
    if found:  # empty repeated fields are omitted, as MLflow's server does
        body["registered_models"] = [rc.registered_model_json(model) for model in found]
    if found.token:
        body["next_page_token"] = found.token
    return body


def get_latest_versions(call: Call) -> Body:
    p = call.params
    found = call.registry.get_latest_versions(
        w.required_str(p, "name"), w.optional_strings(p, "stages")
    )
    return {"model_versions": rc.model_versions_json(found)} if found else {}


def set_registered_model_tag(call: Call) -> Body:
    p = call.params
    call.registry.set_registered_model_tag(
        w.required_str(p, "name"), w.required_str(p, "key"), w.tag_value(p)
    )
    return _OK


def delete_registered_model_tag(call: Call) -> Body:
    p = call.params
    call.registry.delete_registered_model_tag(w.required_str(p, "name"), w.required_str(p, "key"))
    return _OK


def set_registered_model_alias(call: Call) -> Body:
    p = call.params
    call.registry.set_registered_model_alias(
        w.required_str(p, "name"), w.required_str(p, "alias"), w.required_version(p)
    )
    return _OK


def delete_registered_model_alias(call: Call) -> Body:
    p = call.params
    call.registry.delete_registered_model_alias(
        w.required_str(p, "name"), w.required_str(p, "alias")
    )
    return _OK


def get_model_version_by_alias(call: Call) -> Body:
    p = call.params
    found = call.registry.get_model_version_by_alias(
        w.required_str(p, "name"), w.required_str(p, "alias")
    )
    return {"model_version": rc.model_version_json(found)}


# ------------------------------------------------------------ model versions
def create_model_version(call: Call) -> Body:
    p = call.params
    created = call.registry.create_model_version(
        w.required_str(p, "name"),
        w.required_str(p, "source"),
        run_id=w.optional_str(p, "run_id"),
        tags=w.optional_tags(p),
        run_link=w.optional_str(p, "run_link"),
        description=w.optional_str(p, "description"),
        model_id=w.optional_str(p, "model_id"),
    )
    return {"model_version": rc.model_version_json(created)}


def get_model_version(call: Call) -> Body:
    p = call.params
    found = call.registry.get_model_version(w.required_str(p, "name"), w.required_version(p))
    return {"model_version": rc.model_version_json(found)}


def update_model_version(call: Call) -> Body:
    p = call.params
    updated = call.registry.update_model_version(
        w.required_str(p, "name"), w.required_version(p), w.optional_str(p, "description")
    )
    return {"model_version": rc.model_version_json(updated)}


def transition_model_version_stage(call: Call) -> Body:
    p = call.params
    moved = call.registry.transition_model_version_stage(
        w.required_str(p, "name"),
        w.required_version(p),
        w.required_str(p, "stage"),
        w.optional_bool(p, "archive_existing_versions"),
    )
    return {"model_version": rc.model_version_json(moved)}


def delete_model_version(call: Call) -> Body:
    p = call.params
    call.registry.delete_model_version(w.required_str(p, "name"), w.required_version(p))
    return _OK


def get_model_version_download_uri(call: Call) -> Body:
    p = call.params
    uri = call.registry.get_model_version_download_uri(
        w.required_str(p, "name"), w.required_version(p)
    )
    return {"artifact_uri": uri}


def search_model_versions(call: Call) -> Body:
    p = call.params
    max_results = w.optional_int(p, "max_results")
    found = call.registry.search_model_versions(
        w.optional_str(p, "filter"),
        VERSIONS_PAGE_DEFAULT if max_results is None else max_results,
        w.optional_strings(p, "order_by"),
        w.optional_str(p, "page_token"),
    )
    body: Body = {}
    if found:
        body["model_versions"] = rc.model_versions_json(found)
    if found.token:
        body["next_page_token"] = found.token
    return body


def set_model_version_tag(call: Call) -> Body:
    p = call.params
    call.registry.set_model_version_tag(
        w.required_str(p, "name"), w.required_version(p), w.required_str(p, "key"), w.tag_value(p)
    )
    return _OK


def delete_model_version_tag(call: Call) -> Body:
    p = call.params
    call.registry.delete_model_version_tag(
        w.required_str(p, "name"), w.required_version(p), w.required_str(p, "key")
    )
    return _OK


# ------------------------------------------------------ modelreg extensions
def get_model_version_manifest(call: Call) -> Body:
    p = call.params
    manifest = call.registry.get_model_version_manifest(
        w.required_str(p, "name"), w.required_version(p)
    )
    # No manifest (an external source the registry did not copy) is an absent field.
    return {} if manifest is None else {"manifest": manifest}


# ------------------------------------------------------------------ the table
NAME = Field("name", MODEL_NAME, required=True)
VERSION_FIELD = Field("version", VERSION_NUMBER, required=True)
KEY = Field("key", TAG_KEY, required=True)
VALUE = Field(
    "value",
    TAG_VALUE,
    description="Tag value; absent means the empty string (null is refused).",
    nullable=False,
)
ALIAS = Field("alias", ALIAS_NAME, required=True)


def _search_fields(default: int, maximum: int) -> tuple[Field, ...]:
    return (
        Field("filter", STRING, description="Search filter, e.g. name LIKE 'churn%'."),
        Field("max_results", page_size(maximum, default)),
        Field("order_by", array(STRING), description="e.g. name ASC; repeatable."),
        Field("page_token", STRING, description="next_page_token of the previous page."),
    )


STAGES = Field("stages", array(STAGE), description="Stages to report; all when absent.")

RM = obj({"registered_model": ref("RegisteredModel")})
MV = obj({"model_version": ref("ModelVersion")})
MVS = obj({"model_versions": array(ref("ModelVersion"))})


def _rm(path: str) -> tuple[str, ...]:
    return api_paths(f"/mlflow/registered-models/{path}")


def _mv(path: str) -> tuple[str, ...]:
    return api_paths(f"/mlflow/model-versions/{path}")


def _ext(path: str) -> tuple[str, ...]:
    # modelreg's own endpoints: MLflow's conventions under a prefix MLflow does not use.
    return api_paths(f"/modelreg/{path}")


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "POST",
        _rm("create"),
        "createRegisteredModel",
        "Create a registered model.",
        RM,
        (NAME, Field("tags", REGISTRY_TAGS), Field("description", DESCRIPTION)),
        create_registered_model,
        permission=Creates("registered_model", from_field="name"),
    ),
    Endpoint(
        "GET",
        _rm("get"),
        "getRegisteredModel",
        "Get a registered model with its tags, aliases and latest version per stage.",
        RM,
        (NAME,),
        get_registered_model,
        bounded_read=True,
        permission=ModelPermission(READ),
    ),
    Endpoint(
        "POST",
        _rm("rename"),
        "renameRegisteredModel",
        "Rename a registered model.",
        RM,
        (NAME, Field("new_name", MODEL_NAME, required=True)),
        rename_registered_model,
        permission=ModelPermission(EDIT),
    ),
    Endpoint(
        "PATCH",
        _rm("update"),
        "updateRegisteredModel",
        "Set a registered model's description (absent clears it).",
        RM,
        (NAME, Field("description", DESCRIPTION)),
        update_registered_model,
        permission=ModelPermission(EDIT),
    ),
    Endpoint(
        "DELETE",
        _rm("delete"),
        "deleteRegisteredModel",
        "Delete a registered model with its versions, tags and aliases.",
        EMPTY,
        (NAME,),
        delete_registered_model,
        permission=ModelPermission(MANAGE),
    ),
    Endpoint(
        "GET",
        _rm("search"),
        "searchRegisteredModels",
        "Search registered models.",
        obj(
            {
                "registered_models": array(ref("RegisteredModel")),
                "next_page_token": STRING,
            }
        ),
        _search_fields(MODELS_PAGE_DEFAULT, SEARCH_MODELS_MAX),
        search_registered_models,
        pure_read=True,
        permission=AUTHENTICATED,
    ),
    Endpoint(
        "POST",
        _rm("get-latest-versions"),
        "getLatestVersions",
        "Latest version in each requested stage (deprecated in MLflow).",
        MVS,
        (NAME, STAGES),
        get_latest_versions,
        bounded_read=True,
        permission=ModelPermission(READ),
    ),
    Endpoint(
        "GET",
        _rm("get-latest-versions"),
        "getLatestVersionsGet",
        "Latest version in each requested stage (GET form; stages repeatable).",
        MVS,
        (NAME, STAGES),
        get_latest_versions,
        bounded_read=True,
        permission=ModelPermission(READ),
    ),
    Endpoint(
        "POST",
        _rm("set-tag"),
        "setRegisteredModelTag",
        "Set a tag on a registered model.",
        EMPTY,
        (NAME, KEY, VALUE),
        set_registered_model_tag,
        permission=ModelPermission(EDIT),
    ),
    Endpoint(
        "DELETE",
        _rm("delete-tag"),
        "deleteRegisteredModelTag",
        "Delete a tag of a registered model (a missing key is a no-op).",
        EMPTY,
        (NAME, KEY),
        delete_registered_model_tag,
        permission=ModelPermission(EDIT),
    ),
    Endpoint(
        "POST",
        _rm("alias"),
        "setRegisteredModelAlias",
        "Point an alias at a version (moves it if it exists).",
        EMPTY,
        (NAME, ALIAS, VERSION_FIELD),
        set_registered_model_alias,
        permission=ModelPermission(EDIT),
    ),
    Endpoint(
        "DELETE",
        _rm("alias"),
        "deleteRegisteredModelAlias",
        "Delete an alias (a missing alias is a no-op).",
        EMPTY,
        (NAME, ALIAS),
        delete_registered_model_alias,
        permission=ModelPermission(MANAGE),
    ),
    Endpoint(
        "GET",
        _rm("alias"),
        "getModelVersionByAlias",
        "The version an alias points at (a missing alias is 400, as in MLflow).",
        MV,
        (NAME, ALIAS),
        get_model_version_by_alias,
        bounded_read=True,
        permission=ModelPermission(READ),
    ),
    Endpoint(
        "POST",
        _mv("create"),
        "createModelVersion",
        "Register a new version of a model.",
        MV,
        (
            NAME,
            Field(
                "source",
                text(MAX_SOURCE_LENGTH, min_length=1),
                required=True,
                description="Where the model files are.",
            ),
            Field("run_id", text(MAX_RUN_ID_LENGTH)),
            Field("tags", REGISTRY_TAGS),
            Field("run_link", text(MAX_RUN_LINK_LENGTH)),
            Field("description", DESCRIPTION),
            Field("model_id", text(MAX_MODEL_ID_LENGTH), description="Logged model id (m-…)."),
        ),
        create_model_version,
        permission=VersionSource(),
    ),
    Endpoint(
        "GET",
        _mv("get"),
        "getModelVersion",
        "Get a model version.",
        MV,
        (NAME, VERSION_FIELD),
        get_model_version,
        bounded_read=True,
        permission=ModelPermission(READ),
    ),
    Endpoint(
        "PATCH",
        _mv("update"),
        "updateModelVersion",
        "Set a model version's description.",
        MV,
        (NAME, VERSION_FIELD, Field("description", DESCRIPTION)),
        update_model_version,
        permission=ModelPermission(EDIT),
    ),
    Endpoint(
        "POST",
        _mv("transition-stage"),
        "transitionModelVersionStage",
        "Move a version to a stage (deprecated in MLflow).",
        MV,
        (
            NAME,
            VERSION_FIELD,
            Field("stage", STAGE, required=True),
            Field("archive_existing_versions", BOOLEAN),
        ),
        transition_model_version_stage,
        permission=ModelPermission(EDIT),
    ),
    Endpoint(
        "DELETE",
        _mv("delete"),
        "deleteModelVersion",
        "Delete a model version (its number is never reused).",
        EMPTY,
        (NAME, VERSION_FIELD),
        delete_model_version,
        permission=ModelPermission(MANAGE),
    ),
    Endpoint(
        "GET",
        _mv("get-download-uri"),
        "getModelVersionDownloadUri",
        "Where to download a version's files from.",
        obj({"artifact_uri": STRING}),
        (NAME, VERSION_FIELD),
        get_model_version_download_uri,
        bounded_read=True,
        permission=ModelPermission(READ),
    ),
    Endpoint(
        "GET",
        _mv("search"),
        "searchModelVersions",
        "Search model versions.",
        obj({"model_versions": array(ref("ModelVersion")), "next_page_token": STRING}),
        _search_fields(VERSIONS_PAGE_DEFAULT, SEARCH_VERSIONS_MAX),
        search_model_versions,
        pure_read=True,
        permission=AUTHENTICATED,
    ),
    Endpoint(
        "POST",
        _mv("set-tag"),
        "setModelVersionTag",
        "Set a tag on a model version.",
        EMPTY,
        (NAME, VERSION_FIELD, KEY, VALUE),
        set_model_version_tag,
        permission=ModelPermission(EDIT),
    ),
    Endpoint(
        "DELETE",
        _mv("delete-tag"),
        "deleteModelVersionTag",
        "Delete a tag of a model version (a missing key is a no-op).",
        EMPTY,
        (NAME, VERSION_FIELD, KEY),
        delete_model_version_tag,
        permission=ModelPermission(MANAGE),
    ),
    Endpoint(
        "GET",
        _ext("model-versions/get-manifest"),
        "getModelVersionManifest",
        "SHA-256 of every file of the registry's copy of a version (modelreg extension).",
        obj({"manifest": {"type": "object", "additionalProperties": STRING}}),
        (NAME, VERSION_FIELD),
        get_model_version_manifest,
        tag="modelreg",
        bounded_read=True,
        permission=ModelPermission(READ),
    ),
)
