"""The environment files of a model: requirements.txt, python_env.yaml, conda.yaml.

Shapes are MLflow's (``mlflow/utils/environment.py``), so ``mlflow models serve``
and other tools that rebuild a model's environment can use modelreg's files:

* ``requirements.txt``: one pinned requirement per line, no trailing newline;
* ``python_env.yaml``: ``python``, ``build_dependencies`` (pip, setuptools, wheel
  as installed) and ``dependencies: [-r requirements.txt]``;
* ``conda.yaml``: conda-forge, ``python=X.Y.Z``, ``pip<=installed`` and the same
  pip requirements.

Unlike MLflow, modelreg does not add ``mlflow==...`` to the requirements: nothing
it saves needs mlflow, and an MLflow that loads the model is by definition there.
It also does not capture imports to guess requirements; each flavor states its
own (see ``pinned``).
"""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml

from modelreg.errors import InvalidArgument

REQUIREMENTS_FILE_NAME = "requirements.txt"
PYTHON_ENV_FILE_NAME = "python_env.yaml"
CONDA_ENV_FILE_NAME = "conda.yaml"

PipRequirements = Sequence[str] | str | os.PathLike[str]


def python_version() -> str:
    return platform.python_version()


def installed_version(package: str) -> str | None:
    # Imported here: importlib.metadata costs tens of ms, and only saving needs it.
    import importlib.metadata

    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def pinned(*packages: str) -> list[str]:
    """``package==installed`` for each installed package, in the order given.

    A local version label (``+cpu``) is dropped so the pin installs from an
    index, as MLflow does. Packages that are not installed are skipped: the
    flavor that asked did not need them to save the model either.
    """
    pins = []
    for package in packages:
        version = installed_version(package)
        if version is not None:
            pins.append(f"{package}=={version.split('+', 1)[0]}")
    return pins


def resolve_requirements(
    defaults: Iterable[str],
    pip_requirements: PipRequirements | None = None,
    extra_pip_requirements: PipRequirements | None = None,
) -> list[str]:
    """The final requirement lines: the caller's list replaces the defaults,
    extra requirements extend them. Duplicates are dropped, order is kept."""
    if pip_requirements is not None and extra_pip_requirements is not None:
        raise InvalidArgument("Give pip_requirements or extra_pip_requirements, not both")
    if pip_requirements is not None:
        lines = _read_requirements(pip_requirements)
    else:
        lines = list(defaults)
        if extra_pip_requirements is not None:
            lines += _read_requirements(extra_pip_requirements)
    return list(dict.fromkeys(lines))


def _read_requirements(requirements: PipRequirements) -> list[str]:
    if isinstance(requirements, str | os.PathLike):
        # A path to a requirements file, as MLflow accepts.
        text = Path(requirements).read_text(encoding="utf-8")
        raw: Iterable[str] = text.splitlines()
    else:
        raw = requirements
    lines = []
    for line in raw:
        if not isinstance(line, str):
            raise InvalidArgument(f"Requirements must be strings, got {type(line).__name__}")
        stripped = line.split(" #", 1)[0].strip()
        if stripped and not stripped.startswith("#"):
            lines.append(stripped)
    return lines


def conda_env(requirements: Sequence[str]) -> dict[str, object]:
    """MLflow's conda environment dict for these pip requirements."""
    dependencies: list[object] = [f"python={python_version()}"]
    pip = installed_version("pip")
    # conda-forge lags PyPI, so MLflow pins pip with <= rather than ==.
    dependencies.append(f"pip<={pip}" if pip else "pip")
    dependencies.append({"pip": list(requirements)})
    return {"channels": ["conda-forge"], "dependencies": dependencies, "name": "mlflow-env"}


def python_env() -> dict[str, object]:
    """MLflow's python_env.yaml content; dependencies come from requirements.txt."""
    build = []
    for package in ("pip", "setuptools", "wheel"):
        version = installed_version(package)
        build.append(f"{package}=={version}" if version else package)
    return {
        "python": python_version(),
        "build_dependencies": build,
        "dependencies": [f"-r {REQUIREMENTS_FILE_NAME}"],
    }


def write_environment(model_dir: Path, requirements: Sequence[str]) -> None:
    """Write requirements.txt, conda.yaml and python_env.yaml into ``model_dir``."""
    (model_dir / REQUIREMENTS_FILE_NAME).write_text("\n".join(requirements), encoding="utf-8")
    with open(model_dir / CONDA_ENV_FILE_NAME, "w", encoding="utf-8") as out:
        yaml.safe_dump(conda_env(requirements), out, default_flow_style=False)
    with open(model_dir / PYTHON_ENV_FILE_NAME, "w", encoding="utf-8") as out:
        # MLflow keeps this file in insertion order, unlike conda.yaml.
        yaml.safe_dump(python_env(), out, sort_keys=False, default_flow_style=False)


__all__ = [
    "CONDA_ENV_FILE_NAME",
    "PYTHON_ENV_FILE_NAME",
    "REQUIREMENTS_FILE_NAME",
    "conda_env",
    "installed_version",
    "pinned",
    "python_env",
    "python_version",
    "resolve_requirements",
    "write_environment",
]
