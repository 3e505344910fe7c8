"""MLflow's run endpoints (mlflow-wire.md §3.2): runs, params, metrics, tags, datasets.

Each handler parses its fields, makes one ``TrackingService`` call and renders the
result with :mod:`modelreg.server.tracking_wire`; the table declares the routes.
"""

from __future__ import annotations

from modelreg import validation
from modelreg.codec import tracking as tc
from modelreg.limits import (
    BULK_INTERVAL_RESULTS_MAX,
    BULK_INTERVAL_RUNS_MAX,
    METRIC_HISTORY_MAX,
    SEARCH_RUNS_DEFAULT,
    SEARCH_RUNS_MAX,
)
from modelreg.server import tracking_wire as tw
from modelreg.server import wire as w
from modelreg.server.authz import EDIT, MANAGE, READ, ExperimentPermission
from modelreg.server.context import Call
from modelreg.server.routes.tracking_common import (
    ACTIVE_ONLY,
    KEY,
    OK,
    RUN_ID,
    RUN_UUID,
    VALUE,
    Body,
    search_page,
    tracking_endpoint,
)
from modelreg.server.routing import Endpoint, Field
from modelreg.server.schemas import (
    EMPTY,
    INTEGER,
    METRIC_VALUE,
    RUN_STATUS,
    STRING,
    TAGS,
    VIEW_TYPE,
    array,
    obj,
    page_size,
    ref,
)


def create_run(call: Call) -> Body:
    p = call.params
    created = call.tracking.create_run(
        w.optional_str(p, "experiment_id"),
        tw.optional_int64(p, "start_time"),
        tw.key_values(p, "tags"),
        w.optional_str(p, "run_name"),
        w.optional_str(p, "user_id"),
    )
    return {"run": tc.run_json(created)}


def get_run(call: Call) -> Body:
    return {"run": tc.run_json(call.tracking.get_run(tw.run_id(call.params)))}


def update_run(call: Call) -> Body:
    p = call.params
    updated = call.tracking.update_run(
        tw.run_id(p),
        tw.run_status(p),
        tw.optional_int64(p, "end_time"),
        w.optional_str(p, "run_name"),
    )
    return {"run_info": tc.run_info_json(updated.info)}


def delete_run(call: Call) -> Body:
    call.tracking.delete_run(tw.run_id(call.params))
    return OK


def restore_run(call: Call) -> Body:
    call.tracking.restore_run(tw.run_id(call.params))
    return OK


def search_runs(call: Call) -> Body:
    p = call.params
    max_results = tw.optional_int64(p, "max_results")
    found = call.tracking.search_runs(
        tw.experiment_ids(p),
        w.optional_str(p, "filter") or "",
        tw.view_type(p, "run_view_type") or ACTIVE_ONLY,
        SEARCH_RUNS_DEFAULT if max_results is None else max_results,
        w.optional_strings(p, "order_by"),
        w.optional_str(p, "page_token"),
    )
    return tc.page("runs", [tc.run_json(r) for r in found], found.token)


def log_param(call: Call) -> Body:
    p = call.params
    call.tracking.log_param(tw.run_id(p), w.required_str(p, "key"), w.tag_value(p))
    return OK


def log_metric(call: Call) -> Body:
    p = call.params
    call.tracking.log_metric(
        tw.run_id(p),
        w.required_str(p, "key"),
        tw.required_double(p, "value"),
        timestamp=tw.optional_int64(p, "timestamp"),
        step=tw.optional_int64(p, "step"),
        model_id=w.optional_str(p, "model_id") or None,
        dataset_name=w.optional_str(p, "dataset_name") or None,
        dataset_digest=w.optional_str(p, "dataset_digest") or None,
    )
    return OK


def set_tag(call: Call) -> Body:
    p = call.params
    call.tracking.set_tag(tw.run_id(p), w.required_str(p, "key"), w.tag_value(p))
    return OK


def delete_tag(call: Call) -> Body:
    p = call.params
    call.tracking.delete_tag(tw.run_id(p), w.required_str(p, "key"))
    return OK


def log_batch(call: Call) -> Body:
    p = call.params
    call.tracking.log_batch(
        tw.run_id(p),
        metrics=tw.metrics(p),
        params=validation.unique_params(tw.batch_pairs(p, "params")),
        tags=dict(tw.batch_pairs(p, "tags")),  # the last value of a key wins
    )
    return OK


def log_inputs(call: Call) -> Body:
    p = call.params
    call.tracking.log_inputs(tw.run_id(p), tw.dataset_inputs(p), tw.model_inputs(p))
    return OK


def log_outputs(call: Call) -> Body:
    p = call.params
    if p.value("models") is None:
        raise w.missing_value("models")
    call.tracking.log_outputs(tw.run_id(p), tw.model_outputs(p))
    return OK


def get_metric_history(call: Call) -> Body:
    p = call.params
    found = call.tracking.get_metric_history(
        tw.run_id(p),
        w.required_str(p, "metric_key"),
        tw.optional_int64(p, "max_results"),
        w.optional_str(p, "page_token") or None,
    )
    return tc.page("metrics", [tc.metric_json(m) for m in found], found.token)


def list_artifacts(call: Call) -> Body:
    p = call.params
    w.optional_str(p, "page_token")  # accepted and ignored, as by MLflow: one page
    found = call.tracking.list_artifacts(tw.run_id(p), w.optional_str(p, "path"))
    return tc.artifact_listing_json(found)


def get_metric_history_bulk_interval(call: Call) -> Body:
    p = call.params
    max_results = tw.optional_int64(p, "max_results")
    found = call.tracking.get_metric_history_bulk_interval(
        w.optional_strings(p, "run_ids") or [],
        w.optional_str(p, "metric_key") or "",
        BULK_INTERVAL_RESULTS_MAX if max_results is None else max_results,
        tw.optional_int64(p, "start_step"),
        tw.optional_int64(p, "end_step"),
    )
    return tc.page("metrics", [tc.metric_json(m) for m in found], None)


RUN = obj({"run": ref("Run")})
ARTIFACT_LISTING = obj({"root_uri": STRING, "files": array(ref("FileInfo"))})
METRIC = ref("Metric")

ENDPOINTS: tuple[Endpoint, ...] = (
    tracking_endpoint(
        "POST",
        "runs/create",
        "createRun",
        "Start a run.",
        RUN,
        (
            Field("experiment_id", STRING, description="Default: 0."),
            Field("user_id", STRING),
            Field("run_name", STRING),
            Field("start_time", INTEGER),
            Field("tags", TAGS),
        ),
        create_run,
        permission=ExperimentPermission(EDIT),
    ),
    tracking_endpoint(
        "GET",
        "runs/get",
        "getRun",
        "Get a run with its params, latest metrics, tags, inputs and outputs.",
        RUN,
        (RUN_ID, RUN_UUID),
        get_run,
        permission=ExperimentPermission(READ, "run_id", "run"),
    ),
    tracking_endpoint(
        "POST",
        "runs/update",
        "updateRun",
        "Change a run's status, end time or name.",
        obj({"run_info": ref("RunInfo")}),
        (
            RUN_ID,
            RUN_UUID,
            Field("status", RUN_STATUS),
            Field("end_time", INTEGER),
            Field("run_name", STRING),
        ),
        update_run,
        permission=ExperimentPermission(EDIT, "run_id", "run"),
    ),
    tracking_endpoint(
        "POST",
        "runs/delete",
        "deleteRun",
        "Mark a run deleted.",
        EMPTY,
        (RUN_ID,),
        delete_run,
        permission=ExperimentPermission(MANAGE, "run_id", "run"),
    ),
    tracking_endpoint(
        "POST",
        "runs/restore",
        "restoreRun",
        "Restore a deleted run.",
        EMPTY,
        (RUN_ID,),
        restore_run,
        permission=ExperimentPermission(MANAGE, "run_id", "run"),
    ),
    tracking_endpoint(
        "POST",
        "runs/search",
        "searchRuns",
        "Search runs of some experiments.",
        obj({"runs": array(ref("Run")), "next_page_token": STRING}),
        (
            Field("experiment_ids", array(STRING)),
            Field("run_view_type", VIEW_TYPE),
            Field("order_by", array(STRING)),
            *search_page(SEARCH_RUNS_MAX, SEARCH_RUNS_DEFAULT),
        ),
        search_runs,
        writes=False,  # a search sent as POST
        permission=ExperimentPermission(READ, "experiment_ids", many=True),
    ),
    tracking_endpoint(
        "POST",
        "runs/log-parameter",
        "logParam",
        "Log a parameter (its value cannot change once logged).",
        EMPTY,
        (RUN_ID, RUN_UUID, KEY, VALUE),
        log_param,
        permission=ExperimentPermission(EDIT, "run_id", "run"),
    ),
    tracking_endpoint(
        "POST",
        "runs/log-metric",
        "logMetric",
        "Log a metric value.",
        EMPTY,
        (
            RUN_ID,
            RUN_UUID,
            KEY,
            Field("value", METRIC_VALUE, required=True),
            Field("timestamp", INTEGER),
            Field("step", INTEGER),
            Field("model_id", STRING),
            Field("dataset_name", STRING, description="With dataset_digest: both or neither."),
            Field("dataset_digest", STRING),
        ),
        log_metric,
        permission=ExperimentPermission(EDIT, "run_id", "run"),
    ),
    tracking_endpoint(
        "POST",
        "runs/set-tag",
        "setTag",
        "Set a tag on a run.",
        EMPTY,
        (RUN_ID, RUN_UUID, KEY, VALUE),
        set_tag,
        permission=ExperimentPermission(EDIT, "run_id", "run"),
    ),
    tracking_endpoint(
        "POST",
        "runs/delete-tag",
        "deleteTag",
        "Delete a tag of a run.",
        EMPTY,
        (RUN_ID, KEY),
        delete_tag,
        permission=ExperimentPermission(EDIT, "run_id", "run"),
    ),
    tracking_endpoint(
        "POST",
        "runs/log-batch",
        "logBatch",
        "Log metrics, params and tags at once: at most 1000 metrics, 100 params and 100 "
        "tags, 1000 in all (MLflow's limits); a param key given twice is refused.",
        EMPTY,
        (
            RUN_ID,
            Field("metrics", array(ref("Metric"))),
            Field("params", TAGS),
            Field("tags", TAGS),
        ),
        log_batch,
        permission=ExperimentPermission(EDIT, "run_id", "run"),
    ),
    tracking_endpoint(
        "POST",
        "runs/log-inputs",
        "logInputs",
        "Record the datasets and logged models a run used.",
        EMPTY,
        (
            RUN_ID,
            Field("datasets", array(ref("DatasetInput"))),
            Field(
                "models",
                array(obj({"model_id": STRING})),
                description="Logged models used as inputs; each must exist.",
            ),
        ),
        log_inputs,
        permission=ExperimentPermission(EDIT, "run_id", "run"),
    ),
    tracking_endpoint(
        "POST",
        "runs/outputs",
        "logOutputs",
        "Record the logged models a run produced.",
        EMPTY,
        (RUN_ID, Field("models", array(ref("ModelOutput")), required=True)),
        log_outputs,
        permission=ExperimentPermission(EDIT, "run_id", "run"),
    ),
    tracking_endpoint(
        "GET",
        "artifacts/list",
        "listRunArtifacts",
        "One level of a run's artifacts: paths relative to the run's artifact root "
        "(root_uri); a missing or empty folder has no files. Paths with traversal are 400.",
        ARTIFACT_LISTING,
        (
            RUN_ID,
            RUN_UUID,
            Field("path", STRING, description="Folder under the run's root; default: root."),
            Field("page_token", STRING, description="Accepted; the listing is one page."),
        ),
        list_artifacts,
        permission=ExperimentPermission(READ, "run_id", "run"),
    ),
    tracking_endpoint(
        "GET",
        "metrics/get-history",
        "getMetricHistory",
        "Every logged value of one metric of a run (timestamp, step, value order); a page "
        "of them with max_results.",
        obj({"metrics": array(METRIC), "next_page_token": STRING}),
        (
            RUN_ID,
            RUN_UUID,
            Field("metric_key", STRING, required=True),
            Field(
                "max_results",
                page_size(METRIC_HISTORY_MAX),
                description="Default: the whole history.",
            ),
            Field("page_token", STRING),
        ),
        get_metric_history,
        permission=ExperimentPermission(READ, "run_id", "run"),
    ),
    tracking_endpoint(
        "GET",
        "metrics/get-history-bulk-interval",
        "getMetricHistoryBulkInterval",
        "Up to max_results values of one metric per run, evenly sampled over the steps "
        "(each run's first and last kept), for charts; runs in the order given.",
        obj({"metrics": array(METRIC)}),
        (
            Field(
                "run_ids",
                {**array(STRING), "minItems": 1, "maxItems": BULK_INTERVAL_RUNS_MAX},
                required=True,
            ),
            Field("metric_key", STRING, required=True),
            Field("start_step", INTEGER, description="With end_step: both or neither."),
            Field("end_step", INTEGER),
            Field(
                "max_results",
                page_size(BULK_INTERVAL_RESULTS_MAX, BULK_INTERVAL_RESULTS_MAX),
                description="Values per run.",
            ),
        ),
        get_metric_history_bulk_interval,
        permission=ExperimentPermission(READ, "run_ids", "run", many=True),
    ),
)
