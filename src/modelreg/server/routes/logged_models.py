"""MLflow 3's logged-model endpoints (mlflow-wire.md §3.2), ``/logged-models[/{model_id}]``.

Each handler parses its fields, makes one ``TrackingService`` call and renders the
result with :mod:`modelreg.server.tracking_wire`; the table declares the routes.
"""

from __future__ import annotations

from modelreg.codec import tracking as tc
from modelreg.limits import SEARCH_LOGGED_MODELS_DEFAULT, SEARCH_LOGGED_MODELS_MAX
from modelreg.server import tracking_wire as tw
from modelreg.server import wire as w
from modelreg.server.authz import EDIT, MANAGE, READ, ExperimentPermission
from modelreg.server.context import Call
from modelreg.server.routes.tracking_common import (
    EXPERIMENT_ID,
    MODEL_ID,
    OK,
    Body,
    search_page,
    tracking_endpoint,
)
from modelreg.server.routing import Endpoint, Field
from modelreg.server.schemas import (
    EMPTY,
    LOGGED_MODEL_STATUS,
    STRING,
    TAGS,
    array,
    obj,
    ref,
)

# Default when max_results is absent (MLflow's client leaves it out unless asked).
LOGGED_MODELS_PAGE_DEFAULT = SEARCH_LOGGED_MODELS_DEFAULT


def create_logged_model(call: Call) -> Body:
    p = call.params
    created = call.tracking.create_logged_model(
        w.required_str(p, "experiment_id"),
        w.optional_str(p, "name") or None,
        w.optional_str(p, "source_run_id") or None,
        tw.key_values(p, "tags"),
        tw.key_values(p, "params"),
        w.optional_str(p, "model_type") or None,
    )
    return {"model": tc.logged_model_json(created)}


def get_logged_model(call: Call) -> Body:
    found = call.tracking.get_logged_model(w.required_str(call.params, "model_id"))
    return {"model": tc.logged_model_json(found)}


def finalize_logged_model(call: Call) -> Body:
    p = call.params
    status = tw.logged_model_status(p)
    if status is None:
        raise w.missing_value("status")
    updated = call.tracking.finalize_logged_model(w.required_str(p, "model_id"), status)
    return {"model": tc.logged_model_json(updated)}


def delete_logged_model(call: Call) -> Body:
    call.tracking.delete_logged_model(w.required_str(call.params, "model_id"))
    return OK


def set_logged_model_tags(call: Call) -> Body:
    p = call.params
    call.tracking.set_logged_model_tags(
        w.required_str(p, "model_id"), tw.key_values(p, "tags") or {}
    )
    return OK


def delete_logged_model_tag(call: Call) -> Body:
    p = call.params
    call.tracking.delete_logged_model_tag(
        w.required_str(p, "model_id"), w.required_str(p, "tag_key")
    )
    return OK


def log_logged_model_params(call: Call) -> Body:
    p = call.params
    call.tracking.log_logged_model_params(
        w.required_str(p, "model_id"), tw.key_values(p, "params") or {}
    )
    return OK


def search_logged_models(call: Call) -> Body:
    p = call.params
    max_results = tw.optional_int64(p, "max_results")
    found = call.tracking.search_logged_models(
        tw.experiment_ids(p),
        w.optional_str(p, "filter") or None,
        LOGGED_MODELS_PAGE_DEFAULT if max_results is None else max_results,
        tw.order_by_fields(p),
        w.optional_str(p, "page_token"),
        tw.dataset_filters(p),
    )
    return tc.page("models", [tc.logged_model_json(m) for m in found], found.token)


def list_logged_model_artifacts(call: Call) -> Body:
    p = call.params
    found = call.tracking.list_logged_model_artifacts(
        w.required_str(p, "model_id"), w.optional_str(p, "artifact_directory_path")
    )
    return tc.artifact_listing_json(found)


MODEL = obj({"model": ref("LoggedModel")})

ENDPOINTS: tuple[Endpoint, ...] = (
    tracking_endpoint(
        "POST",
        "logged-models",
        "createLoggedModel",
        "Create a logged model (status LOGGED_MODEL_PENDING).",
        MODEL,
        (
            EXPERIMENT_ID,
            Field("name", STRING),
            Field("model_type", STRING),
            Field("source_run_id", STRING),
            Field("params", TAGS),
            Field("tags", TAGS),
        ),
        create_logged_model,
        permission=ExperimentPermission(EDIT),
    ),
    tracking_endpoint(
        "GET",
        "logged-models/{model_id}",
        "getLoggedModel",
        "Get a logged model.",
        MODEL,
        (MODEL_ID,),
        get_logged_model,
        permission=ExperimentPermission(READ, "model_id", "logged_model"),
    ),
    tracking_endpoint(
        "PATCH",
        "logged-models/{model_id}",
        "finalizeLoggedModel",
        "Set a logged model's final status after its files are uploaded.",
        MODEL,
        (MODEL_ID, Field("status", LOGGED_MODEL_STATUS, required=True)),
        finalize_logged_model,
        permission=ExperimentPermission(EDIT, "model_id", "logged_model"),
    ),
    tracking_endpoint(
        "DELETE",
        "logged-models/{model_id}",
        "deleteLoggedModel",
        "Delete a logged model.",
        EMPTY,
        (MODEL_ID,),
        delete_logged_model,
        permission=ExperimentPermission(MANAGE, "model_id", "logged_model"),
    ),
    tracking_endpoint(
        "PATCH",
        "logged-models/{model_id}/tags",
        "setLoggedModelTags",
        "Set tags on a logged model.",
        EMPTY,
        (MODEL_ID, Field("tags", TAGS)),
        set_logged_model_tags,
        permission=ExperimentPermission(EDIT, "model_id", "logged_model"),
    ),
    tracking_endpoint(
        "DELETE",
        "logged-models/{model_id}/tags/{tag_key}",
        "deleteLoggedModelTag",
        "Delete a tag of a logged model.",
        EMPTY,
        (MODEL_ID, Field("tag_key", STRING, required=True)),
        delete_logged_model_tag,
        permission=ExperimentPermission(EDIT, "model_id", "logged_model"),
    ),
    tracking_endpoint(
        "POST",
        "logged-models/{model_id}/params",
        "logLoggedModelParams",
        "Log parameters of a logged model.",
        EMPTY,
        (MODEL_ID, Field("params", TAGS)),
        log_logged_model_params,
        permission=ExperimentPermission(EDIT, "model_id", "logged_model"),
    ),
    tracking_endpoint(
        "GET",
        "logged-models/{model_id}/artifacts/directories",
        "listLoggedModelArtifacts",
        "One level of a logged model's artifacts: paths relative to its artifact root "
        "(root_uri); a missing or empty folder has no files. Paths with traversal are 400.",
        obj({"root_uri": STRING, "files": array(ref("FileInfo"))}),
        (
            MODEL_ID,
            Field(
                "artifact_directory_path",
                STRING,
                description="Folder under the model's root; default: root.",
            ),
        ),
        list_logged_model_artifacts,
        permission=ExperimentPermission(READ, "model_id", "logged_model"),
    ),
    tracking_endpoint(
        "POST",
        "logged-models/search",
        "searchLoggedModels",
        "Search logged models of some experiments.",
        obj({"models": array(ref("LoggedModel")), "next_page_token": STRING}),
        (
            Field("experiment_ids", array(STRING), required=True),
            Field(
                "order_by",
                array(obj({"field_name": STRING, "ascending": {"type": "boolean"}})),
            ),
            Field(
                "datasets",
                array(obj({"dataset_name": STRING, "dataset_digest": STRING})),
                description="Only models with metrics on these datasets (any digest when "
                "none is given); metric conditions hold on them.",
            ),
            *search_page(SEARCH_LOGGED_MODELS_MAX, LOGGED_MODELS_PAGE_DEFAULT),
        ),
        search_logged_models,
        writes=False,  # a search sent as POST
        permission=ExperimentPermission(READ, "experiment_ids", many=True),
    ),
)
