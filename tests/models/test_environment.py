"""Environment files in MLflow's shapes."""

from __future__ import annotations

import importlib.metadata
import platform
from pathlib import Path

import pytest
import yaml

from modelreg.errors import InvalidArgument
from modelreg.models.environment import pinned, resolve_requirements, write_environment


def test_pinned_uses_installed_versions_and_skips_missing() -> None:
    version = importlib.metadata.version("pyyaml")
    assert pinned("pyyaml", "surely-not-installed-pkg") == [f"pyyaml=={version}"]


def test_requirement_precedence(tmp_path: Path) -> None:
    defaults = ["a==1", "b==2"]
    assert resolve_requirements(defaults) == ["a==1", "b==2"]
    assert resolve_requirements(defaults, pip_requirements=["c"]) == ["c"]
    assert resolve_requirements(defaults, extra_pip_requirements=["c", "a==1"]) == [
        "a==1",
        "b==2",
        "c",
    ]
    file = tmp_path / "reqs.txt"
    file.write_text("# comment\nx==1  # pinned\n\ny\n")
    assert resolve_requirements(defaults, pip_requirements=file) == ["x==1", "y"]
    with pytest.raises(InvalidArgument, match="not both"):
        resolve_requirements(defaults, pip_requirements=["x"], extra_pip_requirements=["y"])


def test_written_files(tmp_path: Path) -> None:
    write_environment(tmp_path, ["numpy==2.0", "skops==0.16.0"])
    assert (tmp_path / "requirements.txt").read_text() == "numpy==2.0\nskops==0.16.0"
    python = platform.python_version()
    conda = yaml.safe_load((tmp_path / "conda.yaml").read_text())
    assert conda["channels"] == ["conda-forge"]
    assert conda["name"] == "mlflow-env"
    assert conda["dependencies"][0] == f"python={python}"
    assert conda["dependencies"][1].startswith("pip")
    assert conda["dependencies"][2] == {"pip": ["numpy==2.0", "skops==0.16.0"]}
    text = (tmp_path / "python_env.yaml").read_text()
    # Insertion order, as MLflow writes it.
    assert text.startswith(f"python: {python}\nbuild_dependencies:\n- pip")
    env = yaml.safe_load(text)
    assert [dep.split("==")[0] for dep in env["build_dependencies"]] == [
        "pip",
        "setuptools",
        "wheel",
    ]
    assert env["dependencies"] == ["-r requirements.txt"]
