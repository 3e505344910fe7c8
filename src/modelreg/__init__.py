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
    from modelreg import data, pyfunc, sklearn
    from modelreg.client import MlflowClient
    from modelreg.entities import ModelVersion, PagedList, RegisteredModel
    from modelreg.fluent import (
        active_run,
        create_experiment,
        delete_tag,
        end_run,
        get_artifact_uri,
        get_experiment,
        get_experiment_by_name,
        get_run,
        last_active_run,
        log_artifact,
        log_artifacts,
        log_input,
        log_metric,
        log_metrics,
        log_param,
        log_params,
        register_model,
        set_experiment,
        set_tag,
        set_tags,
        start_run,
    )

    Client = MlflowClient

_FLUENT = (
    "active_run",
    "create_experiment",
    "delete_tag",
    "end_run",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_run",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "register_model",
    "set_experiment",
    "set_tag",
    "set_tags",
    "start_run",
)
_SUBMODULES = ("data", "pyfunc", "sklearn")

_LAZY = {
    **{name: ("modelreg.fluent", name) for name in _FLUENT},
    "MlflowClient": ("modelreg.client", "MlflowClient"),
    "Client": ("modelreg.client", "MlflowClient"),
    "ModelVersion": ("modelreg.entities", "ModelVersion"),
    "RegisteredModel": ("modelreg.entities", "RegisteredModel"),
    "PagedList": ("modelreg.entities", "PagedList"),
}


def __getattr__(name: str) -> Any:
    import importlib

    if name in _SUBMODULES:
        return importlib.import_module(f"modelreg.{name}")
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'modelreg' has no attribute {name!r}")
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
    "data",
    "pyfunc",
    "sklearn",
    "active_run",
    "create_experiment",
    "delete_tag",
    "end_run",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_run",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "register_model",
    "set_experiment",
    "set_tag",
    "set_tags",
    "start_run",
]
