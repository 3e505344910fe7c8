"""What every event is, the catalogue of them, and the reference page built from it."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, TypeVar

E = TypeVar("E", bound=type["DomainEvent"])

CATALOGUE: dict[str, type[DomainEvent]] = {}
"""Every event type by its ``TYPE`` name, in declaration order."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    """An event: its type name and schema version (class constants) and its payload."""

    TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int] = 1
    # Where the reference page files it: "registry", "tracking", later "approvals", ...
    AREA: ClassVar[str] = ""

    def payload(self) -> dict[str, Any]:
        """The fields as JSON-ready values (mappings as objects, sequences as arrays)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @property
    def model_name(self) -> str | None:
        """The registered model the event is about (indexed for history queries)."""
        return None

    @property
    def model_version(self) -> int | None:
        """The model version the event is about, if any."""
        return None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ModelEvent(DomainEvent):
    """An event about a registered model."""

    AREA: ClassVar[str] = "registry"
    name: Annotated[str, "The registered model's name."]

    @property
    def model_name(self) -> str | None:
        return self.name


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class VersionEvent(ModelEvent):
    """An event about one version of a registered model."""

    version: Annotated[int, "The version number."]

    @property
    def model_version(self) -> int | None:
        return self.version


@typing.dataclass_transform(frozen_default=True, kw_only_default=True)
def event(cls: E) -> E:
    """Declare an event type: a frozen, keyword-only dataclass added to :data:`CATALOGUE`."""
    # slots=True makes a new class; typeshed types it as the base, hence the cast.
    declared = dataclasses.dataclass(frozen=True, slots=True, kw_only=True)(cls)
    return catalogued(typing.cast(E, declared))


def catalogued(cls: E) -> E:
    """Add an event class to :data:`CATALOGUE` (its ``TYPE`` must be new)."""
    name = cls.__dict__.get("TYPE")
    if not isinstance(name, str) or not name:
        raise TypeError(f"{cls.__name__} needs a TYPE name")
    if name in CATALOGUE:
        raise TypeError(f"Event type {name!r} is declared twice")
    if not cls.__doc__ or not cls.AREA:
        raise TypeError(f"{cls.__name__} needs a docstring and an AREA")
    for field in dataclasses.fields(cls):
        _field_doc(cls, field.name)  # every field says what it holds
    CATALOGUE[name] = cls
    return cls


def parse(type_name: str, schema_version: int, payload: Mapping[str, Any]) -> DomainEvent:
    """A stored row's event as its dataclass again (history, webhooks and the UI read so).

    A field added to a type after it shipped has a default, and rows written before
    it lack it: they read with the default (adding a field keeps the schema version).

    Raises ``KeyError`` for a type this code does not know and ``ValueError`` for a
    payload of another schema version or with other fields.
    """
    cls = CATALOGUE[type_name]
    if schema_version != cls.SCHEMA_VERSION:
        raise ValueError(
            f"{type_name} payload is schema version {schema_version}; this code reads "
            f"version {cls.SCHEMA_VERSION}"
        )
    fields = dataclasses.fields(cls)
    names = {field.name for field in fields}
    required = {
        field.name
        for field in fields
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    }
    if not required <= set(payload) <= names:
        raise ValueError(f"{type_name} payload has fields {sorted(payload)}, not {sorted(names)}")
    return cls(**payload)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _hints(cls: type) -> dict[str, Any]:
    # Resolved against each class's own module (annotations are strings there).
    return typing.get_type_hints(cls, include_extras=True)


def _field_doc(cls: type, name: str) -> tuple[str, str]:
    hint = _hints(cls)[name]
    if typing.get_origin(hint) is not Annotated:
        raise TypeError(f"{cls.__name__}.{name} needs Annotated[type, 'what it holds']")
    base, *extras = typing.get_args(hint)
    docs = [extra for extra in extras if isinstance(extra, str)]
    if not docs:
        raise TypeError(f"{cls.__name__}.{name} needs a description")
    return _type_name(base), docs[0]


def _type_name(hint: Any) -> str:
    if hint is type(None):
        return "null"
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(arg) for arg in typing.get_args(hint))
    if origin in (list, tuple):
        return f"array of {_type_name(typing.get_args(hint)[0])}"
    if origin is dict:
        return "object (string → string)"
    return {str: "string", int: "integer", bool: "boolean", float: "number"}.get(hint, str(hint))


_AREA_TITLES: dict[str, str] = {
    "registry": "Model registry",
    "tracking": "Tracking",
    "approvals": "Approvals and collaboration",
    "history": "History (rollbacks)",
}


_INTRO = """
Every change to the registry or to tracking metadata writes rows to the `events`
table **in the same transaction** as the change itself: a change that is committed
has its events, a change that failed has none. Each row holds the event's `type`,
its `schema_version`, the `actor` who made the change, a millisecond `timestamp`,
the registered model `model_name` and `version` it concerns (for registry events;
indexed for history queries) and the JSON `payload` listed below. Rows are read in
commit order by their `id`; the audit history, webhook deliveries and the UI read
them, and `modelreg.events.parse(type, schema_version, payload)` turns a row back into
the event's dataclass.

Registry events also carry the model's stable `model_id`, the alias an alias event
moved (`subject`) and the links of the model's tamper-evident hash chain (`prev_hash`,
`hash`); [history.md](history.md) reads them (event feed, time travel, rollback,
`modelreg events verify`).

A type name is a contract: it never changes meaning. A payload change that a reader
could trip on (a field renamed or removed, or changing type) raises the type's
schema version; adding a field does not.

## What is recorded, and what is not

* **Registry**: every mutation: models, versions, stages, aliases, tags.
* **Tracking**: the changes to what experiments, runs and logged models *are*:
  creation, renaming, deletion and restoring, status changes, parameters (logged
  once and immutable), tags, dataset and model inputs, model outputs, finalisation.
* **Not recorded: metric data points.** A training loop logs thousands of them per
  run; one event each would flood the log (and every webhook subscriber) with
  rows nobody audits, and slow down the hottest write path. A run's metrics are
  its own history (`get_metric_history`); the run's status changes (`run.updated`)
  mark when training ended. Artifact uploads are not metadata changes either:
  files are tracked by the logged model or version that references them.
* **Not recorded: reads.** Searches, gets and downloads change nothing.
"""


def _rank(order: list[str], area: str) -> int:
    return order.index(area) if area in order else len(order)


def render_markdown() -> str:
    """docs/events.md: every event type, its schema version and payload fields."""
    lines = [
        "# Events",
        "",
        "<!-- Generated by `python -m modelreg.events > docs/events.md`; do not edit. -->",
        "",
        _INTRO.strip(),
        "",
    ]
    areas: dict[str, list[type[DomainEvent]]] = {}
    for cls in CATALOGUE.values():
        areas.setdefault(cls.AREA, []).append(cls)
    # Areas in the order of _AREA_TITLES (imports are alphabetical), new ones last.
    order = list(_AREA_TITLES)
    ranked = sorted(areas.items(), key=lambda item: _rank(order, item[0]))
    for area, classes in ranked:
        lines += [f"## {_AREA_TITLES.get(area, area.capitalize())}", ""]
        for cls in classes:
            summary = " ".join((cls.__doc__ or "").split())
            lines += [
                f"### `{cls.TYPE}`",
                "",
                f"{summary} (`{cls.__name__}`, schema version {cls.SCHEMA_VERSION})",
                "",
                "| field | type | what it holds |",
                "|---|---|---|",
            ]
            for field in dataclasses.fields(cls):
                type_name, doc = _field_doc(cls, field.name)
                lines.append(f"| `{field.name}` | {type_name} | {doc} |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
