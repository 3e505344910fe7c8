"""Compile parsed search filters and orderings (``modelreg.filters``) into SQL.

Every value is a bound parameter, named after the position of its comparison in the
filter (``v3``, ``k3``, ...), so a statement depends only on the filter's *shape*
(:func:`shape`) and can be compiled once and reused for any values.

Cost grows linearly with the number of conditions. A condition on a tag, param, metric
or dataset is a set of entity keys (``SELECT owner FROM tags WHERE key = :k AND value =
:v``, an indexed probe); the sets of the conditions joined by one ``AND`` are combined
with ``INTERSECT``, those joined by one ``OR`` with ``UNION ALL``, and the entity is
tested against the result with a single ``IN``. Attribute conditions stay plain
``WHERE`` terms. So a filter of any size adds at most one semi-join per ``AND`` group
to the query: planners that enumerate join orders (PostgreSQL, MariaDB) plan a fixed
number of joins instead of one per condition, which took PostgreSQL seconds for 100
conditions on an empty database.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    Table,
    and_,
    bindparam,
    intersect,
    not_,
    or_,
    select,
    tuple_,
    union_all,
)

from modelreg.filters import AllOf, AnyOf, Comparison, Condition, OrderKey, comparisons
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


# ------------------------------------------------------------------ parameters


def key_param(index: int) -> Any:
    """The bound key (tag, param or metric name) of comparison ``index``."""
    return bindparam(f"k{index}")


def value_param(index: int, cond: Comparison) -> Any:
    """The bound value of comparison ``index``: a list of parameters for IN lists."""
    if isinstance(cond.value, tuple):
        return [bindparam(f"v{index}_{i}") for i in range(len(cond.value))]
    return bindparam(f"v{index}")


def _prefix_param(index: int) -> Any:
    return bindparam(f"x{index}")


def filter_params(conditions: Sequence[Condition]) -> dict[str, Any]:
    """The values of every parameter a compiled filter binds, by name."""
    params: dict[str, Any] = {}
    for index, cond in enumerate(comparisons(conditions)):
        if cond.kind != "attribute":
            params[f"k{index}"] = cond.key
        if isinstance(cond.value, tuple):
            for i, item in enumerate(cond.value):
                params[f"v{index}_{i}"] = item
        else:
            params[f"v{index}"] = cond.value
            if cond.op == "=" and isinstance(cond.value, str):
                params[f"x{index}"] = cond.value[:VALUE_PREFIX_LENGTH]
    return params


def shape(conditions: Sequence[Condition]) -> Hashable:
    """What a compiled filter depends on: its structure, never its values.

    Keys of tags, params and metrics are bound parameters too, except that the
    prompt tag's ``!=`` compiles differently (see :data:`PROMPT_TAG`).
    """

    def of(cond: Condition) -> Hashable:
        if isinstance(cond, AllOf | AnyOf):
            return (type(cond).__name__, tuple(of(term) for term in cond.terms))
        keyed = cond.kind not in ("attribute", "dataset")
        key: Hashable = (cond.key == PROMPT_TAG) if keyed else cond.key
        count = len(cond.value) if isinstance(cond.value, tuple) else None
        return (cond.kind, key, cond.op, count)

    return tuple(of(cond) for cond in conditions)


# -------------------------------------------------------------------- compiler


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
        return column.in_(value)  # type: ignore[no-any-return]
    if op == "NOT IN":
        return column.not_in(value)  # type: ignore[no-any-return]
    if op == "<":
        return column < value  # type: ignore[no-any-return]
    if op == "<=":
        return column <= value  # type: ignore[no-any-return]
    if op == ">":
        return column > value  # type: ignore[no-any-return]
    if op == ">=":
        return column >= value  # type: ignore[no-any-return]
    raise ValueError(f"unsupported comparator {op}")  # the parser never produces one


@dataclass(frozen=True, slots=True)
class Target:
    """How one search compiles its comparisons.

    ``owner`` is the searched entity's key (a column, or a ``tuple_`` of columns);
    ``member`` returns, for a comparison on a tag, param, metric or dataset, the
    ``SELECT`` of the owner keys that satisfy it (same columns for every comparison),
    and ``None`` for any other; ``plain`` compiles those others to a ``WHERE`` term.
    Both receive the comparison's position, which names its bound parameters.
    """

    owner: Any
    member: Callable[[Comparison, int], Select[Any] | None]
    plain: Callable[[Comparison, int], ColumnElement[bool]]


def where(conditions: Sequence[Condition], target: Target) -> list[ColumnElement[bool]]:
    """The ``WHERE`` terms (to be AND-ed) for a parsed filter."""
    positions = {id(cond): index for index, cond in enumerate(comparisons(conditions))}
    return _Compiler(target, positions).all_of(conditions)


class _Compiler:
    def __init__(self, target: Target, positions: dict[int, int]) -> None:
        self.target = target
        self.positions = positions

    def all_of(self, terms: Sequence[Condition]) -> list[ColumnElement[bool]]:
        sets, plain = self._split(terms)
        if sets:
            plain.append(self.target.owner.in_(_combined(sets, intersect)))
        return plain

    def any_of(self, terms: Sequence[Condition]) -> ColumnElement[bool]:
        sets, plain = self._split(terms)
        if sets:
            plain.append(self.target.owner.in_(_combined(sets, union_all)))
        return or_(*plain)

    def _split(
        self, terms: Sequence[Condition]
    ) -> tuple[list[Select[Any] | CompoundSelect[Any]], list[ColumnElement[bool]]]:
        sets: list[Select[Any] | CompoundSelect[Any]] = []
        plain: list[ColumnElement[bool]] = []
        for term in terms:
            found = self._as_set(term)
            if found is not None:
                sets.append(found)
            elif isinstance(term, Comparison):
                plain.append(self.target.plain(term, self.positions[id(term)]))
            elif isinstance(term, AllOf):
                plain.append(and_(*self.all_of(term.terms)))
            else:
                plain.append(self.any_of(term.terms))
        return sets, plain

    def _as_set(self, term: Condition) -> Select[Any] | CompoundSelect[Any] | None:
        """The owner keys matching ``term``, if every comparison in it is a set."""
        if isinstance(term, Comparison):
            return self.target.member(term, self.positions[id(term)])
        sets = [self._as_set(inner) for inner in term.terms]
        if any(found is None for found in sets):
            return None
        operator = intersect if isinstance(term, AllOf) else union_all
        return _combined([found for found in sets if found is not None], operator)


def _combined(
    sets: Sequence[Select[Any] | CompoundSelect[Any]],
    operator: Callable[..., CompoundSelect[Any]],
) -> Select[Any] | CompoundSelect[Any]:
    if len(sets) == 1:
        return sets[0]
    # SQLite refuses a parenthesised compound inside another: nest it as a subquery.
    return operator(
        *[
            select(*found.subquery().c) if isinstance(found, CompoundSelect) else found
            for found in sets
        ]
    )


# ------------------------------------------------------------ registry searches


def _tag_member(table: Table, keys: Sequence[Any]) -> Callable[[Comparison, int], Any]:
    def member(cond: Comparison, index: int) -> Select[Any] | None:
        if cond.kind != "tag" or (cond.key == PROMPT_TAG and cond.op == "!="):
            return None
        if cond.op == "=":
            # The indexed 200-character prefix finds the rows, the full value decides.
            matches = and_(
                table.c.value_prefix == _prefix_param(index),
                table.c.value == value_param(index, cond),
            )
        else:
            matches = compare(table.c.value, cond.op, value_param(index, cond))
        return select(*keys).where(table.c.key == key_param(index), matches)

    return member


def _attribute_or_prompt(
    table: Table, keys: Sequence[Any], owner: Any, attributes: dict[str, Any]
) -> Callable[[Comparison, int], ColumnElement[bool]]:
    def plain(cond: Comparison, index: int) -> ColumnElement[bool]:
        if cond.kind == "tag":  # the prompt tag: entities without it match too
            prompt = select(*keys).where(
                table.c.key == key_param(index), table.c.value == value_param(index, cond)
            )
            excluded: ColumnElement[bool] = not_(owner.in_(prompt))
            return excluded
        return compare(attributes[cond.key], cond.op, value_param(index, cond))

    return plain


_MODEL_TAG_KEYS = (registered_model_tags.c.model_id,)
_VERSION_TAG_KEYS = (model_version_tags.c.model_id, model_version_tags.c.version)
_VERSION_OWNER = tuple_(mv.c.model_id, mv.c.version)

REGISTERED_MODELS = Target(
    owner=rm.c.id,
    member=_tag_member(registered_model_tags, _MODEL_TAG_KEYS),
    plain=_attribute_or_prompt(
        registered_model_tags, _MODEL_TAG_KEYS, rm.c.id, {"name": rm.c.name}
    ),
)
MODEL_VERSIONS = Target(
    owner=_VERSION_OWNER,
    member=_tag_member(model_version_tags, _VERSION_TAG_KEYS),
    plain=_attribute_or_prompt(
        model_version_tags,
        _VERSION_TAG_KEYS,
        _VERSION_OWNER,
        {
            "name": rm.c.name,
            "run_id": mv.c.run_id,
            "source_path": mv.c.source,
            "version_number": mv.c.version,
        },
    ),
)

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
