"""``MlflowClient``: MLflow's client API over an embedded registry or a modelreg server.

Loaded on first use (``modelreg.client.MlflowClient``), so importing the package
costs nothing until a client is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelreg.client.registry_client import MlflowClient


def __getattr__(name: str) -> Any:
    if name == "MlflowClient":
        from modelreg.client.registry_client import MlflowClient

        globals()[name] = MlflowClient
        return MlflowClient
    raise AttributeError(f"module 'modelreg.client' has no attribute {name!r}")


__all__ = ["MlflowClient"]
