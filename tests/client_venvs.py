"""Separate virtualenvs for the real clients the compatibility tests drive.

modelreg never depends on its peers' clients. Each real client (mlflow, the
Databricks SDK) lives in a virtualenv of its own, created on first need by the
test setup, so CI builds them on a fresh machine and nothing leaks into modelreg's
own environment.

A :class:`ClientVenv` names the venv (default ``<repo root>/.venv-<name>``,
overridable by an environment variable), the packages to install, and a probe: a
short script whose last line of output must equal ``expected`` for the venv to
count as usable. Creation is guarded by an ``fcntl`` lock inside the venv folder,
so parallel pytest-xdist workers never install at the same time; when the venv is
already right the check costs one short subprocess.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ClientVenv:
    name: str  # the folder is .venv-<name> at the repo root by default
    env_var: str  # overrides the folder
    packages: tuple[str, ...]
    probe: str  # python code; its last output line must equal ``expected``
    expected: str

    def directory(self) -> Path:
        override = os.environ.get(self.env_var)
        if override:
            return Path(override).expanduser().resolve()
        return REPO_ROOT / f".venv-{self.name}"

    def python(self) -> Path:
        return self.directory() / "bin" / "python"

    def probed(self) -> str | None:
        """What the probe prints in the venv, or None if the venv is unusable."""
        python = self.python()
        if not python.exists():
            return None
        try:
            proc = subprocess.run(
                [str(python), "-c", self.probe],
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

    def ensure(self) -> Path:
        """The venv's python, creating or repairing the venv if needed.

        Raises ``RuntimeError`` if after installing the probe still disagrees;
        ``subprocess.CalledProcessError`` if pip fails.
        """
        if self.probed() == self.expected:
            return self.python()
        venv = self.directory()
        # The lock lives inside the venv directory (git-ignored with it);
        # ``python -m venv`` is happy to populate a directory that already exists.
        venv.mkdir(parents=True, exist_ok=True)
        with _locked(venv / ".modelreg-install.lock"):
            # Another process may have finished the install while we waited.
            if self.probed() == self.expected:
                return self.python()
            _create(venv, self.packages)
            found = self.probed()
            if found != self.expected:
                raise RuntimeError(
                    f"{self.python()}: expected {self.expected!r} from the probe, found {found!r}"
                )
        return self.python()

    def require(self) -> Path:
        """For tests: the venv's python, created on first need (under the lock).

        Where it cannot be created, tests skip locally but fail in CI (``CI`` set), so
        the compatibility suites never silently stop running there.
        """
        import pytest

        try:
            return self.ensure()
        except Exception as exc:
            message = f"{self.name} virtualenv could not be created: {exc!r}"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)


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


def _create(venv: Path, packages: tuple[str, ...]) -> None:
    python = venv / "bin" / "python"
    if not python.exists():
        _run([sys.executable if sys.executable else "python3", "-m", "venv", str(venv)])
    pip = [str(python), "-m", "pip", "--disable-pip-version-check"]
    _run([*pip, "install", "--quiet", "--upgrade", "pip"])
    _run([*pip, "install", "--quiet", *packages])


DATABRICKS_SDK_VERSION = "0.167.0"

DATABRICKS = ClientVenv(
    name="databricks",
    env_var="MODELREG_DATABRICKS_VENV",
    packages=(f"databricks-sdk=={DATABRICKS_SDK_VERSION}",),
    probe="from importlib.metadata import version; print(version('databricks-sdk'))",
    expected=DATABRICKS_SDK_VERSION,
)


def require_databricks_python() -> Path:
    """Python of the databricks-sdk virtualenv (created on first need)."""
    return DATABRICKS.require()


def main() -> int:
    """``python -m tests.client_venvs``: make every real-client venv usable, one line each.

    scripts/test runs this as a visible step before pytest, so the ~850 MB mlflow
    install happens in the open (once; later runs only probe) instead of silently
    inside the first test that needs it.
    """
    from tests.mlflow_env import MLFLOW

    failed = 0
    for venv in (MLFLOW, DATABRICKS):
        if venv.probed() == venv.expected:
            sys.stdout.write(f"{venv.name}: {venv.expected} ready in {venv.directory()}\n")
            continue
        packages = " ".join(venv.packages)
        sys.stdout.write(f"{venv.name}: installing {packages} into {venv.directory()}\n")
        sys.stdout.flush()
        try:
            venv.ensure()
        except (RuntimeError, OSError, subprocess.CalledProcessError) as error:
            sys.stdout.write(f"{venv.name}: could not be created: {error}\n")
            failed += 1
            continue
        sys.stdout.write(f"{venv.name}: {venv.expected} ready\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
