"""How ``modelreg server`` configures uvicorn for its worker processes."""

from __future__ import annotations

import inspect

import pytest
import uvicorn

from modelreg.server import ServerSettings
from modelreg.server.main import WORKER_HEALTHCHECK_SECONDS, _config


def test_a_worker_that_is_still_starting_is_not_killed_by_its_supervisor() -> None:
    # uvicorn 0.50+ kills a worker that has not answered a health ping within 5 s: on a
    # loaded machine the imports alone take longer, and the workers were replaced
    # forever without ever serving.
    config = _config(object(), ServerSettings(), workers=2, factory=True)
    if "timeout_worker_healthcheck" not in inspect.signature(uvicorn.Config).parameters:
        pytest.skip("this uvicorn has no worker health check")
    assert config.timeout_worker_healthcheck == WORKER_HEALTHCHECK_SECONDS >= 60
