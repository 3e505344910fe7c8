"""MLflow's experiment endpoints (mlflow-wire.md §3.2): create, get, search, tag, rename.

Each handler parses its fields, makes one ``TrackingService`` call and renders the
result with :mod:`modelreg.server.tracking_wire`; the table declares the routes.
"""

from __future__ import annotations

from modelreg.codec import tracking as tc
from modelreg.errors import NotFound
from modelreg.limits import SEARCH_EXPERIMENTS_DEFAULT, SEARCH_EXPERIMENTS_MAX
from modelreg.server import tracking_wire as tw
from modelreg.server import wire as w
from modelreg.server.authz import (
    AUTHENTICATED,
    EDIT,
    MANAGE,
    READ,
    Creates,
    ExperimentPermission,
)
from modelreg.server.context import Call
from modelreg.server.routes.tracking_common import (
    ACTIVE_ONLY,
    EXPERIMENT_ID,
    KEY,
    OK,
    VALUE,
    Body,
    search_page,
    tracking_endpoint,
)
from modelreg.server.routing import Endpoint, Field
from modelreg.server.schemas import (
    EMPTY,
    STRING,
    TAGS,
    VIEW_TYPE,
    array,
    obj,
    ref,
)

# Default when max_results is absent (the MLflow client always sends it).
EXPERIMENTS_PAGE_DEFAULT = SEARCH_EXPERIMENTS_DEFAULT


def create_experiment(call: Call) -> Body:
    p = call.params
    created = call.tracking.create_experiment(
        w.required_str(p, "name"),
        w.optional_str(p, "artifact_location"),
        tw.key_values(p, "tags"),
    )
    return {"experiment_id": created}


def get_experiment(call: Call) -> Body:
    found = call.tracking.get_experiment(w.required_str(call.params, "experiment_id"))
    return {"experiment": tc.experiment_json(found)}


def get_experiment_by_name(call: Call) -> Body:
    name = w.required_str(call.params, "experiment_name")
    found = call.tracking.get_experiment_by_name(name)
    if found is None:
        # The service answers "none"; on the wire that is MLflow's 404, which its
        # client's set_experiment() takes as "create it".
        raise NotFound(f"Could not find experiment with name '{name}'")
    return {"experiment": tc.experiment_json(found)}


def search_experiments(call: Call) -> Body:
    p = call.params
    max_results = tw.optional_int64(p, "max_results")
    found = call.tracking.search_experiments(
        tw.view_type(p, "view_type") or ACTIVE_ONLY,
        EXPERIMENTS_PAGE_DEFAULT if max_results is None else max_results,
        w.optional_str(p, "filter"),
        w.optional_str(p, "page_token"),
        w.optional_strings(p, "order_by"),
    )
    return tc.page("experiments", [tc.experiment_json(e) for e in found], found.token)


def set_experiment_tag(call: Call) -> Body:
    p = call.params
    call.tracking.set_experiment_tag(
        w.required_str(p, "experiment_id"), w.required_str(p, "key"), w.tag_value(p)
    )
    return OK


def delete_experiment_tag(call: Call) -> Body:
    p = call.params
    call.tracking.delete_experiment_tag(
        w.required_str(p, "experiment_id"), w.required_str(p, "key")
    )
    return OK


def update_experiment(call: Call) -> Body:
    p = call.params
    call.tracking.rename_experiment(
        w.required_str(p, "experiment_id"), w.required_str(p, "new_name")
    )
    return OK


def delete_experiment(call: Call) -> Body:
    call.tracking.delete_experiment(w.required_str(call.params, "experiment_id"))
    return OK


def restore_experiment(call: Call) -> Body:
    call.tracking.restore_experiment(w.required_str(call.params, "experiment_id"))
    return OK


EXPERIMENT = obj({"experiment": ref("Experiment")})
EXPERIMENT_SEARCH = (
    Field("view_type", VIEW_TYPE),
    Field(
        "order_by",
        array(STRING),
        description="name, experiment_id, creation_time or last_update_time, each with an "
        "optional ASC or DESC; default: creation_time DESC, experiment_id ASC.",
    ),
    *search_page(SEARCH_EXPERIMENTS_MAX, EXPERIMENTS_PAGE_DEFAULT),
)

ENDPOINTS: tuple[Endpoint, ...] = (
    tracking_endpoint(
        "POST",
        "experiments/create",
        "createExperiment",
        "Create an experiment.",
        obj({"experiment_id": STRING}),
        (
            Field("name", STRING, required=True),
            Field("artifact_location", STRING, description="Refused by a server."),
            Field("tags", TAGS),
        ),
        create_experiment,
        permission=Creates("experiment", result_field="experiment_id"),
    ),
    tracking_endpoint(
        "GET",
        "experiments/get",
        "getExperiment",
        "Get an experiment by id.",
        EXPERIMENT,
        (EXPERIMENT_ID,),
        get_experiment,
        bounded_read=True,
        permission=ExperimentPermission(READ),
    ),
    tracking_endpoint(
        "GET",
        "experiments/get-by-name",
        "getExperimentByName",
        "Get an experiment by name (404 when there is none).",
        EXPERIMENT,
        (Field("experiment_name", STRING, required=True),),
        get_experiment_by_name,
        bounded_read=True,
        permission=ExperimentPermission(READ, "experiment_name", "experiment_name"),
    ),
    tracking_endpoint(
        "POST",
        "experiments/search",
        "searchExperiments",
        "Search experiments.",
        obj({"experiments": array(ref("Experiment")), "next_page_token": STRING}),
        EXPERIMENT_SEARCH,
        search_experiments,
        writes=False,  # a search sent as POST
        permission=AUTHENTICATED,
    ),
    tracking_endpoint(
        "GET",
        "experiments/search",
        "searchExperimentsGet",
        "Search experiments (GET form).",
        obj({"experiments": array(ref("Experiment")), "next_page_token": STRING}),
        EXPERIMENT_SEARCH,
        search_experiments,
        permission=AUTHENTICATED,
    ),
    tracking_endpoint(
        "POST",
        "experiments/set-experiment-tag",
        "setExperimentTag",
        "Set a tag on an experiment.",
        EMPTY,
        (EXPERIMENT_ID, KEY, VALUE),
        set_experiment_tag,
        permission=ExperimentPermission(EDIT),
    ),
    tracking_endpoint(
        "POST",
        "experiments/delete-experiment-tag",
        "deleteExperimentTag",
        "Delete a tag of an experiment.",
        EMPTY,
        (EXPERIMENT_ID, KEY),
        delete_experiment_tag,
        permission=ExperimentPermission(EDIT),
    ),
    tracking_endpoint(
        "POST",
        "experiments/update",
        "updateExperiment",
        "Rename an experiment.",
        EMPTY,
        (EXPERIMENT_ID, Field("new_name", STRING, required=True)),
        update_experiment,
        permission=ExperimentPermission(EDIT),
    ),
    tracking_endpoint(
        "POST",
        "experiments/delete",
        "deleteExperiment",
        "Mark an experiment deleted (experiment 0 cannot be).",
        EMPTY,
        (EXPERIMENT_ID,),
        delete_experiment,
        permission=ExperimentPermission(MANAGE),
    ),
    tracking_endpoint(
        "POST",
        "experiments/restore",
        "restoreExperiment",
        "Restore a deleted experiment.",
        EMPTY,
        (EXPERIMENT_ID,),
        restore_experiment,
        permission=ExperimentPermission(MANAGE),
    ),
)
