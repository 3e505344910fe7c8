"""``models:/`` URIs (pure): parsing, resolution to a version, and copying a version.

``/name/3``, ``/name/Production``, ``/name/latest``, ``/name@alias`` and ``/m-<id>``.
Resolution and copying are written once, over lookups every transport has: the
service runs them inside one read transaction, the HTTP client as ordinary calls.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote

from modelreg import validation
from modelreg.entities import STAGES, ModelVersion
from modelreg.errors import AlreadyExists, InvalidArgument, NotFound

if TYPE_CHECKING:
    from modelreg.protocols import Registry

_USAGE = (
    "expected models:/<name>/<version>, models:/<name>/<stage>, models:/<name>/latest, "
    "models:/<name>@<alias> or models:/<model_id>"
)


@dataclass(frozen=True, slots=True)
class ModelReference:
    """What a ``models:/`` URI names: exactly one of version, stage, alias, latest, or model_id."""

    name: str | None = None
    version: int | None = None
    stage: str | None = None
    alias: str | None = None
    latest: bool = False
    model_id: str | None = None


def parse_models_uri(uri: str) -> ModelReference:
    if not uri.startswith("models:/"):
        raise InvalidArgument(f"Not a models:/ URI: {uri!r}; {_USAGE}.")
    path = uri.removeprefix("models:/").lstrip("/")
    path = unquote(path.split("?", 1)[0].split("#", 1)[0]).rstrip("/")
    if not path:
        raise InvalidArgument(f"Invalid model URI {uri!r}: {_USAGE}.")
    if "/" not in path:
        if "@" in path:
            name, _, alias = path.rpartition("@")
            if not name or not alias:
                raise InvalidArgument(f"Invalid model URI {uri!r}: {_USAGE}.")
            return ModelReference(name=name, alias=alias)
        if path.startswith("m-"):
            return ModelReference(model_id=path)
        raise InvalidArgument(f"Invalid model URI {uri!r}: {_USAGE}.")
    name, _, suffix = path.rpartition("/")
    if not name or not suffix or "/" in name:
        raise InvalidArgument(f"Invalid model URI {uri!r}: {_USAGE}.")
    if suffix.isdigit():
        return ModelReference(name=name, version=int(suffix))
    if suffix.lower() == "latest":
        return ModelReference(name=name, latest=True)
    return ModelReference(name=name, stage=suffix)


class VersionLookup(Protocol):
    """The three reads that resolve a reference (a ``Registry`` has them all)."""

    def get_model_version(self, name: str, version: int | str) -> ModelVersion: ...

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion: ...

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]: ...


def resolve_reference(ref: ModelReference, lookup: VersionLookup) -> ModelVersion:
    """The version ``ref`` names: a number, an alias, the newest in a stage, or the newest."""
    if ref.name is None:
        raise InvalidArgument(f"models:/{ref.model_id} names a logged model, not a version.")
    name = validation.validate_model_name(ref.name)
    if ref.version is not None:
        return lookup.get_model_version(name, ref.version)
    if ref.alias is not None:
        return lookup.get_model_version_by_alias(name, ref.alias)
    stages = [validation.canonical_stage(ref.stage)] if ref.stage else list(STAGES)
    latest = lookup.get_latest_versions(name, stages)
    if not latest:
        where = f" in stage '{stages[0]}'" if ref.stage else ""
        raise NotFound(f"No versions of model {name!r}{where}.")
    return max(latest, key=lambda mv: mv.number)


def registered_reference(uri: str) -> ModelReference:
    """``uri`` parsed, refusing a logged model's ``models:/m-…`` (no registered version)."""
    ref = parse_models_uri(uri)
    if ref.model_id is not None:
        raise InvalidArgument(f"{uri!r} names a logged model, not a registered version.")
    return ref


def copy_model_version(registry: Registry, src_model_uri: str, dst_name: str) -> ModelVersion:
    """Copy the version ``src_model_uri`` names into ``dst_name`` (created if needed).

    MLflow's client does the same on its side: the copy's source is
    ``models:/<name>/<number>``, and it keeps the origin's lineage, tags and texts.
    """
    dst_name = validation.validate_model_name(dst_name)
    ref = parse_models_uri(src_model_uri)
    if ref.model_id is not None:
        raise InvalidArgument(
            f"copy_model_version needs a registered model URI, not {src_model_uri!r}."
        )
    origin = registry.resolve_model_uri(src_model_uri)
    with contextlib.suppress(AlreadyExists):
        registry.create_registered_model(dst_name)
    return registry.create_model_version(
        dst_name,
        f"models:/{origin.name}/{origin.version}",
        run_id=origin.run_id or None,
        tags=origin.tags,
        run_link=origin.run_link or None,
        description=origin.description or None,
        model_id=origin.model_id,
    )
