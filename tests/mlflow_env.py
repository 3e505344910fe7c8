"""Create and locate the separate virtualenv that holds the real MLflow.

modelreg never depends on mlflow. The real mlflow (with its ``auth`` extra, for
``AuthServiceClient``) is used only by the compatibility tests and the benchmarks,
and it lives in its own virtualenv (default ``<repo root>/.venv-mlflow``,
overridable with the environment variable ``MODELREG_MLFLOW_VENV``). The mechanism
is :mod:`client_venvs`, shared with the other real clients.

Usage::

    python tests/mlflow_env.py          # create it if needed, print its python

From code (tests, benchmarks)::

    from mlflow_env import ensure_mlflow_venv
    python = ensure_mlflow_venv()       # Path to the venv's python
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    from tests.client_venvs import ClientVenv
except ImportError:  # loaded by path (bench scripts, tests/models/conftest.py)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from client_venvs import ClientVenv  # type: ignore[no-redef]

MLFLOW_VERSION = "3.17.2"
PACKAGES: tuple[str, ...] = (
    f"mlflow[auth]=={MLFLOW_VERSION}",
    "scikit-learn",
    "skops",
    "cloudpickle",
)
ENV_VAR = "MODELREG_MLFLOW_VENV"

MLFLOW = ClientVenv(
    name="mlflow",
    env_var=ENV_VAR,
    packages=PACKAGES,
    # flask_wtf is what the auth extra adds; AuthServiceClient cannot import without it.
    probe="import flask_wtf, mlflow; print(mlflow.__version__)",
    expected=MLFLOW_VERSION,
)


def venv_dir() -> Path:
    """Directory of the mlflow virtualenv (env ``MODELREG_MLFLOW_VENV`` wins)."""
    return MLFLOW.directory()


def venv_python(venv: Path | None = None) -> Path:
    """Path of the python interpreter inside the mlflow virtualenv."""
    return (venv or venv_dir()) / "bin" / "python"


def ensure_mlflow_venv() -> Path:
    """Return the mlflow venv's python, creating/repairing the venv if needed."""
    return MLFLOW.ensure()


def require_mlflow_python() -> Path:
    """For tests: the venv's python, created on first need (fails in CI, skips locally)."""
    return MLFLOW.require()


def main() -> None:
    sys.stdout.write(f"{ensure_mlflow_venv()}\n")


if __name__ == "__main__":
    main()
