"""Compile parsed search filters and orderings (``modelreg.filters``) into SQL.

Every value is a bound parameter; tag conditions become ``IN (subquery)`` against the
tag tables' ``(key, value_prefix)`` index so selective tag searches never scan all rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, not_, select, tuple_

from modelreg.filters import Comparison, OrderKey
from modelreg.store.tables import (
    VALUE_PREFIX_LENGTH,
    model_version_tags,
    model_versions,
    registered_model_tags,
    registered_models,
)

# MLflow's client appends ``tag.`mlflow.prompt.is_prompt` != 'true'`` to every model
# search, and expects models without the tag to match (mlflow-wire.md §8).
PROMPT_TAG = "mlflow.prompt.is_prompt"

rm = registered_models
mv = model_versions


def compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "=":
        return column == value  # type: ignore[no-any-return]
    if op == "!=":
        return column != value  # type: ignore[no-any-return]
    if op == "LIKE":
        return column.like(value)  # type: ignore[no-any-return]
    if op == "ILIKE":
        return column.ilike(value)  # type: ignore[no-any-return]
    if op == "IN":
        return column.in_(list(value))  # type: ignore[no-any-return]
    if op == "NOT IN":
        return column.not_in(list(value))  # type: ignore[no-any-return]
    if op == "<":
        return column < value  # type: ignore[no-any-return]
    if op == "<=":
        return column <= value  # type: ignore[no-any-return]
    if op == ">":
        return column > value  # type: ignore[no-any-return]
    if op == ">=":
        return column >= value  # type: ignore[no-any-return]
    raise ValueError(f"unsupported comparator {op}")  # the parser never produces one


def _tag_value_condition(table: Table, op: str, value: str) -> ColumnElement[bool]:
    if op == "=":
        return and_(table.c.value_prefix == value[:VALUE_PREFIX_LENGTH], table.c.value == value)
    return compare(table.c.value, op, value)


def _tag_condition(table: Table, keys: Sequence[Any], owner: Any, cond: Comparison) -> Any:
    value = str(cond.value)
    if cond.key == PROMPT_TAG and cond.op == "!=":
        matching = select(*keys).where(table.c.key == cond.key, table.c.value == value)
        return not_(owner.in_(matching))
    matching = select(*keys).where(
        table.c.key == cond.key, _tag_value_condition(table, cond.op, value)
    )
    return owner.in_(matching)


_MODEL_ATTRIBUTES = {"name": rm.c.name}
_VERSION_ATTRIBUTES = {
    "name": rm.c.name,
    "run_id": mv.c.run_id,
    "source_path": mv.c.source,
    "version_number": mv.c.version,
}


def registered_model_conditions(filters: Sequence[Comparison]) -> list[Any]:
    conditions: list[Any] = []
    for cond in filters:
        if cond.kind == "tag":
            keys = [registered_model_tags.c.model_id]
            conditions.append(_tag_condition(registered_model_tags, keys, rm.c.id, cond))
        else:
            conditions.append(compare(_MODEL_ATTRIBUTES[cond.key], cond.op, cond.value))
    return conditions


def model_version_conditions(filters: Sequence[Comparison]) -> list[Any]:
    conditions: list[Any] = []
    for cond in filters:
        if cond.kind == "tag":
            keys = [model_version_tags.c.model_id, model_version_tags.c.version]
            owner = tuple_(mv.c.model_id, mv.c.version)
            conditions.append(_tag_condition(model_version_tags, keys, owner, cond))
        else:
            conditions.append(compare(_VERSION_ATTRIBUTES[cond.key], cond.op, cond.value))
    return conditions


_MODEL_ORDER = {"name": rm.c.name, "last_updated_timestamp": rm.c.last_updated_timestamp}
_VERSION_ORDER = {
    "name": rm.c.name,
    "version_number": mv.c.version,
    "creation_timestamp": mv.c.creation_timestamp,
    "last_updated_timestamp": mv.c.last_updated_timestamp,
}


def _ordered(query: Select[Any], columns: dict[str, Any], order: Sequence[OrderKey]) -> Select[Any]:
    clauses = [
        columns[key.key].asc() if key.ascending else columns[key.key].desc() for key in order
    ]
    return query.order_by(*clauses)


def order_registered_models(query: Select[Any], order: Sequence[OrderKey]) -> Select[Any]:
    return _ordered(query, _MODEL_ORDER, order)


def order_model_versions(query: Select[Any], order: Sequence[OrderKey]) -> Select[Any]:
    return _ordered(query, _VERSION_ORDER, order)
