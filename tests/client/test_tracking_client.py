"""MlflowClient's tracking methods over the embedded service: what the client itself adds."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from modelreg import MlflowClient
from modelreg.errors import InvalidArgument
from modelreg.tracking_entities import Metric, Param, RunTag

# The tracking methods of mlflow.MlflowClient (3.17) the wire gaps of issue 7 touch,
# with their parameters in order: code ported from mlflow calls them positionally too.
MLFLOW_TRACKING_METHODS: dict[str, list[str]] = {
    "log_metric": [
        "run_id",
        "key",
        "value",
        "timestamp",
        "step",
        "synchronous",
        "dataset_name",
        "dataset_digest",
        "model_id",
    ],
    "log_batch": ["run_id", "metrics", "params", "tags", "synchronous"],
    "log_inputs": ["run_id", "datasets", "models"],
    "log_outputs": ["run_id", "models"],
    "get_metric_history": ["run_id", "key"],
    "search_experiments": ["view_type", "max_results", "filter_string", "order_by", "page_token"],
    "search_logged_models": [
        "experiment_ids",
        "filter_string",
        "datasets",
        "max_results",
        "order_by",
        "page_token",
    ],
    "list_artifacts": ["run_id", "path"],
    "list_logged_model_artifacts": ["model_id", "path"],
}


@pytest.mark.parametrize("method", sorted(MLFLOW_TRACKING_METHODS))
def test_method_signature_matches_mlflow(method: str) -> None:
    signature = inspect.signature(getattr(MlflowClient, method))
    assert [p for p in signature.parameters if p != "self"] == MLFLOW_TRACKING_METHODS[method]


class _Recorder:
    """Stands in for the Tracking transport and records every log_batch call's sizes."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, int]] = []
        self.logged: dict[str, Any] = {"metrics": [], "params": {}, "tags": {}}

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        self.calls.append((len(metrics), len(params or {}), len(tags or {})))
        self.logged["metrics"] += list(metrics)
        self.logged["params"].update(params or {})
        self.logged["tags"].update(tags or {})


@pytest.mark.parametrize(
    ("metrics", "params", "tags", "calls"),
    [
        (10, 3, 2, [(10, 3, 2)]),
        (2500, 0, 0, [(1000, 0, 0), (1000, 0, 0), (500, 0, 0)]),
        # Params and tags 100 at a time, metrics filling each call up to 1000 entities.
        (1000, 250, 50, [(850, 100, 50), (150, 100, 0), (0, 50, 0)]),
        (0, 150, 0, [(0, 100, 0), (0, 50, 0)]),
    ],
)
def test_log_batch_is_split_as_mlflows_client_splits_it(
    client: MlflowClient,
    metrics: int,
    params: int,
    tags: int,
    calls: list[tuple[int, int, int]],
) -> None:
    recorder = _Recorder()
    client._tracking = recorder  # type: ignore[assignment]
    client.log_batch(
        "r",
        metrics=[Metric("m", 1.0, 1, i) for i in range(metrics)],
        params=[Param(f"p{i}", "v") for i in range(params)],
        tags=[RunTag(f"t{i}", "v") for i in range(tags)],
    )
    assert recorder.calls == calls
    assert [m.step for m in recorder.logged["metrics"]] == list(range(metrics))
    assert len(recorder.logged["params"]) == params and len(recorder.logged["tags"]) == tags


def test_log_batch_beyond_one_calls_limits_logs_everything(client: MlflowClient) -> None:
    run_id = client.create_run("0").info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric("loss", i / 1000, i, i) for i in range(1500)],
        params=[Param(f"p{i}", str(i)) for i in range(150)],
    )
    assert len(client.get_metric_history(run_id, "loss")) == 1500
    assert len(client.get_run(run_id).data.params) == 150


def test_a_param_given_twice_is_refused_before_anything_is_logged(client: MlflowClient) -> None:
    run_id = client.create_run("0").info.run_id
    with pytest.raises(
        InvalidArgument, match=r"^Duplicate parameter keys have been submitted: \['d'\]"
    ):
        client.log_batch(run_id, params=[Param("d", "1"), Param("e", "1"), Param("d", "2")])
    assert client.get_run(run_id).data.params == {}
