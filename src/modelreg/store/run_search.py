"""Compile parsed run and logged-model filters (``modelreg.filters``) into SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select

from modelreg.errors import InvalidArgument
from modelreg.store.search import compare
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

if TYPE_CHECKING:
    from modelreg.filters import Comparison, RunOrderKey


def _keyed(table: Any, owner_col: Any, key: str, op: str, value: Any) -> Any:
    return owner_col.in_(
        select(table.c[owner_col.name]).where(table.c.key == key, compare(table.c.value, op, value))
    )


def run_conditions(
    experiment_ids: Sequence[int], stages: Sequence[str], parsed: Sequence[Comparison]
) -> list[Any]:
    conditions: list[Any] = [
        runs.c.experiment_id.in_(experiment_ids),
        runs.c.lifecycle_stage.in_(stages),
    ]
    for cond in parsed:
        if cond.kind == "attribute":
            conditions.append(compare(_RUN_ATTRIBUTES[cond.key], cond.op, cond.value))
        elif cond.kind == "param":
            conditions.append(_keyed(run_params, runs.c.run_id, cond.key, cond.op, cond.value))
        elif cond.kind == "tag":
            conditions.append(_keyed(run_tags, runs.c.run_id, cond.key, cond.op, cond.value))
        elif cond.kind == "metric":
            conditions.append(
                runs.c.run_id.in_(
                    select(latest_metrics.c.run_id).where(
                        latest_metrics.c.key == cond.key,
                        compare(latest_metrics.c.value, cond.op, cond.value),
                    )
                )
            )
        elif cond.kind == "dataset":
            clause = compare(_DATASET_COLUMNS[cond.key], cond.op, cond.value)
            conditions.append(
                runs.c.run_id.in_(
                    select(run_inputs.c.run_id).select_from(run_inputs.join(datasets)).where(clause)
                )
            )
    return conditions


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


def _on_datasets(datasets: Sequence[tuple[str, str | None]]) -> list[Any]:
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


def logged_model_conditions(
    experiment_ids: Sequence[int],
    parsed: Sequence[Comparison],
    datasets: Sequence[tuple[str, str | None]] = (),
) -> list[Any]:
    """``datasets`` (MLflow's ``search_logged_models(datasets=)``) limits metric
    conditions to values computed on those datasets, and without metric conditions
    keeps the models with any metric on one of them."""
    conditions: list[Any] = []
    if experiment_ids:
        conditions.append(logged_models.c.experiment_id.in_(experiment_ids))
    owner = logged_models.c.model_id
    on_datasets = _on_datasets(datasets)
    if on_datasets and not any(cond.kind == "metric" for cond in parsed):
        conditions.append(owner.in_(select(run_metrics.c.model_id).where(*on_datasets)))
    for cond in parsed:
        if cond.kind == "attribute":
            conditions.append(compare(_MODEL_ATTRIBUTES[cond.key], cond.op, cond.value))
        elif cond.kind == "param":
            conditions.append(_keyed(logged_model_params, owner, cond.key, cond.op, cond.value))
        elif cond.kind == "tag":
            conditions.append(_keyed(logged_model_tags, owner, cond.key, cond.op, cond.value))
        else:
            conditions.append(
                owner.in_(
                    select(run_metrics.c.model_id).where(
                        and_(
                            run_metrics.c.key == cond.key,
                            compare(run_metrics.c.value, cond.op, cond.value),
                        ),
                        *on_datasets,
                    )
                )
            )
    return conditions


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


_EXPERIMENT_ATTRIBUTES = {
    "name": experiments.c.name,
    "creation_time": experiments.c.creation_time,
    "last_update_time": experiments.c.last_update_time,
}


def experiment_conditions(parsed: Sequence[Comparison]) -> list[Any]:
    conditions: list[Any] = []
    for cond in parsed:
        if cond.kind == "tag":
            conditions.append(
                _keyed(experiment_tags, experiments.c.experiment_id, cond.key, cond.op, cond.value)
            )
        else:
            conditions.append(compare(_EXPERIMENT_ATTRIBUTES[cond.key], cond.op, cond.value))
    return conditions
