"""scripts/_install.sh: pip runs on the first start and after pyproject.toml changes only."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Stands in for .venv/bin/python: records each pip call instead of installing.
_FAKE_PYTHON = """#!/usr/bin/env bash
if [[ "$1" == "-c" ]]; then echo "3.11.fake"; exit 0; fi
echo "$*" >> "$(dirname "$0")/../pip-calls"
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "_install.sh", tmp_path / "scripts" / "_install.sh")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(_FAKE_PYTHON)
    python.chmod(0o755)
    return tmp_path


def _install(project: Path, *extras: str) -> str:
    script = f"source scripts/_install.sh && ensure_installed {' '.join(extras)}"
    done = subprocess.run(
        ["bash", "-c", script], cwd=project, capture_output=True, text=True, check=True
    )
    return done.stdout


def _pip_calls(project: Path) -> list[str]:
    calls = project / ".venv" / "pip-calls"
    return calls.read_text().splitlines() if calls.exists() else []


def test_pip_runs_once_until_pyproject_changes(tmp_path: Path) -> None:
    project = _project(tmp_path)
    assert "takes a minute" in _install(project, "server")
    (call,) = _pip_calls(project)
    assert call == "-m pip install --quiet --disable-pip-version-check -e .[server]"

    assert "skipped, nothing changed" in _install(project, "server")
    assert len(_pip_calls(project)) == 1

    (project / "pyproject.toml").write_text("[project]\nname = 'x'\ndependencies = ['y']\n")
    _install(project, "server")
    assert len(_pip_calls(project)) == 2


def test_an_install_with_more_extras_counts(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _install(project, "dev")
    assert "skipped" in _install(project, "server,sklearn", "dev")
    assert len(_pip_calls(project)) == 1
    # Another set of extras on its own is a new install.
    _install(project, "server,sklearn")
    assert len(_pip_calls(project)) == 2
