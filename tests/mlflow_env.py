"""Create and locate the separate virtualenv that holds the real MLflow.

modelreg never depends on mlflow. The real mlflow is used only by the
compatibility tests and the benchmarks, and it lives in its own virtualenv
(default ``<repo root>/.venv-mlflow``, overridable with the environment
variable ``MODELREG_MLFLOW_VENV``).

Usage::

    python tests/mlflow_env.py          # create it if needed, print its python

From code (tests, benchmarks)::

    from mlflow_env import ensure_mlflow_venv
    python = ensure_mlflow_venv()       # Path to the venv's python

Creation is guarded by an ``fcntl`` file lock so parallel pytest-xdist
workers never install at the same time; when the venv already has the right
mlflow version the call costs one short subprocess.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MLFLOW_VERSION = "3.17.2"
PACKAGES: tuple[str, ...] = (
    f"mlflow=={MLFLOW_VERSION}",
    "scikit-learn",
    "skops",
    "cloudpickle",
)
ENV_VAR = "MODELREG_MLFLOW_VENV"
REPO_ROOT = Path(__file__).resolve().parent.parent


def venv_dir() -> Path:
    """Directory of the mlflow virtualenv (env ``MODELREG_MLFLOW_VENV`` wins)."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser().resolve()
    return REPO_ROOT / ".venv-mlflow"


def venv_python(venv: Path | None = None) -> Path:
    """Path of the python interpreter inside the mlflow virtualenv."""
    return (venv or venv_dir()) / "bin" / "python"


def installed_mlflow_version(python: Path) -> str | None:
    """The mlflow version importable by ``python``, or None if it is unusable."""
    if not python.exists():
        return None
    try:
        proc = subprocess.run(
            [str(python), "-c", "import mlflow; print(mlflow.__version__)"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    lines = proc.stdout.strip().splitlines()
    return lines[-1].strip() if lines else None


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _run(cmd: list[str]) -> None:
    sys.stderr.write("+ " + " ".join(cmd) + "\n")
    sys.stderr.flush()
    subprocess.run(cmd, check=True, stdout=sys.stderr)


def _create(venv: Path) -> None:
    python = venv_python(venv)
    if not python.exists():
        _run(["python3", "-m", "venv", str(venv)])
    pip = [str(python), "-m", "pip", "--disable-pip-version-check"]
    _run([*pip, "install", "--upgrade", "pip"])
    _run([*pip, "install", *PACKAGES])


def ensure_mlflow_venv() -> Path:
    """Return the mlflow venv's python, creating/repairing the venv if needed.

    Raises ``RuntimeError`` if after installing mlflow still does not report
    ``MLFLOW_VERSION``; ``subprocess.CalledProcessError`` if pip fails.
    """
    venv = venv_dir()
    python = venv_python(venv)
    if installed_mlflow_version(python) == MLFLOW_VERSION:
        return python
    # The lock lives inside the venv directory (so it is git-ignored with it);
    # ``python -m venv`` is happy to populate a directory that already exists.
    venv.mkdir(parents=True, exist_ok=True)
    lock = venv / ".modelreg-install.lock"
    with _locked(lock):
        # Another process may have finished the install while we waited.
        if installed_mlflow_version(python) == MLFLOW_VERSION:
            return python
        _create(venv)
        found = installed_mlflow_version(python)
        if found != MLFLOW_VERSION:
            raise RuntimeError(f"{python}: expected mlflow {MLFLOW_VERSION}, found {found!r}")
    return python


def main() -> None:
    sys.stdout.write(f"{ensure_mlflow_venv()}\n")


if __name__ == "__main__":
    main()


def require_mlflow_python() -> Path:
    """For tests: the venv's python, created on first need (under the lock).

    Where it cannot be created, tests skip locally but fail in CI (``CI`` set), so the
    compatibility suites never silently stop running there.
    """
    import pytest

    try:
        return ensure_mlflow_venv()
    except Exception as exc:
        message = f"mlflow {MLFLOW_VERSION} virtualenv could not be created: {exc!r}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
