"""Fixtures for the models-on-disk tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

TESTS_DIR = Path(__file__).resolve().parent.parent


def load_mlflow_env() -> ModuleType:
    """tests/mlflow_env.py, loaded by path so it works whatever sys.path holds."""
    spec = importlib.util.spec_from_file_location("mlflow_env", TESTS_DIR / "mlflow_env.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def mlflow_python() -> Path:
    """Python of the separate mlflow virtualenv; created (or waited for) if needed."""
    # Blocks on the creation lock while another process is installing it; fails in CI
    # (skips locally) when it cannot be created.
    return Path(load_mlflow_env().require_mlflow_python())


@pytest.fixture
def xy() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(40, 3))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
    return x, y


@pytest.fixture
def fitted(xy: tuple[np.ndarray, np.ndarray]) -> LogisticRegression:
    x, y = xy
    return LogisticRegression().fit(x, y)
