"""Experiments, runs, metrics and logged models as MLflow's JSON (mlflow-wire.md §3.2).

Out: ids are strings, int64 fields numbers, enums their names, ``run_uuid`` mirrors
``run_id``, and a metric value that JSON cannot carry (NaN, ±infinity) is the
proto-JSON string ``"NaN"``/``"Infinity"``/``"-Infinity"``, as MLflow writes it.
In: lenient where MLflow's own parser is (absent fields take their proto defaults,
int64 may arrive as text), strict about shape.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from modelreg.codec.registry import tag_pairs as _pairs
from modelreg.codec.registry import tags_from_pairs
from modelreg.tracking_entities import (
    ArtifactListing,
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
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
)

_SPECIAL_FLOATS: Final = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


# ------------------------------------------------------------------ entities out


def float_value(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def experiment_json(e: Experiment) -> dict[str, Any]:
    out: dict[str, Any] = {
        "experiment_id": e.experiment_id,
        "name": e.name,
        "artifact_location": e.artifact_location,
        "lifecycle_stage": e.lifecycle_stage,
        "last_update_time": e.last_update_time,
        "creation_time": e.creation_time,
    }
    if e.tags:
        out["tags"] = _pairs(e.tags)
    return out


def metric_json(m: Metric) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": m.key,
        "value": float_value(m.value),
        "timestamp": m.timestamp,
        "step": m.step,
    }
    if m.dataset_name:
        out["dataset_name"] = m.dataset_name
    if m.dataset_digest:
        out["dataset_digest"] = m.dataset_digest
    if m.model_id:
        out["model_id"] = m.model_id
    if m.run_id:
        out["run_id"] = m.run_id
    return out


def run_info_json(info: RunInfo) -> dict[str, Any]:
    """A ``RunInfo``, keys in the order MLflow's server writes them."""
    out: dict[str, Any] = {
        "run_uuid": info.run_id,
        "experiment_id": info.experiment_id,
        "run_name": info.run_name,
    }
    if info.user_id is not None:
        out["user_id"] = info.user_id
    out["status"] = info.status
    out["start_time"] = info.start_time
    if info.end_time is not None:
        out["end_time"] = info.end_time
    out["artifact_uri"] = info.artifact_uri
    out["lifecycle_stage"] = info.lifecycle_stage
    out["run_id"] = info.run_id
    return out


def _dataset_input(item: DatasetInput) -> dict[str, Any]:
    dataset: dict[str, Any] = {
        "name": item.dataset.name,
        "digest": item.dataset.digest,
        "source_type": item.dataset.source_type,
        "source": item.dataset.source,
    }
    if item.dataset.schema is not None:
        dataset["schema"] = item.dataset.schema
    if item.dataset.profile is not None:
        dataset["profile"] = item.dataset.profile
    out: dict[str, Any] = {}
    if item.tags:
        out["tags"] = _pairs(item.tags)
    out["dataset"] = dataset
    return out


def run_json(r: Run) -> dict[str, Any]:
    """A ``Run``: ``inputs`` is always there (possibly ``{}``), ``outputs`` only if any."""
    data: dict[str, Any] = {}
    if r.data.metric_objects:
        data["metrics"] = [metric_json(m) for m in r.data.metric_objects]
    if r.data.params:
        data["params"] = _pairs(r.data.params)
    if r.data.tags:
        data["tags"] = _pairs(r.data.tags)
    inputs: dict[str, Any] = {}
    if r.inputs.dataset_inputs:
        inputs["dataset_inputs"] = [_dataset_input(i) for i in r.inputs.dataset_inputs]
    if r.inputs.model_inputs:
        inputs["model_inputs"] = [{"model_id": i.model_id} for i in r.inputs.model_inputs]
    out: dict[str, Any] = {"info": run_info_json(r.info), "data": data, "inputs": inputs}
    if r.outputs.model_outputs:
        out["outputs"] = {
            "model_outputs": [
                {"model_id": o.model_id, "step": o.step} for o in r.outputs.model_outputs
            ]
        }
    return out


def logged_model_json(m: LoggedModel) -> dict[str, Any]:
    info: dict[str, Any] = {
        "model_id": m.model_id,
        "experiment_id": m.experiment_id,
        "name": m.name,
        "creation_timestamp_ms": m.creation_timestamp,
        "last_updated_timestamp_ms": m.last_updated_timestamp,
        "artifact_uri": m.artifact_location,
        "status": m.status.wire_name,
    }
    if m.model_type:
        info["model_type"] = m.model_type
    if m.source_run_id:
        info["source_run_id"] = m.source_run_id
    if m.status_message:
        info["status_message"] = m.status_message
    if m.tags:
        info["tags"] = _pairs(m.tags)
    data: dict[str, Any] = {}
    if m.params:
        data["params"] = _pairs(m.params)
    if m.metrics:
        data["metrics"] = [metric_json(x) for x in m.metrics]
    return {"info": info, "data": data}


def artifact_listing_json(listing: ArtifactListing) -> dict[str, Any]:
    """MLflow's ``artifacts/list`` answer: ``root_uri`` always, ``files`` when any."""
    out: dict[str, Any] = {"root_uri": listing.root_uri}
    files = []
    for f in listing:
        entry: dict[str, Any] = {"path": f.path, "is_dir": f.is_dir}
        if f.file_size is not None:
            entry["file_size"] = f.file_size
        files.append(entry)
    if files:
        out["files"] = files
    return out


def page(key: str, items: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
    """A search result: empty lists and absent tokens are omitted, as MLflow does."""
    body: dict[str, Any] = {}
    if items:
        body[key] = items
    if token:
        body["next_page_token"] = token
    return body


# ------------------------------------------------------------------ entities in
def _int(value: Any, default: int = 0) -> int:
    return default if value is None else int(value)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def double(value: Any) -> float:
    if isinstance(value, str) and value in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[value]
    return float(value)


def experiment_from_json(data: Mapping[str, Any]) -> Experiment:
    return Experiment(
        experiment_id=str(data["experiment_id"]),
        name=data["name"],
        artifact_location=data.get("artifact_location") or "",
        lifecycle_stage=data.get("lifecycle_stage") or "active",
        creation_time=_int(data.get("creation_time")),
        last_update_time=_int(data.get("last_update_time")),
        tags=tags_from_pairs(data.get("tags")),
    )


def metric_from_json(data: Mapping[str, Any]) -> Metric:
    return Metric(
        key=data["key"],
        value=double(data.get("value", 0.0)),
        timestamp=_int(data.get("timestamp")),
        step=_int(data.get("step")),
        model_id=data.get("model_id") or None,
        dataset_name=data.get("dataset_name") or None,
        dataset_digest=data.get("dataset_digest") or None,
        run_id=data.get("run_id") or None,
    )


def run_info_from_json(data: Mapping[str, Any]) -> RunInfo:
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


def _dataset_input_from_json(data: Mapping[str, Any]) -> DatasetInput:
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
        tags=tags_from_pairs(data.get("tags")),
    )


def run_from_json(data: Mapping[str, Any]) -> Run:
    raw_data = data.get("data") or {}
    metrics = tuple(metric_from_json(m) for m in raw_data.get("metrics") or ())  # run data
    inputs = data.get("inputs") or {}
    outputs = data.get("outputs") or {}
    return Run(
        info=run_info_from_json(data["info"]),
        data=RunData(
            metrics={m.key: m.value for m in metrics},
            params=tags_from_pairs(raw_data.get("params")),
            tags=tags_from_pairs(raw_data.get("tags")),
            metric_objects=metrics,
        ),
        inputs=RunInputs(
            dataset_inputs=[
                _dataset_input_from_json(i) for i in inputs.get("dataset_inputs") or ()
            ],
            model_inputs=[
                LoggedModelInput(model_id=i["model_id"]) for i in inputs.get("model_inputs") or ()
            ],
        ),
        outputs=RunOutputs(
            model_outputs=[
                LoggedModelOutput(model_id=o["model_id"], step=_int(o.get("step")))
                for o in outputs.get("model_outputs") or ()
            ]
        ),
    )


def logged_model_from_json(data: Mapping[str, Any]) -> LoggedModel:
    info = data["info"]
    raw_data = data.get("data") or {}
    return LoggedModel(
        model_id=info["model_id"],
        experiment_id=str(info.get("experiment_id", "")),
        name=info.get("name") or "",
        artifact_location=info.get("artifact_uri") or "",
        creation_timestamp=_int(info.get("creation_timestamp_ms")),
        last_updated_timestamp=_int(info.get("last_updated_timestamp_ms")),
        status=LoggedModelStatus.from_wire(info.get("status") or "LOGGED_MODEL_PENDING"),
        status_message=info.get("status_message") or "",
        model_type=info.get("model_type") or "",
        source_run_id=info.get("source_run_id") or "",
        params=tags_from_pairs(raw_data.get("params")),
        tags=tags_from_pairs(info.get("tags")),
        metrics=[metric_from_json(m) for m in raw_data.get("metrics") or ()],
    )


def artifact_listing_from_json(data: Mapping[str, Any]) -> ArtifactListing:
    files = [
        FileInfo(
            path=f["path"],
            is_dir=bool(f.get("is_dir", False)),
            file_size=_optional_int(f.get("file_size")),
        )
        for f in data.get("files") or ()
    ]
    return ArtifactListing(files, data.get("root_uri") or "")
