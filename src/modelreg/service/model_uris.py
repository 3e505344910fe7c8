"""Parsing of ``models:/`` URIs (pure): ``/name/3``, ``/name/Production``, ``/name@alias``."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from modelreg.errors import InvalidArgument

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
