"""scripts/deploy-demo's deployment runs: two replicas on PostgreSQL, artifacts on S3
(moto), a load balancer, and the register -> transition -> load workflow through it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.backends import enabled_backends

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.skipif(
    "postgresql" not in enabled_backends(),
    reason="needs MODELREG_TEST_BACKENDS to include postgresql (.ci/run sets it)",
)
def test_the_deployment_demo_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "deploy" / "demo.py")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "predictions match: True" in done.stdout
    assert "==> deployment demo: ok" in done.stdout
