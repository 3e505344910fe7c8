"""``from modelreg.tracking import MlflowClient``, as ``from mlflow.tracking import MlflowClient``.

Code ported from mlflow with only its imports changed keeps working: this package
has the names ``mlflow.tracking`` exports that modelreg implements, and
``modelreg.tracking.client`` mirrors ``mlflow.tracking.client``. The client is
loaded on first use, like everything under ``modelreg``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelreg.config import get_registry_uri, get_tracking_uri, set_tracking_uri

if TYPE_CHECKING:
    from modelreg.client.registry_client import MlflowClient


def __getattr__(name: str) -> Any:
    if name == "MlflowClient":
        from modelreg.client.registry_client import MlflowClient

        globals()[name] = MlflowClient
        return MlflowClient
    raise AttributeError(f"module 'modelreg.tracking' has no attribute {name!r}")


__all__ = ["MlflowClient", "get_registry_uri", "get_tracking_uri", "set_tracking_uri"]
