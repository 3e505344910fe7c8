"""Experiments, runs, params, metrics, tags, datasets and logged models."""

from __future__ import annotations

import math
from typing import Any

import pytest

from modelreg.errors import AlreadyExists, InvalidArgument, NotFound
from modelreg.service.tracking import TrackingService
from modelreg.tracking_entities import Dataset, DatasetInput, LoggedModelOutput, Metric


def test_default_experiment_exists(tracking: TrackingService, artifact_root: object) -> None:
    default = tracking.get_experiment("0")
    assert (default.name, default.lifecycle_stage) == ("Default", "active")
    assert default.artifact_location == f"{artifact_root}/0"
    assert tracking.get_experiment_by_name("Default") == default


def test_create_experiment_ids_and_names(tracking: TrackingService, artifact_root: object) -> None:
    first = tracking.create_experiment("churn", tags={"team": "growth"})
    second = tracking.create_experiment("fraud")
    assert (first, second) == ("1", "2")
    churn = tracking.get_experiment(first)
    assert churn.tags == {"team": "growth"}
    assert churn.artifact_location == f"{artifact_root}/1"
    with pytest.raises(AlreadyExists):
        tracking.create_experiment("churn")
    assert tracking.get_experiment_by_name("missing") is None
    with pytest.raises(NotFound):
        tracking.get_experiment("99")
    with pytest.raises(InvalidArgument, match="experiment ID"):
        tracking.get_experiment("abc")


def test_explicit_artifact_location_is_kept(tracking: TrackingService) -> None:
    eid = tracking.create_experiment("ext", artifact_location="s3://bucket/exp")
    assert tracking.get_experiment(eid).artifact_location == "s3://bucket/exp"
    run = tracking.create_run(eid)
    assert run.info.artifact_uri == f"s3://bucket/exp/{run.info.run_id}/artifacts"


def test_delete_and_restore_experiment(tracking: TrackingService) -> None:
    eid = tracking.create_experiment("x")
    tracking.delete_experiment(eid)
    assert tracking.get_experiment(eid).lifecycle_stage == "deleted"
    with pytest.raises(InvalidArgument, match="deleted"):
        tracking.create_run(eid)
    tracking.restore_experiment(eid)
    tracking.create_run(eid)
    with pytest.raises(InvalidArgument, match="default experiment"):
        tracking.delete_experiment("0")


def test_run_lifecycle(tracking: TrackingService, artifact_root: object) -> None:
    run = tracking.create_run("0", tags={"k": "v"}, run_name="first")
    info = run.info
    assert (info.status, info.lifecycle_stage, info.run_name) == ("RUNNING", "active", "first")
    assert info.run_uuid == info.run_id and len(info.run_id) == 32
    assert info.artifact_uri == f"{artifact_root}/0/{info.run_id}/artifacts"
    assert run.data.tags == {"k": "v", "mlflow.runName": "first"}
    finished = tracking.update_run(info.run_id, status="FINISHED")
    assert finished.info.status == "FINISHED" and finished.info.end_time is not None
    with pytest.raises(InvalidArgument, match="status"):
        tracking.update_run(info.run_id, status="DONE")
    with pytest.raises(NotFound):
        tracking.get_run("0" * 32)


def test_params_are_immutable(tracking: TrackingService) -> None:
    run_id = tracking.create_run().info.run_id
    tracking.log_param(run_id, "C", 1.0)
    tracking.log_param(run_id, "C", "1.0")  # the same value again is fine
    with pytest.raises(InvalidArgument, match="Changing param values is not allowed"):
        tracking.log_param(run_id, "C", 2)
    assert tracking.get_run(run_id).data.params == {"C": "1.0"}


def test_metrics_history_and_latest(tracking: TrackingService) -> None:
    run_id = tracking.create_run().info.run_id
    tracking.log_metric(run_id, "loss", 0.9, timestamp=10, step=0)
    tracking.log_metric(run_id, "loss", 0.5, timestamp=20, step=2)
    tracking.log_metric(run_id, "loss", 0.7, timestamp=30, step=1)
    tracking.log_metric(run_id, "nan", math.nan, timestamp=5)
    data = tracking.get_run(run_id).data
    assert data.metrics["loss"] == 0.5  # highest step wins, not the last logged
    assert math.isnan(data.metrics["nan"])
    history = tracking.get_metric_history(run_id, "loss")
    # MLflow's order: by timestamp, then step, then value.
    assert [(m.step, m.value) for m in history] == [(0, 0.9), (2, 0.5), (1, 0.7)]
    with pytest.raises(InvalidArgument, match="must be numbers"):
        tracking.log_metric(run_id, "bad", "x")  # type: ignore[arg-type]


def test_log_batch_is_all_or_nothing(tracking: TrackingService) -> None:
    run_id = tracking.create_run().info.run_id
    tracking.log_param(run_id, "a", "1")
    with pytest.raises(InvalidArgument):
        tracking.log_batch(
            run_id,
            metrics=[Metric("m", 1.0, 1, 0)],
            params={"a": "2", "b": "3"},
            tags={"t": "v"},
        )
    data = tracking.get_run(run_id).data
    assert (data.params, data.metrics, "t" in data.tags) == ({"a": "1"}, {}, False)


def test_tags_set_delete(tracking: TrackingService) -> None:
    run_id = tracking.create_run().info.run_id
    tracking.set_tag(run_id, "mlflow.runName", "renamed")
    assert tracking.get_run(run_id).info.run_name == "renamed"
    tracking.set_tag(run_id, "x", "1")
    tracking.delete_tag(run_id, "x")
    with pytest.raises(NotFound):
        tracking.delete_tag(run_id, "x")


def test_deleted_runs_refuse_writes(tracking: TrackingService) -> None:
    run_id = tracking.create_run().info.run_id
    tracking.delete_run(run_id)
    with pytest.raises(InvalidArgument, match="active"):
        tracking.log_param(run_id, "a", 1)
    tracking.restore_run(run_id)
    tracking.log_param(run_id, "a", 1)


def test_dataset_inputs(tracking: TrackingService) -> None:
    run_id = tracking.create_run().info.run_id
    dataset = Dataset(name="train", digest="abc123", source_type="local", source='{"uri": "x"}')
    item = DatasetInput(dataset=dataset, tags={"mlflow.data.context": "training"})
    tracking.log_inputs(run_id, [item])
    tracking.log_inputs(run_id, [item])  # logging the same input twice keeps one
    inputs = tracking.get_run(run_id).inputs.dataset_inputs
    assert inputs == [item]


def test_logged_model_lifecycle(tracking: TrackingService, artifact_root: object) -> None:
    run_id = tracking.create_run().info.run_id
    model = tracking.create_logged_model("0", "model", run_id, tags={"t": "1"}, params={"C": 1})
    assert model.model_id.startswith("m-") and len(model.model_id) == 34
    assert model.status == "PENDING"
    assert model.artifact_location == f"{artifact_root}/0/models/{model.model_id}/artifacts"
    assert (model.params, model.tags) == ({"C": "1"}, {"t": "1"})
    ready = tracking.finalize_logged_model(model.model_id, "LOGGED_MODEL_READY")
    assert ready.status == "READY"
    tracking.set_logged_model_tags(model.model_id, {"u": "2"})
    tracking.delete_logged_model_tag(model.model_id, "t")
    tracking.log_metric(run_id, "acc", 0.9, timestamp=1, model_id=model.model_id)
    fetched = tracking.get_logged_model(model.model_id)
    assert fetched.tags == {"u": "2"}
    assert [(m.key, m.value) for m in fetched.metrics] == [("acc", 0.9)]
    tracking.log_outputs(run_id, [LoggedModelOutput(model.model_id, 3)])
    assert tracking.get_run(run_id).outputs.model_outputs == [LoggedModelOutput(model.model_id, 3)]
    with pytest.raises(InvalidArgument):
        tracking.finalize_logged_model(model.model_id, "DONE")
    with pytest.raises(NotFound):
        tracking.get_logged_model("m-missing")
    tracking.delete_logged_model(model.model_id)
    with pytest.raises(NotFound):
        tracking.get_logged_model(model.model_id)


def test_metric_history_pages_as_mlflow(tracking: TrackingService) -> None:
    run_id = tracking.create_run().info.run_id
    tracking.log_batch(run_id, metrics=[Metric("m", float(i), 100 - i % 2, i) for i in range(5)])
    tracking.log_metric(run_id, "m", math.nan, timestamp=99, step=9)
    # Timestamp, step, value; NaN sorts as 0, as MLflow stores it.
    everything = tracking.get_metric_history(run_id, "m")
    assert [m.step for m in everything] == [1, 3, 9, 0, 2, 4] and everything.token is None
    first = tracking.get_metric_history(run_id, "m", max_results=4)
    assert [m.step for m in first] == [1, 3, 9, 0] and first.token
    rest = tracking.get_metric_history(run_id, "m", max_results=4, page_token=first.token)
    assert [m.step for m in rest] == [2, 4] and rest.token is None
    # A token without max_results reads the rest in one page, as MLflow does.
    assert tracking.get_metric_history(run_id, "m", page_token=first.token) == rest
    exact = tracking.get_metric_history(run_id, "m", max_results=6)
    assert len(exact) == 6 and exact.token is None
    assert tracking.get_metric_history(run_id, "none", max_results=2) == []
    for bad in (0, -1):
        with pytest.raises(
            InvalidArgument,
            match=rf"^Invalid value {bad} for parameter 'max_results' supplied\. "
            r"It must be a positive integer\.$",
        ):
            tracking.get_metric_history(run_id, "m", max_results=bad)
    with pytest.raises(InvalidArgument, match="Invalid page token"):
        tracking.get_metric_history(run_id, "m", max_results=2, page_token="nope")


# ------------------------------------------------ metrics/get-history-bulk-interval
def _sampled(found: list[Metric]) -> list[tuple[str | None, int]]:
    return [(m.run_id, m.step) for m in found]


def test_bulk_interval_samples_as_mlflow(tracking: TrackingService) -> None:
    """MLflow's SQL store: NTILE(max_results) buckets over (step, timestamp, value) per
    run, the first row of each, and the run's last row in place of the last sample."""
    first = tracking.create_run().info.run_id
    second = tracking.create_run().info.run_id
    tracking.log_batch(first, metrics=[Metric("loss", float(i), 1000 + i, i) for i in range(30)])
    tracking.log_batch(second, metrics=[Metric("loss", 2.0 * i, 2000 + i, 3 * i) for i in range(7)])
    tracking.log_metric(second, "loss", math.nan, timestamp=3000, step=5)

    found = tracking.get_metric_history_bulk_interval([first, second], "loss", max_results=5)
    assert _sampled(found) == [
        *((first, step) for step in (0, 6, 12, 18, 29)),
        *((second, step) for step in (0, 5, 9, 15, 18)),
    ]
    assert all(m.key == "loss" and m.model_id is None for m in found)
    nan = next(m for m in found if m.run_id == second and m.step == 5)
    assert math.isnan(nan.value) and nan.timestamp == 3000
    ranged = tracking.get_metric_history_bulk_interval(
        [first], "loss", max_results=4, start_step=3, end_step=12
    )
    assert _sampled(ranged) == [(first, step) for step in (3, 6, 9, 12)]
    assert _sampled(tracking.get_metric_history_bulk_interval([first], "loss", 1)) == [(first, 29)]
    everything = tracking.get_metric_history_bulk_interval([second], "loss")  # 2500 a run
    assert [m.step for m in everything] == [0, 3, 5, 6, 9, 12, 15, 18]
    assert tracking.get_metric_history_bulk_interval([first], "nope") == []
    # Runs are answered in the order asked, each sampled on its own.
    swapped = tracking.get_metric_history_bulk_interval([second, first], "loss", 2)
    assert _sampled(swapped) == [(second, 0), (second, 18), (first, 0), (first, 29)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"run_ids": []}, "Missing value for required parameter 'run_ids'."),
        (
            {"run_ids": ["a" * 32] * 101},
            "GetMetricHistoryBulkInterval request must specify at most 100 run_ids. "
            "Received 101 run_ids.",
        ),
        ({"metric_key": ""}, "Missing value for required parameter 'metric_key'."),
        ({"max_results": 0}, "max_results must be between 1 and 2500."),
        ({"max_results": 2501}, "max_results must be between 1 and 2500."),
        (
            {"start_step": 3},
            "If either start step or end step are specified, both must be specified.",
        ),
        (
            {"start_step": 5, "end_step": 3},
            "end_step must be greater than start_step. Found start_step=5 and end_step=3.",
        ),
        ({"run_ids": ["../etc"]}, "Invalid run ID '../etc'"),
    ],
)
def test_bulk_interval_refusals(
    tracking: TrackingService, kwargs: dict[str, Any], message: str
) -> None:
    run_id = tracking.create_run().info.run_id
    arguments: dict[str, Any] = {"run_ids": [run_id], "metric_key": "loss", **kwargs}
    with pytest.raises(InvalidArgument) as caught:
        tracking.get_metric_history_bulk_interval(**arguments)
    assert caught.value.message.startswith(message)


def test_bulk_interval_refuses_runs_that_do_not_exist(tracking: TrackingService) -> None:
    run_id = tracking.create_run().info.run_id
    with pytest.raises(NotFound, match=f"^Run with id={'0' * 32} not found$"):
        tracking.get_metric_history_bulk_interval([run_id, "0" * 32], "loss")


# ----------------------------------------------------------- log_batch limits
def _batch_limit(count: int, what: str, limit: int) -> str:
    return (
        f"^A batch logging request can contain at most {limit} {what}. Got {count} {what}. "
        f"Please split up {what} across multiple requests and try again.$"
    )


@pytest.mark.parametrize(
    ("metrics", "params", "tags", "message"),
    [
        (1001, 0, 0, _batch_limit(1001, "metrics", 1000)),
        (0, 101, 0, _batch_limit(101, "params", 100)),
        (0, 0, 101, _batch_limit(101, "tags", 100)),
        (950, 51, 0, _batch_limit(1001, "metrics, params, and tags", 1000)),
    ],
)
def test_log_batch_limits_are_mlflows(
    tracking: TrackingService, metrics: int, params: int, tags: int, message: str
) -> None:
    run_id = tracking.create_run().info.run_id
    with pytest.raises(InvalidArgument, match=message.replace("(", r"\(").replace(")", r"\)")):
        tracking.log_batch(
            run_id,
            metrics=[Metric("m", 1.0, 1, i) for i in range(metrics)],
            params={f"p{i}": "v" for i in range(params)},
            tags={f"t{i}": "v" for i in range(tags)},
        )
    assert tracking.get_run(run_id).data.metrics == {}  # nothing was logged
    # At the limits exactly, everything is logged.
    tracking.log_batch(
        run_id,
        metrics=[Metric("m", 1.0, 1, i) for i in range(min(metrics, 1000 - min(params, 100)))],
        params={f"p{i}": "v" for i in range(min(params, 100))},
        tags={f"t{i}": "v" for i in range(min(tags, 100))},
    )


def test_metric_timestamps_must_be_nonnegative_as_in_mlflow(tracking: TrackingService) -> None:
    run_id = tracking.create_run().info.run_id
    with pytest.raises(
        InvalidArgument,
        match=r"^Invalid value -1 for parameter 'metrics\[1\]\.timestamp' supplied: metric 'b' "
        r"\(value=2\.0\)\. Timestamp must be a nonnegative long \(64-bit integer\) $",
    ):
        tracking.log_batch(run_id, metrics=[Metric("a", 1.0, 0, 0), Metric("b", 2.0, -1, 0)])
    with pytest.raises(InvalidArgument, match=r"^Invalid value -5 for parameter 'timestamp' "):
        tracking.log_metric(run_id, "a", 1.0, timestamp=-5)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "Invalid value 0 for parameter 'max_results' supplied. It must be a positive integer"),
        (-3, "Invalid value -3 for parameter 'max_results' supplied. It must be a positive "),
        (50_001, "Invalid value 50001 for parameter 'max_results' supplied. It must be at most "),
    ],
)
def test_search_page_size_messages_are_mlflows(
    tracking: TrackingService, value: int, message: str
) -> None:
    for search in (
        lambda: tracking.search_runs(["0"], max_results=value),
        lambda: tracking.search_experiments(max_results=value),
    ):
        with pytest.raises(InvalidArgument) as caught:
            search()
        assert caught.value.message.startswith(message)
