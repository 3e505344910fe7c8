"""MLflow's tracking JSON → modelreg's tracking entities, and the few values the other way.

The inverse of :mod:`modelreg.server.tracking_wire` (the client cannot import the
server): lenient where MLflow's own parser is (absent fields take their proto
defaults, int64 may arrive as text), strict about shape.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from modelreg.tracking_entities import (
    Dataset,
    DatasetInput,
    Experiment,
    LoggedModel,
    LoggedModelOutput,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
)

_SPECIAL_FLOATS: Final = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _pairs(items: Any) -> dict[str, str]:
    return {item["key"]: item.get("value", "") for item in items or ()}


def _int(value: Any, default: int = 0) -> int:
    return default if value is None else int(value)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def double(value: Any) -> float:
    if isinstance(value, str) and value in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[value]
    return float(value)


def double_json(value: float) -> float | str:
    """A float for a JSON body: NaN and infinities as proto JSON's strings."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def experiment(data: Mapping[str, Any]) -> Experiment:
    return Experiment(
        experiment_id=str(data["experiment_id"]),
        name=data["name"],
        artifact_location=data.get("artifact_location") or "",
        lifecycle_stage=data.get("lifecycle_stage") or "active",
        creation_time=_int(data.get("creation_time")),
        last_update_time=_int(data.get("last_update_time")),
        tags=_pairs(data.get("tags")),
    )


def metric(data: Mapping[str, Any]) -> Metric:
    return Metric(
        key=data["key"],
        value=double(data.get("value", 0.0)),
        timestamp=_int(data.get("timestamp")),
        step=_int(data.get("step")),
        model_id=data.get("model_id") or None,
        run_id=data.get("run_id") or None,
    )


def run_info(data: Mapping[str, Any]) -> RunInfo:
    return RunInfo(
        run_id=data.get("run_id") or data["run_uuid"],
        experiment_id=str(data.get("experiment_id", "")),
        run_name=data.get("run_name") or "",
        user_id=data.get("user_id"),
        status=data.get("status") or "RUNNING",
        start_time=_int(data.get("start_time")),
        end_time=_optional_int(data.get("end_time")),
        lifecycle_stage=data.get("lifecycle_stage") or "active",
        artifact_uri=data.get("artifact_uri") or "",
    )


def _dataset_input(data: Mapping[str, Any]) -> DatasetInput:
    raw = data["dataset"]
    return DatasetInput(
        dataset=Dataset(
            name=raw["name"],
            digest=raw["digest"],
            source_type=raw.get("source_type") or "",
            source=raw.get("source") or "",
            schema=raw.get("schema"),
            profile=raw.get("profile"),
        ),
        tags=_pairs(data.get("tags")),
    )


def run(data: Mapping[str, Any]) -> Run:
    raw_data = data.get("data") or {}
    metrics = tuple(metric(m) for m in raw_data.get("metrics") or ())
    inputs = data.get("inputs") or {}
    outputs = data.get("outputs") or {}
    return Run(
        info=run_info(data["info"]),
        data=RunData(
            metrics={m.key: m.value for m in metrics},
            params=_pairs(raw_data.get("params")),
            tags=_pairs(raw_data.get("tags")),
            metric_objects=metrics,
        ),
        inputs=RunInputs(
            dataset_inputs=tuple(_dataset_input(i) for i in inputs.get("dataset_inputs") or ())
        ),
        outputs=RunOutputs(
            model_outputs=tuple(
                LoggedModelOutput(model_id=o["model_id"], step=_int(o.get("step")))
                for o in outputs.get("model_outputs") or ()
            )
        ),
    )


def logged_model(data: Mapping[str, Any]) -> LoggedModel:
    info = data["info"]
    raw_data = data.get("data") or {}
    return LoggedModel(
        model_id=info["model_id"],
        experiment_id=str(info.get("experiment_id", "")),
        name=info.get("name") or "",
        artifact_location=info.get("artifact_uri") or "",
        creation_timestamp=_int(info.get("creation_timestamp_ms")),
        last_updated_timestamp=_int(info.get("last_updated_timestamp_ms")),
        status=info.get("status") or "LOGGED_MODEL_PENDING",
        status_message=info.get("status_message"),
        model_type=info.get("model_type"),
        source_run_id=info.get("source_run_id"),
        params=_pairs(raw_data.get("params")),
        tags=_pairs(info.get("tags")),
        metrics=tuple(metric(m) for m in raw_data.get("metrics") or ()),
    )


__all__ = ["double_json", "experiment", "logged_model", "metric", "run", "run_info"]
