"""modelreg: a fast, MLflow-compatible model registry.

``import modelreg`` is cheap: submodules (the client, the database layer, flavors)
load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelreg._version import __version__
from modelreg.config import get_registry_uri, get_tracking_uri, set_tracking_uri
from modelreg.errors import (
    AlreadyExists,
    Conflict,
    IntegrityFailure,
    InvalidArgument,
    InvalidState,
    NotFound,
    PermissionDenied,
    RegistryError,
    TemporarilyUnavailable,
    Unauthenticated,
)

if TYPE_CHECKING:
    from modelreg.client import MlflowClient
    from modelreg.entities import ModelVersion, PagedList, RegisteredModel

    Client = MlflowClient

_LAZY = {
    "MlflowClient": ("modelreg.client", "MlflowClient"),
    "Client": ("modelreg.client", "MlflowClient"),
    "ModelVersion": ("modelreg.entities", "ModelVersion"),
    "RegisteredModel": ("modelreg.entities", "RegisteredModel"),
    "PagedList": ("modelreg.entities", "PagedList"),
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'modelreg' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value


__all__ = [
    "AlreadyExists",
    "Client",
    "Conflict",
    "IntegrityFailure",
    "InvalidArgument",
    "InvalidState",
    "MlflowClient",
    "ModelVersion",
    "NotFound",
    "PagedList",
    "PermissionDenied",
    "RegisteredModel",
    "RegistryError",
    "TemporarilyUnavailable",
    "Unauthenticated",
    "__version__",
    "get_registry_uri",
    "get_tracking_uri",
    "set_tracking_uri",
]
