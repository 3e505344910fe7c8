"""``modelreg.tracking`` answers the imports ported code has for ``mlflow.tracking``."""

from __future__ import annotations

import pytest

import modelreg
from modelreg.client.registry_client import MlflowClient


def test_mlflow_tracking_imports_work_with_modelreg() -> None:
    from modelreg.tracking import MlflowClient as FromTracking
    from modelreg.tracking import get_registry_uri, get_tracking_uri, set_tracking_uri
    from modelreg.tracking.client import MlflowClient as FromTrackingClient

    assert FromTracking is FromTrackingClient is MlflowClient is modelreg.MlflowClient
    assert get_tracking_uri is modelreg.get_tracking_uri
    assert set_tracking_uri is modelreg.set_tracking_uri
    assert get_registry_uri is modelreg.get_registry_uri


def test_unknown_names_are_attribute_errors() -> None:
    import modelreg.tracking

    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        modelreg.tracking.nope  # noqa: B018
