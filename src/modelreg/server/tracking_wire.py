"""Tracking request fields in (``mlflow-wire.md`` §3.2); entities out are
:mod:`modelreg.codec.tracking`'s.

The getters below read tracking fields from :class:`~modelreg.server.wire.Params`
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
    LoggedModelInput,
    LoggedModelOutput,
    Metric,
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
    """``[{key, value, timestamp, step, …}]``; a field is named as MLflow names it,
    ``metrics[2].timestamp``, when it is missing or of the wrong type."""
    found = []
    for index, item in enumerate(_objects(params, name, "metric")):
        where = f"{name}[{index}]"
        key = _member_str(where, item, "key", required=True)
        value = item.get("value")
        if value is None:
            raise missing_value(f"{where}.value")
        timestamp = int64(f"{where}.timestamp", item.get("timestamp"))
        if timestamp is None:
            raise missing_value(f"{where}.timestamp")
        found.append(
            Metric(
                key=key,
                value=double(f"{where}.value", value),
                timestamp=timestamp,
                step=int64(f"{where}.step", item.get("step")) or 0,
                model_id=_member_str(where, item, "model_id") or None,
                dataset_name=_member_str(where, item, "dataset_name") or None,
                dataset_digest=_member_str(where, item, "dataset_digest") or None,
            )
        )
    return found


def batch_pairs(params: Params, name: str) -> list[tuple[str, str | None]]:
    """log-batch's ``params`` or ``tags`` in order, duplicates kept: ``[{key, value}]``
    with ``key`` required (``params[0].key``, as MLflow says); an absent value is ``""``."""
    found: list[tuple[str, str | None]] = []
    for index, item in enumerate(_objects(params, name, "{key, value}")):
        where = f"{name}[{index}]"
        key = _member_str(where, item, "key", required=True)
        if key == "":
            raise missing_value(f"{where}.key")
        found.append((key, _member_str(where, item, "value") if "value" in item else ""))
    return found


def dataset_inputs(params: Params, name: str = "datasets") -> list[DatasetInput]:
    found = []
    for index, item in enumerate(_objects(params, name, "dataset input")):
        raw = item.get("dataset")
        if not isinstance(raw, dict):
            raise invalid_value(f"{name}[{index}].dataset", raw, "an object")
        where = f"{name}[{index}].dataset"
        dataset = Dataset(
            name=_member_str(where, raw, "name", required=True),
            digest=_member_str(where, raw, "digest", required=True),
            source_type=_member_str(where, raw, "source_type") or "",
            source=_member_str(where, raw, "source") or "",
            schema=_member_str(where, raw, "schema"),
            profile=_member_str(where, raw, "profile"),
        )
        tags: dict[str, str] = {}
        for tag_index, tag in enumerate(item.get("tags") or []):
            tag_where = f"{name}[{index}].tags[{tag_index}]"
            if not isinstance(tag, dict):
                raise invalid_value(tag_where, tag, "a {key, value} object")
            tags[_member_str(tag_where, tag, "key", required=True)] = (
                _member_str(tag_where, tag, "value") or ""
            )
        found.append(DatasetInput(dataset=dataset, tags=tags))
    return found


def model_inputs(params: Params, name: str = "models") -> list[LoggedModelInput]:
    """``log-inputs``' ``models``: ``[{model_id}]``."""
    return [
        LoggedModelInput(model_id=_member_str(f"{name}[{i}]", item, "model_id", required=True))
        for i, item in enumerate(_objects(params, name, "{model_id}"))
    ]


def dataset_filters(params: Params, name: str = "datasets") -> list[dict[str, str]] | None:
    """A logged-model search's ``datasets``: ``[{dataset_name, dataset_digest?}]``."""
    if params.value(name) is None:
        return None
    found = []
    for item in _objects(params, name, "{dataset_name, dataset_digest}"):
        entry = {"dataset_name": _member_str(name, item, "dataset_name") or ""}
        digest = _member_str(name, item, "dataset_digest")
        if digest:
            entry["dataset_digest"] = digest
        found.append(entry)
    return found


def model_outputs(params: Params, name: str = "models") -> list[LoggedModelOutput]:
    return [
        LoggedModelOutput(
            model_id=_member_str(f"{name}[{i}]", item, "model_id", required=True),
            step=int64(f"{name}[{i}].step", item.get("step")) or 0,
        )
        for i, item in enumerate(_objects(params, name, "{model_id, step}"))
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
