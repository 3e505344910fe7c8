"""Custom PythonModel save/load and the generic pyfunc loader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import modelreg.pyfunc
from modelreg.errors import InvalidArgument, NotFound
from modelreg.models.mlmodel import Model
from modelreg.pyfunc import PythonModel, PythonModelContext


class Scaler(PythonModel):
    """Reads a factor from one artifact and a vocabulary from a directory artifact."""

    def load_context(self, context: PythonModelContext) -> None:
        self.paths = dict(context.artifacts)
        self.factor = float(Path(context.artifacts["factor"]).read_text())
        self.vocab = (Path(context.artifacts["vocab"]) / "words.txt").read_text().split()

    def predict(
        self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None
    ) -> Any:
        scale = (params or {}).get("scale", 1.0)
        return model_input * self.factor * scale


class NoContext(PythonModel):
    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> Any:  # type: ignore[override]
        return [len(model_input)]


class Plain(PythonModel):
    def predict(self, context: PythonModelContext, model_input: Any) -> Any:  # type: ignore[override]
        return model_input


@pytest.fixture
def artifacts(tmp_path: Path) -> dict[str, str]:
    source = tmp_path / "sources"
    (source / "vocab").mkdir(parents=True)
    (source / "vocab" / "words.txt").write_text("alpha beta")
    (source / "factor.txt").write_text("3")
    return {"factor": str(source / "factor.txt"), "vocab": (source / "vocab").as_uri()}


def test_save_and_load_with_artifacts(tmp_path: Path, artifacts: dict[str, str]) -> None:
    path = tmp_path / "model"
    saved = modelreg.pyfunc.save_model(
        path, python_model=Scaler(), artifacts=artifacts, input_example=np.array([[1.0, 2.0]])
    )
    assert (path / "python_model.pkl").is_file()
    assert (path / "artifacts" / "factor.txt").read_text() == "3"
    assert (path / "artifacts" / "vocab" / "words.txt").is_file()

    conf = yaml.safe_load((path / "MLmodel").read_text())["flavors"]["python_function"]
    assert conf["loader_module"] == "mlflow.pyfunc.model"
    assert conf["python_model"] == "python_model.pkl"
    assert conf["code"] is None and conf["streamable"] is False
    assert conf["artifacts"] == {
        "factor": {"path": "artifacts/factor.txt", "uri": artifacts["factor"]},
        "vocab": {"path": "artifacts/vocab", "uri": artifacts["vocab"]},
    }
    # Signature inferred by load_context + predict on the example, as MLflow does.
    assert saved.signature is not None
    assert saved.signature.to_dict()["outputs"] == (
        '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}]'
    )
    requirements = (path / "requirements.txt").read_text().splitlines()
    assert [r.split("==")[0] for r in requirements] == ["cloudpickle", "modelreg", "numpy"]

    loaded = modelreg.pyfunc.load_model(path)
    np.testing.assert_array_equal(loaded.predict(np.array([[1.0, 2.0]])), [[3.0, 6.0]])
    inner = loaded.unwrap_python_model()
    assert isinstance(inner, Scaler)
    assert inner.vocab == ["alpha", "beta"]
    # Context paths point into the model directory, not at the sources.
    assert inner.paths["factor"] == str((path / "artifacts" / "factor.txt").resolve())


def test_params_reach_predict(tmp_path: Path, artifacts: dict[str, str]) -> None:
    modelreg.pyfunc.save_model(
        tmp_path / "m",
        python_model=Scaler(),
        artifacts=artifacts,
        input_example=(np.array([[1.0]]), {"scale": 1.0}),
    )
    loaded = modelreg.pyfunc.load_model(tmp_path / "m")
    assert loaded.metadata.signature is not None
    assert loaded.metadata.signature.params is not None
    np.testing.assert_array_equal(loaded.predict(np.array([[1.0]]), params={"scale": 2}), [[6.0]])
    np.testing.assert_array_equal(loaded.predict(np.array([[1.0]])), [[3.0]])


def test_predict_without_context_or_params(tmp_path: Path) -> None:
    modelreg.pyfunc.save_model(tmp_path / "a", python_model=NoContext())
    assert modelreg.pyfunc.load_model(tmp_path / "a").predict("abc") == [3]
    modelreg.pyfunc.save_model(tmp_path / "b", python_model=Plain())
    assert modelreg.pyfunc.load_model(tmp_path / "b").predict([1]) == [1]


def test_column_signature_enforced_for_custom_models(tmp_path: Path) -> None:
    modelreg.pyfunc.save_model(
        tmp_path / "m", python_model=Plain(), input_example=pd.DataFrame({"a": [1.0], "b": ["x"]})
    )
    loaded = modelreg.pyfunc.load_model(tmp_path / "m")
    out = loaded.predict(pd.DataFrame({"b": ["y"], "a": [2.0]}))
    assert list(out.columns) == ["a", "b"]
    assert json.loads((tmp_path / "m" / "input_example.json").read_text()) == {
        "columns": ["a", "b"],
        "data": [[1.0, "x"]],
    }


def test_colliding_artifact_names_follow_mlflow_layout(tmp_path: Path) -> None:
    for sub in ("one", "two"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "data.txt").write_text(sub)
    (tmp_path / "0").mkdir()
    (tmp_path / "0" / "x").write_text("ns")
    model = modelreg.pyfunc.save_model(
        tmp_path / "m",
        python_model=Plain(),
        artifacts={
            "a": str(tmp_path / "one" / "data.txt"),
            "b": str(tmp_path / "two" / "data.txt"),
            "c": str(tmp_path / "0"),
            "a_again": str(tmp_path / "one" / "data.txt"),
        },
    )
    paths = {k: v["path"] for k, v in model.flavor("python_function")["artifacts"].items()}
    # Both colliding copies move into numbered directories, skipping the taken "0".
    assert paths == {
        "a": "artifacts/1/data.txt",
        "b": "artifacts/2/data.txt",
        "c": "artifacts/0",
        "a_again": "artifacts/1/data.txt",
    }
    assert (tmp_path / "m" / "artifacts" / "2" / "data.txt").read_text() == "two"


def test_missing_artifact_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        modelreg.pyfunc.save_model(
            tmp_path / "m", python_model=Plain(), artifacts={"x": str(tmp_path / "nope")}
        )
    assert not (tmp_path / "m").exists()


def test_non_python_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="PythonModel"):
        modelreg.pyfunc.save_model(tmp_path / "m", python_model=object())  # type: ignore[arg-type]


def test_unwrap_on_a_flavor_model_is_refused(tmp_path: Path, fitted: Any) -> None:
    import modelreg.sklearn

    modelreg.sklearn.save_model(fitted, tmp_path / "m")
    with pytest.raises(InvalidArgument, match="not a custom python model"):
        modelreg.pyfunc.load_model(tmp_path / "m").unwrap_python_model()


def test_unknown_loader_module_is_not_imported(tmp_path: Path) -> None:
    model = Model().add_flavor("python_function", loader_module="os")
    model.save(tmp_path)
    with pytest.raises(InvalidArgument, match=r"loader_module is 'os'.*mlflow.sklearn"):
        modelreg.pyfunc.load_model(tmp_path)


def test_model_without_pyfunc_flavor(tmp_path: Path) -> None:
    Model().add_flavor("sklearn").save(tmp_path)
    with pytest.raises(NotFound, match='"python_function" flavor'):
        modelreg.pyfunc.load_model(tmp_path)


def test_load_from_file_uri_and_unknown_scheme(tmp_path: Path) -> None:
    modelreg.pyfunc.save_model(tmp_path / "m", python_model=Plain())
    assert modelreg.pyfunc.load_model((tmp_path / "m").as_uri()).predict(1) == 1
    with pytest.raises(InvalidArgument, match="unsupported URI scheme 'hdfs'"):
        modelreg.pyfunc.load_model("hdfs://namenode/models/m")


def test_python_version_mismatch_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    modelreg.pyfunc.save_model(tmp_path / "m", python_model=Plain())
    meta = Model.load(tmp_path / "m")
    meta.flavors["python_function"]["python_version"] = "2.7.18"
    meta.save(tmp_path / "m")
    modelreg.pyfunc.load_model(tmp_path / "m")
    assert "saved with Python 2.7.18" in caplog.text
