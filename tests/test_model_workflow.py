"""Issue 3's workflow end to end on the embedded default: log, register, load, verify."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import modelreg
from modelreg import MlflowClient
from modelreg.errors import IntegrityFailure, InvalidArgument, NotFound

np = pytest.importorskip("numpy")
sklearn_linear = pytest.importorskip("sklearn.linear_model")
sklearn_metrics = pytest.importorskip("sklearn.metrics")


@pytest.fixture
def data() -> tuple[Any, Any, Any, Any]:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(120, 4))
    labels = (features[:, 0] + features[:, 1] > 0).astype(int)
    return features[:90], features[90:], labels[:90], labels[90:]


def _train_and_log(data: tuple[Any, Any, Any, Any], **log_kwargs: Any) -> tuple[Any, Any, Any]:
    x_train, x_test, y_train, y_test = data
    with modelreg.start_run() as run:
        modelreg.log_param("C", 1.0)
        model = sklearn_linear.LogisticRegression(C=1.0).fit(x_train, y_train)
        modelreg.log_metric("f1", sklearn_metrics.f1_score(y_test, model.predict(x_test)))
        info = modelreg.sklearn.log_model(model, input_example=x_train[:5], **log_kwargs)
    return run, model, info


def test_seed_workflow(tracking_uri: str, data: tuple[Any, Any, Any, Any]) -> None:
    x_test = data[1]
    run, model, info = _train_and_log(data, name="model", registered_model_name="churn-predictor")
    assert info.registered_model_version == "1"
    assert info.model_id.startswith("m-")
    result = modelreg.register_model(
        model_uri=f"runs:/{run.info.run_id}/model", name="churn-predictor"
    )
    assert result.version == "2"
    assert (result.run_id, result.model_id) == (run.info.run_id, info.model_id)
    client = MlflowClient()
    files = client.list_logged_model_artifacts(info.model_id)
    assert {"MLmodel", "model.skops"} <= {f.path for f in files}
    assert client.get_logged_model(info.model_id).tags["mlflow.modelVersions"] == (
        '[{"name": "churn-predictor", "version": 1}, {"name": "churn-predictor", "version": 2}]'
    )
    client.transition_model_version_stage("churn-predictor", 2, "Production")
    client.set_registered_model_alias("churn-predictor", "champion", 1)
    expected = model.predict(x_test)
    for uri in (
        "models:/churn-predictor/1",
        "models:/churn-predictor/Production",
        "models:/churn-predictor/production",
        "models:/churn-predictor/latest",
        "models:/churn-predictor@champion",
        f"models:/{info.model_id}",
        f"runs:/{run.info.run_id}/model",
    ):
        assert (modelreg.pyfunc.load_model(uri).predict(x_test) == expected).all(), uri
    assert (
        modelreg.sklearn.load_model("models:/churn-predictor/2").predict(x_test) == expected
    ).all()


def test_logged_model_carries_lineage(tracking_uri: str, data: tuple[Any, Any, Any, Any]) -> None:
    run, _, info = _train_and_log(data, name="model", registered_model_name="m")
    logged = MlflowClient().get_logged_model(info.model_id)
    assert logged.status == "READY"
    assert logged.source_run_id == run.info.run_id
    assert logged.params == {"C": "1.0"}
    assert (
        MlflowClient().get_run(run.info.run_id).outputs.model_outputs[0].model_id == logged.model_id
    )
    lineage = MlflowClient().get_model_version_lineage("m", 1)
    assert lineage.run is not None and lineage.run.data.params == {"C": "1.0"}
    assert "f1" in lineage.run.data.metrics
    assert lineage.logged_model is not None and lineage.logged_model.model_id == info.model_id


def test_artifact_path_is_the_older_spelling(
    tracking_uri: str, data: tuple[Any, Any, Any, Any]
) -> None:
    _, _, info = _train_and_log(data, artifact_path="clf")
    assert info.artifact_path == "clf"
    assert MlflowClient().get_logged_model(info.model_id).name == "clf"
    with pytest.raises(InvalidArgument, match="either name or artifact_path"):
        _train_and_log(data, name="a", artifact_path="b")


def test_registered_version_cannot_change_under_its_users(
    tracking_uri: str, data: tuple[Any, Any, Any, Any]
) -> None:
    _, model, info = _train_and_log(data, name="model", registered_model_name="m")
    client = MlflowClient()
    # Deleting the logged model's own files does not affect the registered version.
    logged_dir = Path(client.get_logged_model(info.model_id).artifact_location)
    for path in logged_dir.rglob("*"):
        if path.is_file():
            path.unlink()
    assert (
        modelreg.pyfunc.load_model("models:/m/1").predict(data[1]) == model.predict(data[1])
    ).all()
    copy = Path(client.get_model_version_download_uri("m", 1))
    assert copy.parent.name == "_registry"
    (copy / "python_env.yaml").write_text("tampered\n")
    (copy / "requirements.txt").unlink()
    (copy / "extra.txt").write_text("new\n")
    with pytest.raises(IntegrityFailure) as failure:
        modelreg.pyfunc.load_model("models:/m/1")
    message = str(failure.value)
    assert "python_env.yaml" in message and "requirements.txt" in message and "extra.txt" in message


def test_mlflow2_style_files_under_the_run(
    tracking_uri: str, data: tuple[Any, Any, Any, Any], tmp_path: Path
) -> None:
    x_train, x_test, y_train, _ = data
    model = sklearn_linear.LogisticRegression().fit(x_train, y_train)
    modelreg.sklearn.save_model(model, tmp_path / "saved", serialization_format="cloudpickle")
    with modelreg.start_run() as run:
        modelreg.log_artifacts(tmp_path / "saved", artifact_path="model")
    version = modelreg.register_model(f"runs:/{run.info.run_id}/model", "classic")
    assert version.source == f"runs:/{run.info.run_id}/model"
    assert version.model_id is None
    loaded = modelreg.pyfunc.load_model("models:/classic/1")
    assert (loaded.predict(x_test) == model.predict(x_test)).all()
    assert MlflowClient().get_model_version_manifest("classic", 1) is not None


class AddN(modelreg.pyfunc.PythonModel):
    def load_context(self, context: Any) -> None:
        self.n = int(Path(context.artifacts["n"]).read_text())

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return [x + self.n for x in model_input]


def test_custom_python_model_with_artifacts(tracking_uri: str, tmp_path: Path) -> None:
    (tmp_path / "n.txt").write_text("5")
    with modelreg.start_run():
        info = modelreg.pyfunc.log_model(
            name="adder",
            python_model=AddN(),
            artifacts={"n": str(tmp_path / "n.txt")},
            registered_model_name="adder",
        )
    assert modelreg.pyfunc.load_model("models:/adder/1").predict([1, 2]) == [6, 7]
    assert modelreg.pyfunc.load_model(info.model_uri).predict([0]) == [5]


@pytest.mark.parametrize(
    ("uri", "error", "message"),
    [
        ("models:/missing/1", NotFound, "missing"),
        ("models:/m/9", NotFound, "version=9"),
        ("models:/m@nobody", InvalidArgument, "alias nobody not found"),
        ("models:/m/Staging", NotFound, "Staging"),
        ("models:/m/Prod", InvalidArgument, "Invalid Model Version stage"),
        ("models:/", InvalidArgument, "models:/<name>/<version>"),
        ("models:/m-0000", NotFound, "m-0000"),
        ("runs:/", InvalidArgument, "runs:/<run_id>"),
        ("runs:/" + "0" * 32 + "/model", NotFound, "Run with id"),
        ("gopher://x/y", InvalidArgument, "unsupported URI scheme"),
    ],
)
def test_each_way_a_model_uri_can_fail(
    tracking_uri: str,
    data: tuple[Any, Any, Any, Any],
    uri: str,
    error: type[Exception],
    message: str,
) -> None:
    _train_and_log(data, name="model", registered_model_name="m")
    with pytest.raises(error, match=message):
        modelreg.pyfunc.load_model(uri)


def test_run_without_that_model_is_explained(
    tracking_uri: str, data: tuple[Any, Any, Any, Any]
) -> None:
    run, _, _ = _train_and_log(data, name="model")
    with pytest.raises(NotFound, match="logged no model named 'other'"):
        modelreg.pyfunc.load_model(f"runs:/{run.info.run_id}/other")
    with pytest.raises(NotFound, match="logged no model named 'other'"):
        modelreg.register_model(f"runs:/{run.info.run_id}/other", "x")
