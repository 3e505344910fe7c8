"""Compile parsed run, logged-model and experiment filters (``modelreg.filters``) into SQL.

The compilation is :func:`modelreg.store.search.where`'s: params, tags, metrics and
datasets are sets of owner keys combined per ``AND`` / ``OR`` group, attributes are
plain terms; every value is a bound parameter, passed with :func:`filter_params`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, and_, or_, select

from modelreg.errors import InvalidArgument
from modelreg.filters import AllOf, Comparison
from modelreg.store.search import Target, compare, filter_params, key_param, value_param, where
from modelreg.store.tables import (
    datasets,
    experiment_tags,
    experiments,
    latest_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
    run_inputs,
    run_metrics,
    run_params,
    run_tags,
    runs,
)

if TYPE_CHECKING:
    from modelreg.filters import Condition, RunOrderKey

__all__ = [
    "experiment_conditions",
    "filter_params",
    "logged_model_conditions",
    "logged_model_order",
    "run_conditions",
    "run_order",
]

_RUN_ATTRIBUTES = {
    "run_id": runs.c.run_id,
    "run_name": runs.c.run_name,
    "status": runs.c.status,
    "start_time": runs.c.start_time,
    "end_time": runs.c.end_time,
    "user_id": runs.c.user_id,
    "artifact_uri": runs.c.artifact_uri,
    "lifecycle_stage": runs.c.lifecycle_stage,
}
_DATASET_COLUMNS = {
    "name": datasets.c.name,
    "digest": datasets.c.digest,
    "context": run_inputs.c.context,
}


def _keyed(tables: Mapping[str, Any]) -> Callable[[Comparison, int], Select[Any] | None]:
    """Sets for conditions on keyed values: per kind, the (key, value) table's owner
    column; the set is the owners with a ``key`` row whose value satisfies the
    condition. Other kinds are not sets here."""

    def member(cond: Comparison, index: int) -> Select[Any] | None:
        owner = tables.get(cond.kind)
        if owner is None:
            return None
        table = owner.table
        matches = compare(table.c.value, cond.op, value_param(index, cond))
        return select(owner).where(table.c.key == key_param(index), matches)

    return member


def _attributes(columns: Mapping[str, Any]) -> Callable[[Comparison, int], ColumnElement[bool]]:
    def plain(cond: Comparison, index: int) -> ColumnElement[bool]:
        return compare(columns[cond.key], cond.op, value_param(index, cond))

    return plain


_run_keyed = _keyed(
    {
        "param": run_params.c.run_id,
        "tag": run_tags.c.run_id,
        "metric": latest_metrics.c.run_id,
    }
)


def _run_member(cond: Comparison, index: int) -> Select[Any] | None:
    if cond.kind == "dataset":
        clause = compare(_DATASET_COLUMNS[cond.key], cond.op, value_param(index, cond))
        return select(run_inputs.c.run_id).select_from(run_inputs.join(datasets)).where(clause)
    return _run_keyed(cond, index)


_RUNS = Target(owner=runs.c.run_id, member=_run_member, plain=_attributes(_RUN_ATTRIBUTES))


def run_conditions(
    experiment_ids: Sequence[int], stages: Sequence[str], parsed: Sequence[Condition]
) -> list[Any]:
    return [
        runs.c.experiment_id.in_(experiment_ids),
        runs.c.lifecycle_stage.in_(stages),
        *where(parsed, _RUNS),
    ]


def run_order(order: Sequence[RunOrderKey]) -> list[Any]:
    clauses: list[Any] = []
    for key in order:
        if key.kind == "attribute":
            column: Any = _RUN_ATTRIBUTES[key.key]
        else:
            table, value = {
                "metric": (latest_metrics, latest_metrics.c.value),
                "param": (run_params, run_params.c.value),
                "tag": (run_tags, run_tags.c.value),
            }[key.kind]
            column = (
                select(value)
                .where(table.c.run_id == runs.c.run_id, table.c.key == key.key)
                .scalar_subquery()
            )
        # Runs without the key sort last in both directions, as in MLflow.
        clauses.append(column.is_(None))
        clauses.append(column.asc() if key.ascending else column.desc())
    clauses += [runs.c.start_time.desc(), runs.c.run_id.asc()]
    return clauses


_MODEL_ATTRIBUTES = {
    "name": logged_models.c.name,
    "model_id": logged_models.c.model_id,
    "status": logged_models.c.status,
    "model_type": logged_models.c.model_type,
    "source_run_id": logged_models.c.source_run_id,
    "creation_timestamp": logged_models.c.creation_timestamp_ms,
    "creation_time": logged_models.c.creation_timestamp_ms,
    "last_updated_timestamp": logged_models.c.last_updated_timestamp_ms,
}


def _on_datasets(datasets: Sequence[tuple[str, str | None]]) -> list[ColumnElement[bool]]:
    """Metric rows computed on one of ``datasets`` ((name, digest); no digest: any)."""
    if not datasets:
        return []
    m = run_metrics
    return [
        or_(
            *(
                m.c.dataset_name == name
                if digest is None
                else and_(m.c.dataset_name == name, m.c.dataset_digest == digest)
                for name, digest in datasets
            )
        )
    ]


_model_keyed = _keyed(
    {
        "param": logged_model_params.c.model_id,
        "tag": logged_model_tags.c.model_id,
        "metric": run_metrics.c.model_id,
    }
)


def _logged_models(on: Sequence[ColumnElement[bool]]) -> Target:
    """The logged-model target, its metric sets limited to the metric rows ``on``."""

    def member(cond: Comparison, index: int) -> Select[Any] | None:
        found = _model_keyed(cond, index)
        if found is not None and cond.kind == "metric":
            return found.where(*on)
        return found

    return Target(
        owner=logged_models.c.model_id, member=member, plain=_attributes(_MODEL_ATTRIBUTES)
    )


def _needs_metric(condition: Condition) -> bool:
    """Whether every model matching ``condition`` has a metric that matches one of
    its metric comparisons (an ``OR`` needs it only if each of its branches does)."""
    if isinstance(condition, Comparison):
        return condition.kind == "metric"
    if isinstance(condition, AllOf):
        return any(_needs_metric(term) for term in condition.terms)
    return all(_needs_metric(term) for term in condition.terms)


def logged_model_conditions(
    experiment_ids: Sequence[int],
    parsed: Sequence[Condition],
    datasets: Sequence[tuple[str, str | None]] = (),
) -> list[Any]:
    """``datasets`` (MLflow's ``search_logged_models(datasets=)``) limits metric
    comparisons to values computed on those datasets, and keeps only models with a
    metric on one of them: MLflow adds that test when the filter has no metric
    comparison; a filter whose every match needs a metric comparison implies it, an
    ``OR`` with a branch free of metrics does not."""
    conditions: list[Any] = []
    if experiment_ids:
        conditions.append(logged_models.c.experiment_id.in_(experiment_ids))
    on = _on_datasets(datasets)
    if on and not any(_needs_metric(cond) for cond in parsed):
        conditions.append(logged_models.c.model_id.in_(select(run_metrics.c.model_id).where(*on)))
    return conditions + where(parsed, _logged_models(on))


def logged_model_order(order_by: Sequence[Mapping[str, Any]] | None) -> list[Any]:
    """MLflow sends logged-model ordering as ``[{field_name, ascending}]`` objects."""
    clauses: list[Any] = []
    for item in order_by or ():
        field = str(item.get("field_name", "")).removeprefix("attributes.")
        column = _MODEL_ATTRIBUTES.get(field)
        if column is None:
            raise InvalidArgument(
                f"Invalid order_by field {field!r} for logged models; allowed: "
                f"{', '.join(sorted(_MODEL_ATTRIBUTES))}."
            )
        ascending = item.get("ascending", True) is not False
        clauses.append(column.asc() if ascending else column.desc())
    clauses += [logged_models.c.creation_timestamp_ms.desc(), logged_models.c.model_id.asc()]
    return clauses


_EXPERIMENTS = Target(
    owner=experiments.c.experiment_id,
    member=_keyed({"tag": experiment_tags.c.experiment_id}),
    plain=_attributes(
        {
            "name": experiments.c.name,
            "creation_time": experiments.c.creation_time,
            "last_update_time": experiments.c.last_update_time,
        }
    ),
)


def experiment_conditions(parsed: Sequence[Condition]) -> list[Any]:
    return where(parsed, _EXPERIMENTS)
