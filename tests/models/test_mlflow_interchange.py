"""Models move both ways between modelreg and the real MLflow (3.17.2, separate venv).

MLflow runs in its own virtualenv (tests/mlflow_env.py); data and results cross
the process boundary as JSON files. Each direction is one MLflow process that
handles every variant, because importing mlflow takes seconds.

* MLflow -> modelreg: ``mlflow.sklearn.save_model`` (skops by default, and
  cloudpickle), on an array model and a DataFrame model; modelreg's
  ``pyfunc.load_model`` and ``sklearn.load_model`` predict what MLflow predicted.
* modelreg -> MLflow: ``modelreg.sklearn.save_model`` in all three formats;
  ``mlflow.pyfunc.load_model(path).predict`` and ``mlflow.sklearn.load_model``
  predict what modelreg predicts, MLflow reads the same signature and input
  example and accepts the serving example; and for the same estimator and
  example, MLflow's own ``save_model`` writes the same MLmodel (ids, times and
  ``modelreg_version`` aside), input examples and python_env.yaml.

skops and pickle files only load across environments with the same
scikit-learn (and skops) versions, which the first test checks.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sklearn
import yaml
from sklearn.linear_model import LogisticRegression

import modelreg.pyfunc
import modelreg.sklearn
from modelreg.models.environment import installed_version
from modelreg.models.mlmodel import Model

pytestmark = pytest.mark.mlflow

KINDS = ("ndarray", "dataframe")
COLUMNS = ["tenure", "plan", "spend"]


def _run_mlflow(python: Path, script: str, workdir: Path, *args: str) -> None:
    (workdir / "script.py").write_text(textwrap.dedent(script))
    env = {
        **os.environ,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        "MLFLOW_TRACKING_URI": (workdir / "mlruns").as_uri(),
        "PYTHONWARNINGS": "ignore",
    }
    env.pop("PYTHONPATH", None)  # modelreg must not be importable over there
    result = subprocess.run(
        [str(python), str(workdir / "script.py"), *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"mlflow script failed:\n{result.stdout}\n{result.stderr}")


def _training_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    x = rng.normal(size=(50, 3))
    y = (x[:, 0] - x[:, 2] > 0).astype(np.int64)
    return x, y


def _as_input(kind: str, x: Any) -> Any:
    return pd.DataFrame(np.asarray(x), columns=COLUMNS) if kind == "dataframe" else np.asarray(x)


# --- environment ------------------------------------------------------------------


VERSIONS_SCRIPT = """
import json, importlib.metadata as md, mlflow
names = ["scikit-learn", "skops", "cloudpickle", "numpy", "pandas", "scipy"]
json.dump({n: md.version(n) for n in names} | {"mlflow": mlflow.__version__},
          open("versions.json", "w"))
"""


@pytest.fixture(scope="session")
def mlflow_versions(
    mlflow_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    workdir = tmp_path_factory.mktemp("mlflow-versions")
    _run_mlflow(mlflow_python, VERSIONS_SCRIPT, workdir)
    versions: dict[str, str] = json.loads((workdir / "versions.json").read_text())
    return versions


def test_both_environments_can_read_each_others_files(mlflow_versions: dict[str, str]) -> None:
    assert mlflow_versions["mlflow"] == "3.17.2"
    # skops and pickle files are tied to the scikit-learn (and skops/cloudpickle)
    # release that wrote them; a mismatch makes the tests below meaningless.
    for package in ("scikit-learn", "skops", "cloudpickle"):
        assert mlflow_versions[package] == installed_version(package), package
    for package in ("numpy", "pandas"):
        ours = installed_version(package)
        assert ours is not None
        assert mlflow_versions[package].split(".")[0] == ours.split(".")[0], package


# --- MLflow writes, modelreg reads -------------------------------------------------


MLFLOW_SAVES = """
import json, sys
import numpy as np, pandas as pd
import mlflow.sklearn
from sklearn.linear_model import LogisticRegression

x = np.array(json.load(open("train.json"))["x"])
y = np.array(json.load(open("train.json"))["y"])
results = {}
for kind in ("ndarray", "dataframe"):
    data = pd.DataFrame(x, columns=%(columns)r) if kind == "dataframe" else x
    model = LogisticRegression().fit(data, y)
    for fmt in ("skops", "cloudpickle"):
        key = f"{kind}-{fmt}"
        kwargs = {} if fmt == "skops" else {"serialization_format": fmt}  # skops: the default
        mlflow.sklearn.save_model(model, key, input_example=data[:3], **kwargs)
        results[key] = {
            "predictions": model.predict(data).tolist(),
            "proba": model.predict_proba(data).tolist(),
        }
json.dump(results, open("results.json", "w"))
"""


@pytest.fixture(scope="session")
def mlflow_saved(
    mlflow_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("mlflow-saved")
    x, y = _training_data()
    (workdir / "train.json").write_text(json.dumps({"x": x.tolist(), "y": y.tolist()}))
    _run_mlflow(mlflow_python, MLFLOW_SAVES % {"columns": COLUMNS}, workdir)
    return workdir, json.loads((workdir / "results.json").read_text())


@pytest.mark.parametrize("fmt", ["skops", "cloudpickle"])
@pytest.mark.parametrize("kind", KINDS)
def test_modelreg_loads_mlflow_models(
    mlflow_saved: tuple[Path, dict[str, Any]], kind: str, fmt: str
) -> None:
    workdir, results = mlflow_saved
    key = f"{kind}-{fmt}"
    path = workdir / key
    expected = results[key]["predictions"]
    data = _as_input(kind, _training_data()[0])

    pyfunc = modelreg.pyfunc.load_model(path)
    assert pyfunc.predict(data).tolist() == expected
    estimator = modelreg.sklearn.load_model(path)
    assert isinstance(estimator, LogisticRegression)
    assert estimator.predict(data).tolist() == expected
    np.testing.assert_allclose(estimator.predict_proba(data), results[key]["proba"])

    meta = pyfunc.metadata
    assert meta.mlflow_version == "3.17.2"
    assert meta.modelreg_version is None
    assert meta.flavor("sklearn")["serialization_format"] == fmt
    assert meta.signature is not None
    # Re-serializing MLflow's MLmodel changes nothing.
    assert yaml.safe_load(meta.to_yaml()) == yaml.safe_load((path / "MLmodel").read_text())


def test_modelreg_enforces_mlflow_column_signature(
    mlflow_saved: tuple[Path, dict[str, Any]],
) -> None:
    workdir, results = mlflow_saved
    pyfunc = modelreg.pyfunc.load_model(workdir / "dataframe-skops")
    data = _as_input("dataframe", _training_data()[0])
    shuffled = data[["spend", "tenure", "plan"]].assign(unused=1)
    assert pyfunc.predict(shuffled).tolist() == results["dataframe-skops"]["predictions"]


# --- modelreg writes, MLflow reads -------------------------------------------------


MLFLOW_LOADS = """
import json, warnings
import numpy as np, pandas as pd
import mlflow.pyfunc, mlflow.sklearn
from mlflow.models import Model
from mlflow.models.utils import load_serving_example, validate_serving_input

warnings.simplefilter("ignore")
x = np.array(json.load(open("data.json"))["x"])
out = {}
for key in json.load(open("data.json"))["keys"]:
    kind = key.split("-")[0]
    data = pd.DataFrame(x, columns=%(columns)r) if kind == "dataframe" else x
    pyfunc = mlflow.pyfunc.load_model(key)
    estimator = mlflow.sklearn.load_model(key)
    meta = Model.load(key)
    example = meta.load_input_example(key)
    # What MLflow itself writes for the same estimator and example.
    twin = key + "-by-mlflow"
    mlflow.sklearn.save_model(
        estimator,
        twin,
        serialization_format=key.split("-")[1],
        input_example=data[:3],
        pip_requirements=["scikit-learn"],  # skips requirement inference (a subprocess)
    )
    files = ("MLmodel", "input_example.json", "serving_input_example.json", "python_env.yaml")
    out[key] = {
        "pyfunc": np.asarray(pyfunc.predict(data)).tolist(),
        "sklearn": estimator.predict(data).tolist(),
        "signature": meta.signature.to_dict(),
        "example": np.asarray(example).tolist(),
        "serving": np.asarray(validate_serving_input(key, load_serving_example(key))).tolist(),
        "modelreg_version": getattr(meta, "modelreg_version", None),
        "twin": {name: open(f"{twin}/{name}").read() for name in files},
    }
json.dump(out, open("results.json", "w"))
"""

MODELREG_FORMATS = ("skops", "cloudpickle", "pickle")


@pytest.fixture(scope="session")
def modelreg_saved(
    mlflow_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any], dict[str, list[int]]]:
    workdir = tmp_path_factory.mktemp("modelreg-saved")
    x, y = _training_data()
    keys, ours = [], {}
    for kind in KINDS:
        data = _as_input(kind, x)
        model = LogisticRegression().fit(data, y)
        for fmt in MODELREG_FORMATS:
            key = f"{kind}-{fmt}"
            modelreg.sklearn.save_model(
                model, workdir / key, serialization_format=fmt, input_example=data[:3]
            )
            ours[key] = modelreg.pyfunc.load_model(workdir / key).predict(data).tolist()
            keys.append(key)
    (workdir / "data.json").write_text(json.dumps({"x": x.tolist(), "keys": keys}))
    _run_mlflow(mlflow_python, MLFLOW_LOADS % {"columns": COLUMNS}, workdir)
    return workdir, json.loads((workdir / "results.json").read_text()), ours


@pytest.mark.parametrize("fmt", MODELREG_FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_mlflow_loads_modelreg_models(
    modelreg_saved: tuple[Path, dict[str, Any], dict[str, list[int]]], kind: str, fmt: str
) -> None:
    workdir, results, ours = modelreg_saved
    key = f"{kind}-{fmt}"
    seen = results[key]
    assert seen["pyfunc"] == ours[key]
    assert seen["sklearn"] == ours[key]
    assert seen["modelreg_version"] is not None  # MLflow keeps our extra key

    meta = Model.load(workdir / key)
    assert meta.signature is not None
    assert seen["signature"] == meta.signature.to_dict()
    x = _training_data()[0]
    np.testing.assert_allclose(seen["example"], x[:3])
    assert seen["serving"] == ours[key][:3]


@pytest.mark.parametrize("fmt", MODELREG_FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_modelreg_writes_what_mlflow_writes(
    modelreg_saved: tuple[Path, dict[str, Any], dict[str, list[int]]], kind: str, fmt: str
) -> None:
    workdir, results, _ = modelreg_saved
    key = f"{kind}-{fmt}"
    twin = results[key]["twin"]
    for name in ("input_example.json", "serving_input_example.json"):
        assert (workdir / key / name).read_text() == twin[name], name
    # python_env.yaml pins the pip of the environment that wrote it, and the two
    # virtualenvs may carry different pips: compare everything else byte for byte.
    assert _without_pip_pin((workdir / key / "python_env.yaml").read_text()) == _without_pip_pin(
        twin["python_env.yaml"]
    )
    ours = yaml.safe_load((workdir / key / "MLmodel").read_text())
    theirs = yaml.safe_load(twin["MLmodel"])
    # Per-save values, and the one key only modelreg writes.
    for body in (ours, theirs):
        del body["model_uuid"], body["utc_time_created"]
    assert ours.pop("modelreg_version") is not None
    if fmt == "skops":
        # skops archives embed their own timestamps; sizes may differ by a few bytes.
        del ours["model_size_bytes"], theirs["model_size_bytes"]
    assert ours == theirs
    assert sklearn.__version__ == ours["flavors"]["sklearn"]["sklearn_version"]


def _without_pip_pin(text: str) -> str:
    return re.sub(r"^- pip==\S+$", "- pip==<any>", text, flags=re.MULTILINE)
