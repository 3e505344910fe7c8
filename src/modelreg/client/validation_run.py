"""Running a validation for ``validate_and_promote``: a callable, or metric thresholds.

``validate(model)`` may return ``True``/``False``, ``(passed, metrics)``, a mapping of
metrics with a ``passed`` entry, or an object with ``passed`` and ``metrics``
attributes. A thresholds mapping (``{"accuracy": 0.85, "f1": 0.80}``) with
``data=(X, y)`` predicts ``X`` and compares each metric with its threshold: at least
the threshold for scores (accuracy, precision, recall, f1, r2), at most for errors
(mse, rmse, mae). Metrics are computed here in plain Python: no scikit-learn needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from modelreg.errors import InvalidArgument

HIGHER_IS_BETTER = ("accuracy", "precision", "recall", "f1", "r2")
LOWER_IS_BETTER = ("mse", "rmse", "mae")


@dataclass(frozen=True, slots=True)
class Verdict:
    passed: bool
    metrics: dict[str, float] = field(default_factory=dict)
    reason: str = ""


def run_validation(validate: Any, model: Any, data: Any = None) -> Verdict:
    """What ``validate`` (a callable, or a thresholds mapping with ``data``) says."""
    if isinstance(validate, Mapping):
        return _thresholds(validate, model, data)
    if not callable(validate):
        raise InvalidArgument(
            "validate must be a callable taking the model, or a mapping of metric "
            "thresholds such as {'accuracy': 0.85} (with data=(X, y))."
        )
    return _verdict(validate(model))


def _verdict(result: Any) -> Verdict:
    if isinstance(result, bool):
        return Verdict(result, {}, "" if result else "validate() returned False")
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], bool):
        return Verdict(result[0], _metrics(result[1]), "" if result[0] else "validation failed")
    if isinstance(result, Mapping) and "passed" in result:
        passed = bool(result["passed"])
        metrics = {k: v for k, v in result.items() if k != "passed"}
        return Verdict(passed, _metrics(metrics), "" if passed else "validation failed")
    if hasattr(result, "passed"):
        passed = bool(result.passed)
        metrics = getattr(result, "metrics", None) or {}
        return Verdict(passed, _metrics(metrics), "" if passed else "validation failed")
    raise InvalidArgument(
        "validate(model) must return True/False, (passed, metrics), a mapping with "
        f"'passed', or an object with .passed; it returned {type(result).__name__}."
    )


def _metrics(values: Any) -> dict[str, float]:
    if not isinstance(values, Mapping):
        raise InvalidArgument("Validation metrics must be a mapping of name to number.")
    metrics = {}
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidArgument(f"Validation metric {key!r} is not a number: {value!r}.")
        metrics[str(key)] = float(value)
    return metrics


def _thresholds(thresholds: Mapping[str, Any], model: Any, data: Any) -> Verdict:
    if not (isinstance(data, tuple | list) and len(data) == 2):
        raise InvalidArgument("Metric thresholds need data=(X, y) to compute the metrics on.")
    features, expected = data
    unknown = sorted(set(thresholds) - set(HIGHER_IS_BETTER) - set(LOWER_IS_BETTER))
    if unknown:
        raise InvalidArgument(
            f"Unknown metric(s) {', '.join(unknown)}: thresholds may name "
            f"{', '.join(HIGHER_IS_BETTER + LOWER_IS_BETTER)}."
        )
    predicted = _flat(model.predict(features))
    truth = _flat(expected)
    if len(predicted) != len(truth) or not truth:
        raise InvalidArgument(
            f"The model predicted {len(predicted)} values for {len(truth)} labels."
        )
    metrics = {name: compute_metric(name, truth, predicted) for name in thresholds}
    failures = []
    for name, limit in thresholds.items():
        value, bound = metrics[name], float(limit)
        ok = value >= bound if name in HIGHER_IS_BETTER else value <= bound
        if not ok:
            sign = ">=" if name in HIGHER_IS_BETTER else "<="
            failures.append(f"{name} {value:.4g} (needs {sign} {bound:g})")
    return Verdict(not failures, metrics, "; ".join(failures))


def _flat(values: Any) -> list[Any]:
    if hasattr(values, "tolist"):
        values = values.tolist()
    elif hasattr(values, "to_list"):
        values = values.to_list()
    flat = list(values)
    return [v[0] if isinstance(v, list | tuple) and len(v) == 1 else v for v in flat]


def compute_metric(name: str, truth: Sequence[Any], predicted: Sequence[Any]) -> float:
    """One metric of ``predicted`` against ``truth`` (f1/precision/recall: macro average)."""
    pairs = list(zip(truth, predicted, strict=True))
    if name == "accuracy":
        return float(sum(t == p for t, p in pairs)) / len(pairs)
    if name in ("precision", "recall", "f1"):
        scores = [_class_scores(pairs, label)[name] for label in sorted(set(truth), key=str)]
        return sum(scores) / len(scores)
    errors = [float(t) - float(p) for t, p in pairs]
    if name == "mae":
        return sum(abs(e) for e in errors) / len(errors)
    mse = sum(e * e for e in errors) / len(errors)
    if name == "mse":
        return mse
    if name == "rmse":
        return math.sqrt(mse)
    mean = sum(float(t) for t in truth) / len(truth)
    total = sum((float(t) - mean) ** 2 for t in truth)
    return 1.0 - (mse * len(errors)) / total if total else 0.0


def _class_scores(pairs: list[tuple[Any, Any]], label: Any) -> dict[str, float]:
    tp = sum(t == label and p == label for t, p in pairs)
    fp = sum(t != label and p == label for t, p in pairs)
    fn = sum(t == label and p != label for t, p in pairs)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}
