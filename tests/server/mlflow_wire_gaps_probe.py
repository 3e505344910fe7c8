"""The calls of tests/server/test_mlflow_wire_gaps.py, made with the real mlflow client.

Run with the mlflow virtualenv's python (it imports mlflow, never modelreg)::

    python mlflow_wire_gaps_probe.py <tracking uri> <scratch folder>

Each case is one call (or a few) through ``MlflowClient``, its REST store, or mlflow's
own ``http_request`` for the routes the client has no method for. The outcome of every
case (its result, or its error code and message) is printed as one JSON object on a
line starting with ``OUTCOMES``; run and logged-model ids are replaced by placeholders
(``<run1>``, ``<model2>``) in the order they were made, so two servers' outcomes
compare equal when they behave the same.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

warnings.simplefilter("ignore")

from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import LoggedModelInput, LoggedModelOutput, Metric, Param  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402
from mlflow.utils.rest_utils import http_request  # noqa: E402

API = "/api/2.0/mlflow"
MISSING_RUN = "0" * 32

uri, scratch = sys.argv[1], Path(sys.argv[2])
client = MlflowClient(uri)
rest = client._tracking_client.store  # the client's REST store: its paged calls
credentials = rest.get_host_creds()
outcomes: dict[str, Any] = {}
made: dict[str, str] = {}  # real id -> placeholder


def named(kind: str, real: str) -> str:
    made.setdefault(real, f"<{kind}{sum(1 for p in made.values() if p.startswith('<' + kind))}>")
    return real


def case(name: str, call: Callable[[], Any]) -> None:
    try:
        outcomes[name] = {"ok": call()}
    except MlflowException as error:
        code = error.error_code
        outcomes[name] = {
            "error": {"code": code, "message": error.message.removeprefix(f"{code}: ")}
        }


def raw(method: str, path: str, **kwargs: Any) -> Any:
    """One request through mlflow's own HTTP layer; errors become MlflowException."""
    response = http_request(credentials, path, method, max_retries=0, **kwargs)
    body = response.json() if response.text.strip().startswith("{") else response.text
    if response.status_code != 200:
        if isinstance(body, dict) and "error_code" in body:
            raise MlflowException(body["message"], error_code=_code(body["error_code"]))
        return {"status": response.status_code}
    return body


def _code(name: str) -> int:
    from mlflow.protos.databricks_pb2 import ErrorCode

    return ErrorCode.Value(name)


# ------------------------------------------------------------ experiment tags
experiment = client.create_experiment("gaps")
client.set_experiment_tag(experiment, "keep", "v")
client.set_experiment_tag(experiment, "gone", "x")
case(
    "delete_experiment_tag",
    lambda: (
        client.delete_experiment_tag(experiment, "gone"),
        sorted(client.get_experiment(experiment).tags.items()),
    )[1],
)
case("delete_experiment_tag, missing", lambda: client.delete_experiment_tag(experiment, "gone"))

# ----------------------------------------------------- search_experiments order
for letter in ("b", "c", "a"):
    client.create_experiment(f"ord-{letter}")
    time.sleep(0.01)  # distinct creation times, so the default order is the same


def experiment_names(**kwargs: Any) -> list[str]:
    found = client.search_experiments(filter_string="name LIKE 'ord-%'", **kwargs)
    return [e.name for e in found]


case("search_experiments, default order", experiment_names)
for order in (["name"], ["name DESC"], ["experiment_id DESC"], ["creation_time ASC"]):
    case(f"search_experiments, order_by={order}", lambda o=order: experiment_names(order_by=o))


def experiment_pages() -> list[Any]:
    first = client.search_experiments(order_by=["name DESC"], max_results=2)
    rest_page = client.search_experiments(
        order_by=["name DESC"], max_results=2, page_token=first.token
    )
    return [[e.name for e in first], first.token, [e.name for e in rest_page]]


case("search_experiments, pages in order", experiment_pages)
case("search_experiments, tag order", lambda: experiment_names(order_by=["tags.x"]))

# ------------------------------------------------------------ metric history
run_id = named("run", client.create_run(experiment).info.run_id)
client.log_batch(run_id, metrics=[Metric("loss", i / 10, 1000 + i % 3, i) for i in range(7)])
case(
    "get_metric_history",
    lambda: [
        (m.key, m.value, m.timestamp, m.step) for m in client.get_metric_history(run_id, "loss")
    ],
)


def history_pages() -> list[Any]:
    pages, token = [], None
    while True:
        page = rest.get_metric_history(run_id, "loss", max_results=3, page_token=token)
        pages.append([[m.step for m in page], page.token])
        token = page.token
        if not token:
            return pages


case("get_metric_history, pages", history_pages)
case("get_metric_history, max_results 0", lambda: rest.get_metric_history(run_id, "loss", 0))
case(
    "get-history, token without max_results",
    lambda: raw(
        "GET",
        f"{API}/metrics/get-history",
        params={"run_id": run_id, "metric_key": "loss", "page_token": "eyJvZmZzZXQiOiA1fQ=="},
    ),
)

# --------------------------------------------------------------- model inputs
base = named("model", client.create_logged_model(experiment, name="base").model_id)
case(
    "log_inputs, models",
    lambda: (
        client.log_inputs(run_id, models=[LoggedModelInput(base)]),
        [i.model_id for i in client.get_run(run_id).inputs.model_inputs],
    )[1],
)
case(
    "log_inputs, a model that does not exist",
    lambda: client.log_inputs(run_id, models=[LoggedModelInput("m-" + "0" * 32)]),
)

# ----------------------------------------------------------- metric datasets
on_eval = named("model", client.create_logged_model(experiment, "on-eval", run_id).model_id)
on_test = named("model", client.create_logged_model(experiment, "on-test", run_id).model_id)
client.log_metric(
    run_id, "acc", 0.9, 1, 0, model_id=on_eval, dataset_name="eval", dataset_digest="d1"
)
client.log_batch(
    run_id,
    metrics=[
        Metric("acc", 0.6, 2, 0, model_id=on_test, dataset_name="test", dataset_digest="d2"),
        Metric("acc", 0.95, 3, 0, model_id=on_test, dataset_name="eval", dataset_digest="d9"),
    ],
)
case(
    "logged model metrics keep their datasets",
    lambda: sorted(
        [m.key, m.value, m.timestamp, m.dataset_name, m.dataset_digest, m.run_id, m.model_id]
        for m in client.get_logged_model(on_test).metrics
    ),
)


def models_found(text: str | None = None, datasets: Any = None) -> list[str]:
    found = client.search_logged_models([experiment], filter_string=text, datasets=datasets)
    return sorted(m.name for m in found)


EVAL_D1 = {"dataset_name": "eval", "dataset_digest": "d1"}
EVAL_D9 = {"dataset_name": "eval", "dataset_digest": "d9"}
TEST_D2 = {"dataset_name": "test", "dataset_digest": "d2"}
case("search_logged_models, a dataset", lambda: models_found(datasets=[EVAL_D1]))
case("search_logged_models, two datasets", lambda: models_found(datasets=[EVAL_D9, TEST_D2]))
case(
    "search_logged_models, another digest",
    lambda: models_found(datasets=[{"dataset_name": "eval", "dataset_digest": "x"}]),
)
case(
    "search_logged_models, a metric on a dataset",
    lambda: models_found("metrics.acc > 0.9", [EVAL_D9, EVAL_D1]),
)
case(
    "search_logged_models, a metric on another dataset",
    lambda: models_found("metrics.acc > 0.9", [TEST_D2]),
)
case(
    "search_logged_models, a dataset name only",
    lambda: models_found(datasets=[{"dataset_name": "eval"}]),
)
case(
    "logged-models/search, a dataset without a name",
    lambda: raw(
        "POST",
        f"{API}/logged-models/search",
        json={"experiment_ids": [experiment], "datasets": [{"dataset_digest": "d1"}]},
    ),
)
case(
    "log-metric, dataset_name alone",
    lambda: raw(
        "POST",
        f"{API}/runs/log-metric",
        json={"run_id": run_id, "key": "z", "value": 1, "timestamp": 1, "dataset_name": "x"},
    ),
)

# ------------------------------------------- versions recorded on logged models
client.create_registered_model("reg-a")
client.create_registered_model("reg-b")
case(
    "create_model_version with model_id tags the logged model",
    lambda: [
        client.create_model_version("reg-a", f"models:/{on_eval}", model_id=on_eval).version,
        client.create_model_version("reg-b", f"models:/{on_eval}", model_id=on_eval).version,
        client.get_logged_model(on_eval).tags.get("mlflow.modelVersions"),
    ],
)

# ------------------------------------------------------------ logged-model tags
client.set_logged_model_tags(on_test, {"t": "1"})
case(
    "delete_logged_model_tag",
    lambda: (
        client.delete_logged_model_tag(on_test, "t"),
        sorted(client.get_logged_model(on_test).tags),
    )[1],
)
case("delete_logged_model_tag, missing", lambda: client.delete_logged_model_tag(on_test, "t"))

# ---------------------------------------------------------------- artifact lists
files = scratch / "files"
(files / "sub").mkdir(parents=True)
(files / "f.txt").write_text("hi")
(files / "sub" / "g.txt").write_text("hey")
client.log_artifacts(run_id, str(files), "dir")
for path in (None, "dir", "dir/sub", "dir/sub/", "missing", "dir/f.txt"):
    case(
        f"artifacts/list, path {path}",
        lambda p=path: raw("GET", f"{API}/artifacts/list", params={"run_id": run_id, "path": p}),
    )
for path in ("../x", "/etc", "dir/../../x", "dir%2F..%2F..%2Fx", "a#b"):
    case(
        f"artifacts/list, path {path}",
        lambda p=path: raw("GET", f"{API}/artifacts/list", params={"run_id": run_id, "path": p}),
    )
case(
    "artifacts/list, a run that does not exist",
    lambda: raw("GET", f"{API}/artifacts/list", params={"run_id": MISSING_RUN}),
)
case("artifacts/list, no run_id", lambda: raw("GET", f"{API}/artifacts/list"))

with_files = named("model", client.create_logged_model(experiment, name="files").model_id)
client.log_model_artifacts(with_files, str(files))
DIRECTORIES = f"{API}/logged-models/{with_files}/artifacts/directories"
for path in (None, "sub", "missing", "../x", "/etc"):
    case(
        f"artifacts/directories, path {path}",
        lambda p=path: raw("GET", DIRECTORIES, params={"artifact_directory_path": p}),
    )
case(
    "artifacts/directories, a model that does not exist",
    lambda: raw("GET", f"{API}/logged-models/m-{'0' * 32}/artifacts/directories"),
)
case(
    "list_logged_model_artifacts",
    lambda: [
        [f.path, f.is_dir, f.file_size] for f in client.list_logged_model_artifacts(with_files)
    ],
)

# ------------------------------------------------- get-history-bulk-interval
first = named("run", client.create_run(experiment).info.run_id)
second = named("run", client.create_run(experiment).info.run_id)
client.log_batch(first, metrics=[Metric("loss", float(i), 1000 + i, i) for i in range(30)])
client.log_batch(second, metrics=[Metric("loss", 2.0 * i, 2000 + i, 3 * i) for i in range(7)])
client.log_batch(second, metrics=[Metric("loss", float("nan"), 3000, 5)])
BULK = f"{API}/metrics/get-history-bulk-interval"
for label, query in {
    "five a run": {"run_ids": [first, second], "metric_key": "loss", "max_results": 5},
    "steps 3 to 12": {
        "run_ids": [first, second],
        "metric_key": "loss",
        "max_results": 4,
        "start_step": 3,
        "end_step": 12,
    },
    "one": {"run_ids": [first], "metric_key": "loss", "max_results": 1},
    "no max_results": {"run_ids": [second, first], "metric_key": "loss"},
    "an unknown metric": {"run_ids": [first], "metric_key": "nope"},
    "only start_step": {"run_ids": [first], "metric_key": "loss", "start_step": 3},
    "start after end": {"run_ids": [first], "metric_key": "loss", "start_step": 5, "end_step": 3},
    "max_results 0": {"run_ids": [first], "metric_key": "loss", "max_results": 0},
    "max_results 2501": {"run_ids": [first], "metric_key": "loss", "max_results": 2501},
    "max_results abc": {"run_ids": [first], "metric_key": "loss", "max_results": "abc"},
    "no run_ids": {"metric_key": "loss"},
    "101 run_ids": {"run_ids": [first] * 101, "metric_key": "loss"},
    "no metric_key": {"run_ids": [first]},
    "a run that does not exist": {"run_ids": [first, MISSING_RUN], "metric_key": "loss"},
}.items():
    case(f"get-history-bulk-interval, {label}", lambda q=query: raw("GET", BULK, params=q))

# ------------------------------------------------------- log-batch limits
LOG_BATCH = f"{API}/runs/log-batch"


def log_batch(**fields: Any) -> Any:
    return raw("POST", LOG_BATCH, json={"run_id": run_id, **fields})


def points(count: int) -> list[dict[str, Any]]:
    return [{"key": "b", "value": 1, "timestamp": 1, "step": i} for i in range(count)]


def pairs(prefix: str, count: int) -> list[dict[str, str]]:
    return [{"key": f"{prefix}{i}", "value": "v"} for i in range(count)]


case("log-batch, 1001 metrics", lambda: log_batch(metrics=points(1001)))
case("log-batch, 101 params", lambda: log_batch(params=pairs("p", 101)))
case("log-batch, 101 tags", lambda: log_batch(tags=pairs("t", 101)))
case("log-batch, 1001 entities", lambda: log_batch(metrics=points(950), params=pairs("q", 51)))
case(
    "log-batch, no timestamp",
    lambda: log_batch(metrics=[*points(1), {"key": "b", "value": 1}]),
)
case("log-batch, no value", lambda: log_batch(metrics=[{"key": "b", "timestamp": 1}]))
case("log-batch, no param key", lambda: log_batch(params=[{"value": "1"}]))
case("log-batch, no tag key", lambda: log_batch(tags=[{"value": "1"}]))
case(
    "log-batch, a negative timestamp",
    lambda: log_batch(metrics=[{"key": "b", "value": 1, "timestamp": -1}]),
)
case(
    "log_batch, a param twice",
    lambda: client.log_batch(run_id, params=[Param("d", "1"), Param("d", "2")]),
)
case(
    "log_param, 6001 characters",
    lambda: (
        client.log_param(run_id, "long", "x" * 6001),
        len(client.get_run(run_id).data.params["long"]),
    )[1],
)

case(
    "set_tag, 8001 characters",
    lambda: (
        client.set_tag(run_id, "long", "x" * 8001),
        len(client.get_run(run_id).data.tags["long"]),
    )[1],
)
# MLflow's 1,000,000-byte check measures the parsed body (a dict of 2 keys), so a
# bigger request passes there too.
case(
    "log-batch, more than 1,000,000 bytes",
    lambda: log_batch(tags=[{"key": f"big{i}", "value": "x" * 100_000} for i in range(11)]),
)

# --------------------------------------------------------- ids that do not exist
case(
    "create_experiment, its own artifact_location",
    lambda: bool(client.create_experiment("located", artifact_location=str(scratch / "mine"))),
)
client.create_registered_model("reg-c")


def version_of_a_missing_model() -> Any:
    try:
        client.create_model_version("reg-c", "s3://bucket/m", model_id="m-" + "0" * 32)
    except MlflowException as error:
        refused: Any = error.error_code
    else:
        refused = None
    return [refused, len(client.search_model_versions("name = 'reg-c'"))]


case("create_model_version, a model_id that does not exist", version_of_a_missing_model)
case(
    "log_outputs, a model that does not exist",
    lambda: client.log_outputs(run_id, [LoggedModelOutput("m-" + "0" * 32, 0)]),
)
case(
    "get-history-bulk-interval, a malformed run id",
    lambda: raw("GET", BULK, params={"run_ids": ["../x"], "metric_key": "loss"}),
)

# ------------------------------------------------------ search_runs max_results
case("search_runs, max_results 50001", lambda: client.search_runs([experiment], max_results=50001))
case("search_runs, max_results 0", lambda: client.search_runs([experiment], max_results=0))

text = json.dumps(outcomes, sort_keys=True)
for real, placeholder in made.items():
    text = text.replace(real, placeholder)
sys.stdout.write("OUTCOMES " + text + "\n")
