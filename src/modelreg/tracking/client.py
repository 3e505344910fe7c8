"""``from modelreg.tracking.client import MlflowClient``, as in ``mlflow.tracking.client``."""

from __future__ import annotations

from modelreg.client.registry_client import MlflowClient

__all__ = ["MlflowClient"]
