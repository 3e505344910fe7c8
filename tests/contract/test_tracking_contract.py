"""One tracking contract, two transports: in-process ``TrackingService`` and ``HttpTracking``.

Every test runs on both (fixture ``tracking_api``, served configuration: artifact
locations are ``mlflow-artifacts:`` URIs); ``test_same_outcome_on_both_transports``
also runs a table of calls on both side by side and requires the same result, or the
same exception class *and* message.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelreg.errors import AlreadyExists, InvalidArgument, NotFound, RegistryError
from modelreg.tracking_entities import (
    Dataset,
    DatasetInput,
    Experiment,
    FileInfo,
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    LoggedModelStatus,
    Metric,
    Run,
)
from tests.contract.conftest import ACTOR, Tracking


# ------------------------------------------------------------------ experiments
def test_default_experiment(tracking_api: Tracking) -> None:
    default = tracking_api.get_experiment("0")
    assert (default.name, default.artifact_location) == ("Default", "mlflow-artifacts:/0")
    assert default.lifecycle_stage == "active"
    with pytest.raises(InvalidArgument, match="cannot be deleted"):
        tracking_api.delete_experiment("0")


def test_experiment_lifecycle(tracking_api: Tracking) -> None:
    experiment_id = tracking_api.create_experiment("churn", tags={"team": "ds", "n": 1})
    created = tracking_api.get_experiment(experiment_id)
    assert created.experiment_id == experiment_id == "1"
    assert created.artifact_location == "mlflow-artifacts:/1"
    assert created.tags == {"team": "ds", "n": "1"}
    assert tracking_api.get_experiment_by_name("churn") == created
    assert tracking_api.get_experiment_by_name("nope") is None
    with pytest.raises(AlreadyExists, match=r"^Experiment\(name=churn\) already exists\.$"):
        tracking_api.create_experiment("churn")

    tracking_api.set_experiment_tag(experiment_id, "stage", "beta")
    tracking_api.rename_experiment(experiment_id, "churn-2")
    renamed = tracking_api.get_experiment(experiment_id)
    assert (renamed.name, renamed.tags["stage"]) == ("churn-2", "beta")
    tracking_api.set_experiment_tag(experiment_id, "gone", "soon")
    tracking_api.delete_experiment_tag(experiment_id, "gone")
    assert "gone" not in tracking_api.get_experiment(experiment_id).tags
    with pytest.raises(NotFound, match="No tag with name: gone in experiment"):
        tracking_api.delete_experiment_tag(experiment_id, "gone")

    tracking_api.delete_experiment(experiment_id)
    assert tracking_api.get_experiment(experiment_id).lifecycle_stage == "deleted"
    active = tracking_api.search_experiments()
    assert [e.experiment_id for e in active] == ["0"]
    deleted = tracking_api.search_experiments(view_type="DELETED_ONLY")
    assert [e.name for e in deleted] == ["churn-2"]
    with pytest.raises(InvalidArgument, match="deleted"):
        tracking_api.create_run(experiment_id)
    tracking_api.restore_experiment(experiment_id)
    assert tracking_api.get_experiment(experiment_id).lifecycle_stage == "active"


def test_experiment_search_filters_and_pages(tracking_api: Tracking) -> None:
    for name in ("churn-a", "churn-b", "fraud"):
        tracking_api.create_experiment(name, tags={"team": "growth" if "churn" in name else "x"})
    found = tracking_api.search_experiments(filter_string="name LIKE 'churn%'")
    assert sorted(e.name for e in found) == ["churn-a", "churn-b"]
    found = tracking_api.search_experiments(filter_string="tags.team = 'x'")
    assert [e.name for e in found] == ["fraud"]
    first = tracking_api.search_experiments(max_results=2)
    token = first.token
    assert len(first) == 2 and token
    rest = tracking_api.search_experiments(max_results=2, page_token=token)
    last = rest.token
    assert len(rest) == 2 and last is None
    assert {e.name for e in first + rest} == {"Default", "churn-a", "churn-b", "fraud"}


def test_experiment_search_orders_as_mlflow(tracking_api: Tracking) -> None:
    for name in ("b", "c", "a"):
        tracking_api.create_experiment(name)
    by_name = tracking_api.search_experiments(order_by=["name"])
    assert [e.name for e in by_name] == ["Default", "a", "b", "c"]
    newest = tracking_api.search_experiments(order_by=["experiment_id DESC"], max_results=2)
    assert [e.experiment_id for e in newest] == ["3", "2"]
    rest = tracking_api.search_experiments(
        order_by=["experiment_id DESC"], max_results=2, page_token=newest.token
    )
    assert [e.experiment_id for e in rest] == ["1", "0"]
    with pytest.raises(InvalidArgument, match="^Invalid order by key 'tags.x'"):
        tracking_api.search_experiments(order_by=["tags.x"])


def test_experiments_cannot_choose_artifact_locations(tracking_api: Tracking) -> None:
    with pytest.raises(InvalidArgument, match="cannot choose their own artifact_location"):
        tracking_api.create_experiment("e", artifact_location="s3://bucket/elsewhere")


# ------------------------------------------------------------------------ runs
def test_run_lifecycle(tracking_api: Tracking) -> None:
    run = tracking_api.create_run(
        "0", start_time=1234, tags={"k": "v"}, run_name="first", user_id="bob"
    )
    info = run.info
    assert (info.status, info.lifecycle_stage, info.run_name) == ("RUNNING", "active", "first")
    assert (info.start_time, info.end_time, info.user_id) == (1234, None, "bob")
    assert info.run_uuid == info.run_id and len(info.run_id) == 32
    assert info.artifact_uri == f"mlflow-artifacts:/0/{info.run_id}/artifacts"
    assert run.data.tags == {"k": "v", "mlflow.runName": "first"}
    assert tracking_api.get_run(info.run_id) == run

    finished = tracking_api.update_run(info.run_id, status="FINISHED", end_time=5678)
    assert (finished.info.status, finished.info.end_time) == ("FINISHED", 5678)
    assert finished == tracking_api.get_run(info.run_id)
    renamed = tracking_api.update_run(info.run_id, run_name="second")
    assert renamed.info.run_name == renamed.data.tags["mlflow.runName"] == "second"

    tracking_api.delete_run(info.run_id)
    assert tracking_api.get_run(info.run_id).info.lifecycle_stage == "deleted"
    with pytest.raises(InvalidArgument, match="must be in the 'active' state"):
        tracking_api.log_param(info.run_id, "a", 1)
    tracking_api.restore_run(info.run_id)
    tracking_api.log_param(info.run_id, "a", 1)


def test_run_defaults_to_the_callers_identity(tracking_api: Tracking) -> None:
    run = tracking_api.create_run()
    assert (run.info.experiment_id, run.info.user_id) == ("0", ACTOR)
    assert run.info.run_name == run.data.tags["mlflow.runName"]  # a generated name


def test_params_metrics_tags(tracking_api: Tracking) -> None:
    run_id = tracking_api.create_run().info.run_id
    tracking_api.log_param(run_id, "C", 1.0)
    tracking_api.log_param(run_id, "C", "1.0")  # the same value again is fine
    with pytest.raises(InvalidArgument, match="Changing param values is not allowed"):
        tracking_api.log_param(run_id, "C", 2)
    tracking_api.log_metric(run_id, "loss", 0.9, timestamp=10, step=0)
    tracking_api.log_metric(run_id, "loss", 0.5, timestamp=20, step=2)
    tracking_api.log_metric(run_id, "loss", 0.7, timestamp=30, step=1)
    tracking_api.log_metric(run_id, "nan", math.nan, timestamp=5)
    tracking_api.log_metric(run_id, "big", math.inf, timestamp=5)
    tracking_api.log_batch(
        run_id,
        metrics=[Metric("acc", 0.8, 40, 3)],
        params={"depth": 4, "name": "x"},
        tags={"t": 1},
    )
    tracking_api.set_tag(run_id, "u", "2")
    tracking_api.delete_tag(run_id, "u")
    with pytest.raises(NotFound, match="No tag with name: u"):
        tracking_api.delete_tag(run_id, "u")

    data = tracking_api.get_run(run_id).data
    assert data.params == {"C": "1.0", "depth": "4", "name": "x"}
    assert data.metrics["loss"] == 0.5  # highest step wins
    assert math.isnan(data.metrics["nan"])
    assert data.metrics["big"] == 1.7976931348623157e308  # infinities are clamped
    assert data.tags["t"] == "1" and "u" not in data.tags
    history = tracking_api.get_metric_history(run_id, "loss")
    assert [(m.step, m.value, m.timestamp) for m in history] == [
        (0, 0.9, 10),
        (2, 0.5, 20),
        (1, 0.7, 30),
    ]
    assert history.token is None
    first = tracking_api.get_metric_history(run_id, "loss", max_results=2)
    assert first == history[:2] and first.token
    rest = tracking_api.get_metric_history(run_id, "loss", max_results=2, page_token=first.token)
    assert rest == history[2:] and rest.token is None
    assert tracking_api.get_metric_history(run_id, "none") == []
    with pytest.raises(InvalidArgument, match="^Invalid value 0 for parameter 'max_results'"):
        tracking_api.get_metric_history(run_id, "loss", max_results=0)


def test_metric_history_bulk_interval(tracking_api: Tracking) -> None:
    runs = [tracking_api.create_run().info.run_id for _ in range(2)]
    for n, run_id in enumerate(runs, start=1):
        points = [Metric("loss", i / 10, 100 + i, n * i) for i in range(12)]
        tracking_api.log_batch(run_id, metrics=points)
    found = tracking_api.get_metric_history_bulk_interval(runs, "loss", max_results=3)
    assert [(m.run_id, m.step) for m in found] == [
        (runs[0], 0),
        (runs[0], 4),
        (runs[0], 11),
        (runs[1], 0),
        (runs[1], 8),
        (runs[1], 22),
    ]
    assert found[2] == Metric("loss", 1.1, 111, 11, run_id=runs[0])
    window = tracking_api.get_metric_history_bulk_interval(
        runs[1:], "loss", max_results=2, start_step=4, end_step=10
    )
    assert [m.step for m in window] == [4, 10]
    with pytest.raises(InvalidArgument, match="^max_results must be between 1 and 2500.$"):
        tracking_api.get_metric_history_bulk_interval(runs, "loss", max_results=0)
    with pytest.raises(NotFound, match="^Run with id=0+ not found$"):
        tracking_api.get_metric_history_bulk_interval([MISSING_RUN], "loss")


def test_log_batch_is_all_or_nothing(tracking_api: Tracking) -> None:
    run_id = tracking_api.create_run().info.run_id
    tracking_api.log_param(run_id, "a", "1")
    with pytest.raises(InvalidArgument):
        tracking_api.log_batch(
            run_id, metrics=[Metric("m", 1.0, 1, 0)], params={"a": "2"}, tags={"t": "v"}
        )
    data = tracking_api.get_run(run_id).data
    assert (data.params, data.metrics, "t" in data.tags) == ({"a": "1"}, {}, False)


def test_search_runs(tracking_api: Tracking) -> None:
    ids = []
    for i in range(3):
        run_id = tracking_api.create_run(run_name=f"r{i}", start_time=i).info.run_id
        tracking_api.log_param(run_id, "i", i)
        tracking_api.log_metric(run_id, "acc", i / 10, timestamp=1)
        ids.append(run_id)
    found = tracking_api.search_runs(["0"], "metrics.acc > 0.05", order_by=["metrics.acc DESC"])
    assert [r.info.run_id for r in found] == [ids[2], ids[1]]
    found = tracking_api.search_runs(["0"], "params.i = '0'")
    assert [r.info.run_id for r in found] == [ids[0]]
    first = tracking_api.search_runs(["0"], max_results=2, order_by=["attributes.start_time"])
    token = first.token
    rest = tracking_api.search_runs(
        ["0"], max_results=2, order_by=["attributes.start_time"], page_token=token
    )
    last = rest.token
    assert [r.info.run_id for r in first + rest] == ids and last is None
    tracking_api.delete_run(ids[0])
    found = tracking_api.search_runs(["0"], run_view_type="DELETED_ONLY")
    assert [r.info.run_id for r in found] == [ids[0]]


def test_inputs_and_outputs(tracking_api: Tracking) -> None:
    run_id = tracking_api.create_run().info.run_id
    dataset = Dataset("train", "abc123", "local", '{"uri": "x"}', schema='{"a": 1}')
    item = DatasetInput(dataset=dataset, tags={"mlflow.data.context": "training"})
    tracking_api.log_inputs(run_id, [item])
    model = tracking_api.create_logged_model("0", "model", run_id)
    tracking_api.log_outputs(run_id, [LoggedModelOutput(model.model_id, 3)])
    run = tracking_api.get_run(run_id)
    assert run.inputs.dataset_inputs == [item]
    assert run.outputs.model_outputs == [LoggedModelOutput(model.model_id, 3)]
    with pytest.raises(NotFound, match="Logged model with ID 'm-nope' not found"):
        tracking_api.log_outputs(run_id, [LoggedModelOutput("m-nope", 0)])


# --------------------------------------------------------------- logged models
def test_logged_model_lifecycle(tracking_api: Tracking) -> None:
    run_id = tracking_api.create_run().info.run_id
    model = tracking_api.create_logged_model(
        "0", "model", run_id, tags={"t": "1"}, params={"C": 1}, model_type="sk"
    )
    assert model.model_id.startswith("m-") and len(model.model_id) == 34
    assert (model.status, model.model_type, model.source_run_id) == (
        "PENDING",
        "sk",
        run_id,
    )
    assert model.artifact_location == f"mlflow-artifacts:/0/models/{model.model_id}/artifacts"
    assert (model.params, model.tags) == ({"C": "1"}, {"t": "1"})
    assert tracking_api.get_logged_model(model.model_id) == model

    ready = tracking_api.finalize_logged_model(model.model_id, "LOGGED_MODEL_READY")
    assert ready.status == LoggedModelStatus.READY == "READY"
    assert ready == tracking_api.get_logged_model(model.model_id)
    tracking_api.set_logged_model_tags(model.model_id, {"u": "2", "path/key": "x"})
    tracking_api.delete_logged_model_tag(model.model_id, "t")
    with pytest.raises(
        NotFound, match=f"^No tag with key 't' found for model with ID '{model.model_id}'.$"
    ):
        tracking_api.delete_logged_model_tag(model.model_id, "t")
    tracking_api.log_logged_model_params(model.model_id, {"D": 2})
    tracking_api.log_metric(run_id, "acc", 0.9, timestamp=1, model_id=model.model_id)
    fetched = tracking_api.get_logged_model(model.model_id)
    assert fetched.tags == {"u": "2", "path/key": "x"}
    assert fetched.params == {"C": "1", "D": "2"}
    assert [(m.key, m.value, m.run_id) for m in fetched.metrics] == [("acc", 0.9, run_id)]

    with pytest.raises(InvalidArgument, match="Invalid logged model status"):
        tracking_api.finalize_logged_model(model.model_id, "DONE")
    tracking_api.delete_logged_model(model.model_id)
    with pytest.raises(NotFound, match=f"Logged model with ID '{model.model_id}' not found"):
        tracking_api.get_logged_model(model.model_id)


def test_search_logged_models(tracking_api: Tracking) -> None:
    run_id = tracking_api.create_run().info.run_id
    made = [tracking_api.create_logged_model("0", name, run_id) for name in ("b", "a", "b")]
    found = tracking_api.search_logged_models(["0"], "name = 'b'")
    assert {m.model_id for m in found} == {made[0].model_id, made[2].model_id}
    found = tracking_api.search_logged_models(
        ["0"], order_by=[{"field_name": "name", "ascending": True}]
    )
    assert [m.name for m in found] == ["a", "b", "b"]
    first = tracking_api.search_logged_models(["0"], max_results=2)
    token = first.token
    rest = tracking_api.search_logged_models(["0"], max_results=2, page_token=token)
    last = rest.token
    assert len(first) == 2 and len(rest) == 1 and last is None


def test_metrics_on_datasets_filter_logged_models(tracking_api: Tracking) -> None:
    run_id = tracking_api.create_run().info.run_id
    on_eval, on_test, bare = (tracking_api.create_logged_model("0", n, run_id) for n in "etb")
    tracking_api.log_metric(
        run_id, "acc", 0.9, 1, 0, on_eval.model_id, dataset_name="eval", dataset_digest="d1"
    )
    tracking_api.log_batch(
        run_id,
        metrics=[
            Metric("acc", 0.6, 2, 0, on_test.model_id, "test", "d2"),
            Metric("acc", 0.95, 3, 0, on_test.model_id, "eval", "d9"),
            Metric("acc", 0.99, 4, 0, bare.model_id),
        ],
    )
    (metric,) = tracking_api.get_logged_model(on_eval.model_id).metrics
    assert (metric.dataset_name, metric.dataset_digest, metric.run_id) == ("eval", "d1", run_id)
    history = tracking_api.get_metric_history(run_id, "acc")
    assert [(m.dataset_name, m.dataset_digest) for m in history] == [
        ("eval", "d1"),
        ("test", "d2"),
        ("eval", "d9"),
        (None, None),
    ]

    def names(*datasets: dict[str, str], text: str | None = None) -> list[str]:
        found = tracking_api.search_logged_models(
            ["0"], text, order_by=[{"field_name": "name"}], datasets=list(datasets)
        )
        return [m.name for m in found]

    assert names({"dataset_name": "eval", "dataset_digest": "d1"}) == ["e"]
    assert names({"dataset_name": "eval"}) == ["e", "t"]  # any digest
    assert names({"dataset_name": "test"}, {"dataset_name": "eval", "dataset_digest": "d1"}) == [
        "e",
        "t",
    ]
    assert names({"dataset_name": "nope"}) == []
    # Metric conditions hold on the given datasets only.
    assert names({"dataset_name": "test"}, text="metrics.acc > 0.9") == []
    assert names({"dataset_name": "eval"}, text="metrics.acc > 0.9") == ["t"]
    assert names(text="metrics.acc > 0.9") == ["b", "t"]
    # Inside OR groups too (an extension of MLflow's grammar): t's 0.95 is on eval.
    assert names({"dataset_name": "test"}, text="metrics.acc > 0.9 OR metrics.acc < 0.5") == []
    assert names({"dataset_name": "eval"}, text="metrics.acc < 0.7 OR name = 'b'") == []
    assert names(text="metrics.acc < 0.7 OR name = 'b'") == ["b", "t"]
    # Every model found has a metric on the datasets, whichever OR branch matched it.
    assert names({"dataset_name": "test"}, text="metrics.acc < 0.7 OR name = 'e'") == ["t"]
    assert names({"dataset_name": "eval"}, text="(metrics.acc > 0.9 OR name = 'e')") == [
        "e",
        "t",
    ]
    with pytest.raises(InvalidArgument, match="must be provided if one is provided"):
        tracking_api.log_metric(run_id, "acc", 1.0, dataset_name="eval")
    with pytest.raises(InvalidArgument, match="`dataset_name` in the `datasets` clause"):
        tracking_api.search_logged_models(["0"], datasets=[{"dataset_digest": "d1"}])


def test_logged_models_as_run_inputs(tracking_api: Tracking) -> None:
    run_id = tracking_api.create_run().info.run_id
    base = tracking_api.create_logged_model("0", "base")
    tracking_api.log_inputs(run_id, models=[LoggedModelInput(base.model_id)])
    tracking_api.log_inputs(run_id, [], [LoggedModelInput(base.model_id)])  # idempotent
    run = tracking_api.get_run(run_id)
    assert run.inputs.model_inputs == [LoggedModelInput(base.model_id)]
    assert run.inputs.dataset_inputs == []
    with pytest.raises(NotFound, match="Logged model with ID 'm-nope' not found"):
        tracking_api.log_inputs(run_id, models=[LoggedModelInput("m-nope")])
    tracking_api.delete_logged_model(base.model_id)
    assert tracking_api.get_run(run_id).inputs.model_inputs == []


# ------------------------------------------------------------- artifact lists
def _write(root: Path, relative: str, data: bytes) -> None:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def test_list_artifacts_of_runs_and_logged_models(
    tracking_api: Tracking, artifact_root: Path
) -> None:
    run = tracking_api.create_run()
    run_dir = f"0/{run.info.run_id}/artifacts"  # under the served artifact destination
    _write(artifact_root, f"{run_dir}/top.txt", b"1")
    _write(artifact_root, f"{run_dir}/model/MLmodel", b"flavors")
    _write(artifact_root, f"{run_dir}/model/sub/w.bin", b"123")

    root = tracking_api.list_artifacts(run.info.run_id)
    assert root == [FileInfo("model", True, None), FileInfo("top.txt", False, 1)]
    assert root.root_uri == run.info.artifact_uri
    model = tracking_api.list_artifacts(run.info.run_id, "model")
    assert model == [FileInfo("model/MLmodel", False, 7), FileInfo("model/sub", True, None)]
    assert tracking_api.list_artifacts(run.info.run_id, "model/sub/") == [
        FileInfo("model/sub/w.bin", False, 3)
    ]
    assert tracking_api.list_artifacts(run.info.run_id, "missing") == []  # as MLflow
    assert tracking_api.list_artifacts(run.info.run_id, "top.txt") == []  # a file
    for bad in ("../x", "/etc", "model/../../x", "a\\b", "%2e%2e/x"):
        with pytest.raises(InvalidArgument, match="^Invalid path"):
            tracking_api.list_artifacts(run.info.run_id, bad)
    with pytest.raises(NotFound, match="Run with id=0+ not found"):
        tracking_api.list_artifacts(MISSING_RUN)

    logged = tracking_api.create_logged_model("0", "m", run.info.run_id)
    _write(artifact_root, f"0/models/{logged.model_id}/artifacts/MLmodel", b"x")
    _write(artifact_root, f"0/models/{logged.model_id}/artifacts/data/model.pkl", b"xy")
    files = tracking_api.list_logged_model_artifacts(logged.model_id)
    assert files == [FileInfo("MLmodel", False, 1), FileInfo("data", True, None)]
    assert files.root_uri == logged.artifact_location
    assert tracking_api.list_logged_model_artifacts(logged.model_id, "data") == [
        FileInfo("data/model.pkl", False, 2)
    ]
    with pytest.raises(InvalidArgument, match="^Invalid path"):
        tracking_api.list_logged_model_artifacts(logged.model_id, "../../x")
    with pytest.raises(NotFound, match="Logged model with ID 'm-nope' not found"):
        tracking_api.list_logged_model_artifacts("m-nope")


# ------------------------------------------------- same outcome, side by side
Call = Callable[[Tracking], Any]
MISSING_RUN = "0" * 32


def _setup(api: Tracking) -> None:
    api.create_experiment("exp")
    run_id = api.create_run("1", run_name="r", start_time=1).info.run_id
    api.log_param(run_id, "p", "1")


def _run_id(api: Tracking) -> str:
    (run,) = api.search_runs(["1"])
    return run.info.run_id


CASES: dict[str, Call] = {
    "missing experiment": lambda t: t.get_experiment("99"),
    "experiment id text": lambda t: t.get_experiment("abc"),
    "duplicate experiment": lambda t: t.create_experiment("exp"),
    "empty experiment name": lambda t: t.create_experiment(""),
    "long experiment name": lambda t: t.create_experiment("e" * 300),
    "experiment location": lambda t: t.create_experiment("x", artifact_location="/etc"),
    "rename to taken": lambda t: t.rename_experiment("1", "Default"),
    "delete default": lambda t: t.delete_experiment("0"),
    "missing run": lambda t: t.get_run(MISSING_RUN),
    "bad run id": lambda t: t.get_run("../../etc"),
    "run in missing experiment": lambda t: t.create_run("42"),
    "bad run status": lambda t: t.update_run(_run_id(t), status="DONE"),
    "param change": lambda t: t.log_param(_run_id(t), "p", "2"),
    "bad tag key": lambda t: t.set_tag(_run_id(t), "../x", "v"),
    "null tag value": lambda t: t.set_tag(_run_id(t), "k", None),
    "long param": lambda t: t.log_param(_run_id(t), "q", "v" * 6001),
    "missing tag": lambda t: t.delete_tag(_run_id(t), "nope"),
    "bad filter": lambda t: t.search_runs(["1"], "params.p = 1 OR params.p = 2"),
    "bad order": lambda t: t.search_runs(["1"], order_by=["nope.x"]),
    "bad token": lambda t: t.search_runs(["1"], page_token="not-a-token"),
    "too many runs": lambda t: t.search_runs(["1"], max_results=50_001),
    "bad view": lambda t: t.search_experiments(view_type="SOME"),
    "missing logged model": lambda t: t.get_logged_model("m-missing"),
    "logged model in missing run": lambda t: t.create_logged_model("0", "m", MISSING_RUN),
    "bad model order": lambda t: t.search_logged_models(["0"], order_by=[{"field_name": "x"}]),
    "history of missing run": lambda t: t.get_metric_history(MISSING_RUN, "k"),
    "empty dataset": lambda t: t.log_inputs(
        _run_id(t), [DatasetInput(Dataset("", "", "local", "x"))]
    ),
    "find by name": lambda t: t.get_experiment_by_name("exp"),
    "search params": lambda t: [r.data.params for r in t.search_runs(["1"], "params.p = '1'")],
}


def _strip(value: Any) -> Any:
    """What does not depend on the clock or random ids of one database."""
    if isinstance(value, Experiment):
        return dataclasses.replace(value, creation_time=0, last_update_time=0)
    if isinstance(value, Run | LoggedModel):
        return "entity"
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _outcome(call: Call, api: Tracking) -> tuple[str, object]:
    try:
        return "ok", _strip(call(api))
    except RegistryError as error:
        # Messages may name the run, whose id is random in each database.
        return type(error).__name__, error.message.replace(_run_id(api), "<run>")


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_outcome_on_both_transports(
    both_tracking: tuple[Tracking, Tracking], case: str
) -> None:
    embedded, http = both_tracking
    _setup(embedded)
    _setup(http)
    assert _outcome(CASES[case], http) == _outcome(CASES[case], embedded)
