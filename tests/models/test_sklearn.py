"""scikit-learn flavor: save in each format, load back, same predictions."""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sklearn
import yaml
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer

import modelreg.pyfunc
import modelreg.sklearn
from modelreg.errors import AlreadyExists, InvalidArgument, NotFound
from modelreg.models.environment import installed_version
from modelreg.models.mlmodel import Model
from modelreg.models.schema import ColSpec, DataType, Schema
from modelreg.models.signature import ModelSignature

FORMATS = ["skops", "cloudpickle", "pickle"]
FILE_FOR = {"skops": "model.skops", "cloudpickle": "model.pkl", "pickle": "model.pkl"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_save_and_load_in_each_format(
    tmp_path: Path, fitted: LogisticRegression, xy: tuple[np.ndarray, np.ndarray], fmt: Any
) -> None:
    x, _ = xy
    path = tmp_path / "model"
    returned = modelreg.sklearn.save_model(
        fitted, path, serialization_format=fmt, input_example=x[:3]
    )
    files = sorted(p.name for p in path.iterdir())
    assert files == sorted(
        [
            "MLmodel",
            FILE_FOR[fmt],
            "conda.yaml",
            "python_env.yaml",
            "requirements.txt",
            "input_example.json",
            "serving_input_example.json",
        ]
    )
    assert Model.load(path) == returned

    expected = fitted.predict(x)
    np.testing.assert_array_equal(modelreg.sklearn.load_model(path).predict(x), expected)
    pyfunc = modelreg.pyfunc.load_model(path)
    np.testing.assert_array_equal(pyfunc.predict(x), expected)
    assert isinstance(pyfunc.get_raw_model(), LogisticRegression)
    assert pyfunc.loader_module == "mlflow.sklearn"


@pytest.mark.parametrize("fmt", FORMATS)
def test_mlmodel_flavors_match_mlflow(tmp_path: Path, fitted: LogisticRegression, fmt: Any) -> None:
    modelreg.sklearn.save_model(fitted, tmp_path / "m", serialization_format=fmt)
    body = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    python_version = body["flavors"]["python_function"]["python_version"]
    assert body["flavors"] == {
        "python_function": {
            "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
            "loader_module": "mlflow.sklearn",
            "model_path": FILE_FOR[fmt],
            "predict_fn": "predict",
            "python_version": python_version,
        },
        "sklearn": {
            "code": None,
            "pickled_model": FILE_FOR[fmt],
            "serialization_format": fmt,
            "sklearn_version": sklearn.__version__,
            "skops_trusted_types": None,
        },
    }
    assert "signature" not in body  # no example, no signature given
    assert body["model_size_bytes"] == (tmp_path / "m" / FILE_FOR[fmt]).stat().st_size


def test_requirements(tmp_path: Path, fitted: LogisticRegression) -> None:
    modelreg.sklearn.save_model(fitted, tmp_path / "skops")
    lines = (tmp_path / "skops" / "requirements.txt").read_text().splitlines()
    names = [line.split("==")[0] for line in lines]
    assert names == ["numpy", "scikit-learn", "scipy", "skops"]
    assert f"scikit-learn=={sklearn.__version__}" in lines
    assert "mlflow" not in " ".join(lines)

    modelreg.sklearn.save_model(
        fitted, tmp_path / "cp", serialization_format="cloudpickle", extra_pip_requirements=["x"]
    )
    lines = (tmp_path / "cp" / "requirements.txt").read_text().splitlines()
    assert lines[-1] == "x"
    assert f"cloudpickle=={installed_version('cloudpickle')}" in lines

    modelreg.sklearn.save_model(fitted, tmp_path / "own", pip_requirements=["only==1"])
    assert (tmp_path / "own" / "requirements.txt").read_text() == "only==1"


def test_dataframe_model_gets_column_signature_and_pandas(tmp_path: Path) -> None:
    df = pd.DataFrame({"tenure": [1.0, 5.0, 2.0, 8.0], "plan": [1, 2, 1, 3]})
    model = LogisticRegression().fit(df, [0, 1, 0, 1])
    saved = modelreg.sklearn.save_model(model, tmp_path / "m", input_example=df.head(2))
    assert saved.signature is not None
    assert saved.signature.to_dict() == {
        "inputs": '[{"type": "double", "name": "tenure", "required": true}, '
        '{"type": "long", "name": "plan", "required": true}]',
        "outputs": '[{"type": "long", "required": true}]',
        "params": None,
    }
    assert "pandas==" in (tmp_path / "m" / "requirements.txt").read_text()
    example = json.loads((tmp_path / "m" / "input_example.json").read_text())
    assert example == {"columns": ["tenure", "plan"], "data": [[1.0, 1], [5.0, 2]]}

    loaded = modelreg.pyfunc.load_model(tmp_path / "m")
    shuffled = df[["plan", "tenure"]].assign(extra="ignored")
    np.testing.assert_array_equal(loaded.predict(shuffled), model.predict(df))
    with pytest.raises(InvalidArgument, match=r"missing inputs \['plan'\]"):
        loaded.predict(df[["tenure"]])


def test_explicit_or_no_signature(tmp_path: Path, fitted: LogisticRegression) -> None:
    x = np.zeros((2, 3))
    signature = ModelSignature(Schema([ColSpec(DataType.double, "a")]))
    saved = modelreg.sklearn.save_model(fitted, tmp_path / "a", signature=signature)
    assert saved.signature == signature
    saved = modelreg.sklearn.save_model(fitted, tmp_path / "b", input_example=x, signature=False)
    assert saved.signature is None
    assert saved.saved_input_example_info is not None


def test_failed_signature_inference_still_saves(
    tmp_path: Path, fitted: LogisticRegression, caplog: pytest.LogCaptureFixture
) -> None:
    saved = modelreg.sklearn.save_model(fitted, tmp_path / "m", input_example=np.zeros((2, 5)))
    assert saved.signature is None
    assert "Failed to infer the model signature" in caplog.text
    assert (tmp_path / "m" / "MLmodel").exists()


def test_predict_fn_and_metadata(
    tmp_path: Path, fitted: LogisticRegression, xy: tuple[np.ndarray, np.ndarray]
) -> None:
    x, _ = xy
    modelreg.sklearn.save_model(
        fitted, tmp_path / "m", pyfunc_predict_fn="predict_proba", metadata={"team": "churn"}
    )
    loaded = modelreg.pyfunc.load_model(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict(x), fitted.predict_proba(x))
    assert loaded.metadata.metadata == {"team": "churn"}


def test_prefilled_model_metadata_is_completed(tmp_path: Path, fitted: LogisticRegression) -> None:
    # What log_model does: run and model ids first, then save.
    meta = Model(run_id="r1", model_id="m-1", artifact_path="mlflow-artifacts:/0/models/m-1")
    returned = modelreg.sklearn.save_model(fitted, tmp_path / "m", mlflow_model=meta)
    assert returned is meta
    loaded = Model.load(tmp_path / "m")
    assert (loaded.run_id, loaded.model_id) == ("r1", "m-1")
    assert set(loaded.flavors) == {"python_function", "sklearn"}


def test_target_must_be_new_or_empty(tmp_path: Path, fitted: LogisticRegression) -> None:
    modelreg.sklearn.save_model(fitted, tmp_path / "m")
    with pytest.raises(AlreadyExists):
        modelreg.sklearn.save_model(fitted, tmp_path / "m")
    (tmp_path / "empty").mkdir()
    modelreg.sklearn.save_model(fitted, tmp_path / "empty")


def test_bad_format_is_refused(tmp_path: Path, fitted: LogisticRegression) -> None:
    with pytest.raises(InvalidArgument, match="serialization format"):
        modelreg.sklearn.save_model(fitted, tmp_path / "m", serialization_format="joblib")  # type: ignore[arg-type]
    assert not (tmp_path / "m").exists()


def _double(x: Any) -> Any:
    return x * 2


class Threshold(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """An estimator class skops does not trust by default."""

    def fit(self, x: Any, y: Any) -> Threshold:
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, x: Any) -> Any:
        return (np.asarray(x)[:, 0] > 0).astype(np.int64)


def test_skops_untrusted_types(tmp_path: Path) -> None:
    model = Threshold().fit(None, None)
    with pytest.raises(InvalidArgument, match="skops_trusted_types"):
        modelreg.sklearn.save_model(model, tmp_path / "refused")
    assert not (tmp_path / "refused").exists()  # nothing half-written stays

    trusted = [f"{Threshold.__module__}.Threshold"]
    modelreg.sklearn.save_model(model, tmp_path / "ok", skops_trusted_types=trusted)
    conf = Model.load(tmp_path / "ok").flavor("sklearn")
    assert conf["skops_trusted_types"] == trusted
    x = np.array([[1.0], [-1.0]])
    np.testing.assert_array_equal(modelreg.pyfunc.load_model(tmp_path / "ok").predict(x), [1, 0])


def test_cloudpickle_handles_what_skops_cannot(tmp_path: Path) -> None:
    model = FunctionTransformer(lambda x: x * 2)
    model.fit(np.zeros((1, 1)))
    with pytest.raises(InvalidArgument):
        modelreg.sklearn.save_model(model, tmp_path / "skops")
    modelreg.sklearn.save_model(model, tmp_path / "cp", serialization_format="cloudpickle")
    loaded = modelreg.sklearn.load_model(tmp_path / "cp")
    np.testing.assert_array_equal(loaded.transform(np.ones((1, 1))), [[2.0]])


def test_model_without_predict_has_no_pyfunc_flavor(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = FunctionTransformer(_double).fit(np.zeros((1, 1)))
    saved = modelreg.sklearn.save_model(model, tmp_path / "m", serialization_format="cloudpickle")
    assert set(saved.flavors) == {"sklearn"}
    assert "python_function flavor" in caplog.text
    with pytest.raises(NotFound, match="python_function"):
        modelreg.pyfunc.load_model(tmp_path / "m")


def test_code_paths_are_importable_at_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Loading puts code/ on sys.path; give it a copy to change.
    monkeypatch.setattr(sys, "path", list(sys.path))
    code = tmp_path / "src" / "mr_threshold_pkg"
    code.mkdir(parents=True)
    (code / "__init__.py").write_text(
        "import numpy as np\n"
        "class Above:\n"
        "    def predict(self, x):\n"
        "        return (np.asarray(x)[:, 0] > 0).astype(int)\n"
    )
    sys.path.insert(0, str(tmp_path / "src"))
    from mr_threshold_pkg import Above  # type: ignore[import-not-found]

    modelreg.sklearn.save_model(
        Above(), tmp_path / "m", serialization_format="pickle", code_paths=[code]
    )
    # Forget the original so loading must find the copy under code/.
    sys.path.remove(str(tmp_path / "src"))
    monkeypatch.delitem(sys.modules, "mr_threshold_pkg")
    assert (tmp_path / "m" / "code" / "mr_threshold_pkg" / "__init__.py").exists()
    loaded = modelreg.pyfunc.load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(np.array([[1.0], [-1.0]])), [1, 0])
    assert sys.path[0] == str(tmp_path / "m" / "code")
    monkeypatch.delitem(sys.modules, "mr_threshold_pkg")


def test_mlmodel_paths_cannot_escape(tmp_path: Path, fitted: LogisticRegression) -> None:
    modelreg.sklearn.save_model(fitted, tmp_path / "m", serialization_format="pickle")
    meta = Model.load(tmp_path / "m")
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(fitted))
    meta.flavors["sklearn"]["pickled_model"] = "../evil.pkl"
    meta.flavors["python_function"]["model_path"] = "../evil.pkl"
    meta.save(tmp_path / "m")
    with pytest.raises(InvalidArgument, match="inside the model directory"):
        modelreg.sklearn.load_model(tmp_path / "m")
    with pytest.raises(InvalidArgument, match="inside the model directory"):
        modelreg.pyfunc.load_model(tmp_path / "m")


def test_legacy_mlflow_layout_with_data_key(
    tmp_path: Path, fitted: LogisticRegression, xy: tuple[np.ndarray, np.ndarray]
) -> None:
    # MLflow 1.x: python_function points at the file through "data", and the
    # sklearn flavor predates serialization_format (meaning pickle).
    x, _ = xy
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(fitted))
    (tmp_path / "MLmodel").write_text(
        "flavors:\n"
        "  python_function:\n"
        "    data: model.pkl\n"
        "    env: conda.yaml\n"
        "    loader_module: mlflow.sklearn\n"
        "    python_version: 3.11.7\n"
        "  sklearn:\n"
        "    pickled_model: model.pkl\n"
        "    sklearn_version: 1.9.1\n"
        "utc_time_created: '2021-01-01 00:00:00'\n"
    )
    np.testing.assert_array_equal(
        modelreg.pyfunc.load_model(tmp_path).predict(x), fitted.predict(x)
    )
    np.testing.assert_array_equal(
        modelreg.sklearn.load_model(tmp_path).predict(x), fitted.predict(x)
    )
