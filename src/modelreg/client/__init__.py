"""``MlflowClient``: MLflow's client API over an embedded registry or a modelreg server."""

from __future__ import annotations

from modelreg.client.registry_client import MlflowClient

__all__ = ["MlflowClient"]
