"""Row → entity mapping for registry reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from typing import Any, TypeVar

from modelreg.entities import ModelVersion, RegisteredModel

T = TypeVar("T")


def _builder(cls: type[T]) -> Callable[..., T]:
    """A constructor for a frozen slots dataclass taking every field by position.

    The dataclass's own ``__init__`` sets each field through ``object.__setattr__``
    (to get past the frozen check): 3 µs for a version, more than reading its row, on
    every version of a search page. This one sets the slots straight through their
    descriptors in one generated function: the same object (equal, still frozen) in a
    third of the time. Only for rows, whose every field is given.
    """
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__, which this would skip")
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    scope.update({f"_set_{name}": getattr(cls, name).__set__ for name in names})
    body = "".join(f"    _set_{name}(o, {name})\n" for name in names)
    source = f"def build({', '.join(names)}):\n    o = _new(_cls)\n{body}    return o\n"
    exec(source, scope)  # the source is built from the dataclass's own field names
    built: Callable[..., T] = scope["build"]
    return built


_version = _builder(ModelVersion)
_model = _builder(RegisteredModel)

# The column order of every version read (RegistryStore selects exactly these); rows
# are unpacked by position because attribute lookups on rows cost more than the query.
VERSION_COLUMN_NAMES = (
    "name",
    "version",
    "creation_timestamp",
    "last_updated_timestamp",
    "current_stage",
    "description",
    "source",
    "run_id",
    "run_link",
    "status",
    "status_message",
    "user_id",
    "model_id_ref",
    "storage_location",
    "manifest",
    "model_id",
)


def version_from_row(
    row: Any,
    tags: Mapping[str, str] | None = None,
    aliases: Sequence[str] = (),
) -> ModelVersion:
    (
        name,
        version,
        created,
        updated,
        stage,
        description,
        source,
        run_id,
        run_link,
        status,
        status_message,
        user_id,
        logged_model_id,
        storage_location,
        _manifest,
        _model_id,
    ) = row
    # The one place stored versions become entities: numbers become MLflow's strings,
    # unset texts MLflow's "" (see modelreg.entities).
    return _version(
        name,
        str(version),
        created,
        updated,
        stage,
        description or "",
        source,
        run_id or "",
        run_link or "",
        status,
        status_message,
        user_id or "",
        logged_model_id,
        dict(tags) if tags else {},
        sorted(aliases) if aliases else [],
        storage_location,
    )


# The column order of every registered-model read (the table's own order).
MODEL_COLUMN_NAMES = (
    "id",
    "name",
    "creation_timestamp",
    "last_updated_timestamp",
    "description",
    "user_id",
    "last_version",
)


def model_from_row(
    row: Any,
    tags: Mapping[str, str],
    aliases: Mapping[str, int],
    latest: Sequence[ModelVersion],
) -> RegisteredModel:
    _id, name, created, updated, description, user_id, _last_version = row
    return _model(
        name,
        created,
        updated,
        description or "",
        user_id or "",
        dict(tags),
        {alias: str(version) for alias, version in sorted(aliases.items())},
        sorted(latest, key=lambda mv: mv.number),
    )
