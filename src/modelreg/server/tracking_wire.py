"""MLflow's JSON shapes for experiments, runs, metrics and logged models, both ways.

Out: entities become the dicts MLflow's server emits (``mlflow-wire.md`` §3.2): ids are
strings, int64 fields numbers, enums their names, ``run_uuid`` mirrors ``run_id``, and
a metric value that JSON cannot carry (NaN, ±infinity) is the proto-JSON string
``"NaN"``/``"Infinity"``/``"-Infinity"``, as MLflow writes it.

In: the getters below read tracking fields from :class:`~modelreg.server.wire.Params`
with the same messages as :mod:`modelreg.server.wire`. Integers must fit in int64 (the
columns are 64-bit; a larger number would otherwise reach the database driver and fail
there as a 500), and nested objects are checked member by member, so a hostile body is
always a 400.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from modelreg.server.wire import Params, invalid_value, missing_value, optional_str
from modelreg.tracking_entities import (
    Dataset,
    DatasetInput,
    Experiment,
    LoggedModel,
    LoggedModelOutput,
    Metric,
    Run,
    RunInfo,
)

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
_INTEGER_TEXT: Final = re.compile(r"-?[0-9]{1,19}")
_SPECIAL_FLOATS: Final = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

# Enum numbers of MLflow's protos; the client sends names, but proto JSON allows both.
RUN_STATUS_NUMBERS: Final = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
VIEW_TYPE_NUMBERS: Final = {1: "ACTIVE_ONLY", 2: "DELETED_ONLY", 3: "ALL"}
LOGGED_MODEL_STATUS_NUMBERS: Final = {
    1: "LOGGED_MODEL_PENDING",
    2: "LOGGED_MODEL_READY",
    3: "LOGGED_MODEL_UPLOAD_FAILED",
}

# ------------------------------------------------------------------ entities out


def _pairs(items: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in items.items()]


def float_value(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def experiment(e: Experiment) -> dict[str, Any]:
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


def metric(m: Metric) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": m.key,
        "value": float_value(m.value),
        "timestamp": m.timestamp,
        "step": m.step,
    }
    if m.model_id:
        out["model_id"] = m.model_id
    if m.run_id:
        out["run_id"] = m.run_id
    return out


def run_info(info: RunInfo) -> dict[str, Any]:
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


def run(r: Run) -> dict[str, Any]:
    """A ``Run``: ``inputs`` is always there (possibly ``{}``), ``outputs`` only if any."""
    data: dict[str, Any] = {}
    if r.data.metric_objects:
        data["metrics"] = [metric(m) for m in r.data.metric_objects]
    if r.data.params:
        data["params"] = _pairs(r.data.params)
    if r.data.tags:
        data["tags"] = _pairs(r.data.tags)
    inputs: dict[str, Any] = {}
    if r.inputs.dataset_inputs:
        inputs["dataset_inputs"] = [_dataset_input(i) for i in r.inputs.dataset_inputs]
    out: dict[str, Any] = {"info": run_info(r.info), "data": data, "inputs": inputs}
    if r.outputs.model_outputs:
        out["outputs"] = {
            "model_outputs": [
                {"model_id": o.model_id, "step": o.step} for o in r.outputs.model_outputs
            ]
        }
    return out


def logged_model(m: LoggedModel) -> dict[str, Any]:
    info: dict[str, Any] = {
        "model_id": m.model_id,
        "experiment_id": m.experiment_id,
        "name": m.name,
        "creation_timestamp_ms": m.creation_timestamp,
        "last_updated_timestamp_ms": m.last_updated_timestamp,
        "artifact_uri": m.artifact_location,
        "status": m.status,
    }
    if m.model_type is not None:
        info["model_type"] = m.model_type
    if m.source_run_id is not None:
        info["source_run_id"] = m.source_run_id
    if m.status_message is not None:
        info["status_message"] = m.status_message
    if m.tags:
        info["tags"] = _pairs(m.tags)
    data: dict[str, Any] = {}
    if m.params:
        data["params"] = _pairs(m.params)
    if m.metrics:
        data["metrics"] = [metric(x) for x in m.metrics]
    return {"info": info, "data": data}


def page(key: str, items: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
    """A search result: empty lists and absent tokens are omitted, as MLflow does."""
    body: dict[str, Any] = {}
    if items:
        body[key] = items
    if token:
        body["next_page_token"] = token
    return body


# ------------------------------------------------------------------ requests in


def int64(name: str, value: object) -> int | None:
    """An int64 field: a JSON integer, or its decimal text (query strings, proto JSON)."""
    if value is None:
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        number = int(value)
    if number is None or not INT64_MIN <= number <= INT64_MAX:
        raise invalid_value(name, value, "a 64-bit integer")
    return number


def optional_int64(params: Params, name: str) -> int | None:
    return int64(name, params.value(name))


def required_int64(params: Params, name: str) -> int:
    found = optional_int64(params, name)
    if found is None:
        raise missing_value(name)
    return found


def double(name: str, value: object) -> float:
    """A double: a JSON number, or proto JSON's ``"NaN"``, ``"Infinity"`` or ``"-Infinity"``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and value in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[value]
    raise invalid_value(name, value, 'a number, "NaN", "Infinity" or "-Infinity"')


def required_double(params: Params, name: str) -> float:
    value = params.value(name)
    if value is None:
        raise missing_value(name)
    return double(name, value)


def run_id(params: Params) -> str:
    """``run_id``, else the older ``run_uuid`` (the MLflow client sends both)."""
    found = optional_str(params, "run_id") or optional_str(params, "run_uuid")
    if not found:
        raise missing_value("run_id")
    return found


def _enum(params: Params, name: str, numbers: Mapping[int, str]) -> str | None:
    value = params.value(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value in numbers:
        return numbers[value]
    if isinstance(value, str):
        # A name, or a number sent as text by a GET query string.
        return numbers.get(int(value), value) if _INTEGER_TEXT.fullmatch(value) else value
    raise invalid_value(name, value, f"one of {', '.join(numbers.values())}")


def run_status(params: Params, name: str = "status") -> str | None:
    return _enum(params, name, RUN_STATUS_NUMBERS)


def view_type(params: Params, name: str) -> str | None:
    return _enum(params, name, VIEW_TYPE_NUMBERS)


def logged_model_status(params: Params, name: str = "status") -> str | None:
    return _enum(params, name, LOGGED_MODEL_STATUS_NUMBERS)


def _objects(params: Params, name: str, what: str) -> list[Mapping[str, Any]]:
    items = params.values(name) or []
    for item in items:
        if not isinstance(item, dict):
            raise invalid_value(name, item, f"an array of {what} objects")
    return items


def _member_str(name: str, item: Mapping[str, Any], key: str, *, required: bool = False) -> Any:
    value = item.get(key)
    if value is None:
        if required:
            raise missing_value(f"{name}.{key}")
        return None
    if not isinstance(value, str):
        raise invalid_value(f"{name}.{key}", value, "a string")
    return value


def key_values(params: Params, name: str) -> dict[str, str | None] | None:
    """``[{key, value}]`` (run params and tags, logged-model params and tags) as a mapping.

    An absent ``value`` is the proto default ``""``; ``null`` is passed on as ``None``,
    so the service's own rule applies as it does in-process. Last duplicate key wins.
    """
    if params.value(name) is None:
        return None
    found: dict[str, str | None] = {}
    for item in _objects(params, name, "{key, value}"):
        key = _member_str(name, item, "key") or ""
        found[key] = _member_str(name, item, "value") if "value" in item else ""
    return found


def metrics(params: Params, name: str = "metrics") -> list[Metric]:
    found = []
    for item in _objects(params, name, "metric"):
        value = item.get("value")
        if value is None:
            raise missing_value(f"{name}.value")
        timestamp = int64(f"{name}.timestamp", item.get("timestamp"))
        if timestamp is None:
            raise missing_value(f"{name}.timestamp")
        found.append(
            Metric(
                key=_member_str(name, item, "key", required=True),
                value=double(f"{name}.value", value),
                timestamp=timestamp,
                step=int64(f"{name}.step", item.get("step")) or 0,
                model_id=_member_str(name, item, "model_id"),
            )
        )
    return found


def dataset_inputs(params: Params, name: str = "datasets") -> list[DatasetInput]:
    found = []
    for item in _objects(params, name, "dataset input"):
        raw = item.get("dataset")
        if not isinstance(raw, dict):
            raise invalid_value(f"{name}.dataset", raw, "an object")
        where = f"{name}.dataset"
        dataset = Dataset(
            name=_member_str(where, raw, "name", required=True),
            digest=_member_str(where, raw, "digest", required=True),
            source_type=_member_str(where, raw, "source_type") or "",
            source=_member_str(where, raw, "source") or "",
            schema=_member_str(where, raw, "schema"),
            profile=_member_str(where, raw, "profile"),
        )
        tags: dict[str, str] = {}
        for tag in item.get("tags") or []:
            if not isinstance(tag, dict):
                raise invalid_value(f"{name}.tags", tag, "an array of {key, value} objects")
            tags[_member_str(f"{name}.tags", tag, "key", required=True)] = (
                _member_str(f"{name}.tags", tag, "value") or ""
            )
        found.append(DatasetInput(dataset=dataset, tags=tags))
    return found


def model_outputs(params: Params, name: str = "models") -> list[LoggedModelOutput]:
    return [
        LoggedModelOutput(
            model_id=_member_str(name, item, "model_id", required=True),
            step=int64(f"{name}.step", item.get("step")) or 0,
        )
        for item in _objects(params, name, "{model_id, step}")
    ]


def order_by_fields(params: Params, name: str = "order_by") -> list[dict[str, Any]] | None:
    """Logged-model ordering: ``[{field_name, ascending}]`` objects."""
    if params.value(name) is None:
        return None
    found = []
    for item in _objects(params, name, "{field_name, ascending}"):
        ascending = item.get("ascending", True)
        if not isinstance(ascending, bool):
            raise invalid_value(f"{name}.ascending", ascending, "true or false")
        found.append(
            {
                "field_name": _member_str(name, item, "field_name", required=True),
                "ascending": ascending,
            }
        )
    return found


def experiment_ids(params: Params, name: str = "experiment_ids") -> Sequence[str]:
    values = params.values(name) or []
    for value in values:
        if not isinstance(value, str):
            raise invalid_value(name, value, "an array of experiment ID strings")
    return values
