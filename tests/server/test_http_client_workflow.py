"""modelreg's own client against a server, in-process: ``MlflowClient("http://…")`` and the
fluent API work as they do embedded, artifacts travelling through the proxy.

The client's process-wide connection pool is swapped for a ``TestClient`` bound to the
app, so every request goes through the real ASGI stack without a socket.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import modelreg
from modelreg import fluent
from modelreg.client import MlflowClient, embedded, tracking_client
from modelreg.client import http as http_module
from modelreg.client.http_artifacts import HttpArtifactRepository
from modelreg.client.http_tracking import HttpTracking
from modelreg.config import Settings
from modelreg.errors import IntegrityFailure, InvalidArgument, NotFound
from tests.server.asgi import BASE_URL, TestClient


@pytest.fixture
def served(
    http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[MlflowClient, TestClient]]:
    """Every HTTP client of this process talks to the app; the fluent API points at it."""
    monkeypatch.setattr(http_module, "shared_client", lambda credentials: http)
    monkeypatch.setattr(fluent, "_experiment_id", None)
    modelreg.set_tracking_uri(BASE_URL)
    try:
        yield MlflowClient(), http
    finally:
        while fluent.active_run() is not None:
            fluent.end_run()
        modelreg.set_tracking_uri(None)
        embedded.reset()


def _model() -> tuple[LogisticRegression, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.random((40, 2))
    return LogisticRegression().fit(X, (X[:, 0] > 0.5).astype(int)), X


def test_http_client_uses_http_for_everything(served: tuple[MlflowClient, TestClient]) -> None:
    client, _ = served
    assert isinstance(client._tracking, HttpTracking)
    assert client._tracking.base_url == BASE_URL
    experiment = client.get_experiment("0")
    assert experiment.artifact_location == "mlflow-artifacts:/0"


def test_fluent_log_register_load(
    served: tuple[MlflowClient, TestClient], settings: Settings
) -> None:
    client, _ = served
    model, X = _model()
    modelreg.set_experiment("churn")
    with modelreg.start_run() as run:
        modelreg.log_param("C", 1.0)
        modelreg.log_metrics({"acc": 0.9, "loss": 0.1})
        modelreg.set_tag("team", "ds")
        info = modelreg.sklearn.log_model(
            model, name="model", registered_model_name="churn", input_example=X[:5]
        )
    assert info.registered_model_version == "1"
    finished = client.get_run(run.info.run_id)
    assert finished.info.status == "FINISHED"
    assert finished.outputs.model_outputs[0].model_id == info.model_id
    assert client.get_logged_model(info.model_id).status == "READY"
    listed = [f.path for f in client.list_logged_model_artifacts(info.model_id)]
    assert "MLmodel" in listed and "model.skops" in listed
    # Registering recorded the version on the logged model, on the server.
    versions = client.get_logged_model(info.model_id).tags["mlflow.modelVersions"]
    assert versions == '[{"name": "churn", "version": 1}]'

    # Registered files were copied into the registry's own storage on the server.
    # Clients reach the copy through its version, never at its id (issue 8).
    uri = client.get_model_version_download_uri("churn", 1)
    assert uri == "mlflow-artifacts:/_model-versions/churn/1"
    (copy,) = (Path(settings.artifact_root) / "_registry").iterdir()
    assert (copy / "MLmodel").is_file()

    expected = model.predict(X[:5]).tolist()
    for model_uri in (
        "models:/churn/1",
        "models:/churn/latest",
        f"models:/{info.model_id}",
        f"runs:/{run.info.run_id}/model",
    ):
        predicted = modelreg.pyfunc.load_model(model_uri).predict(X[:5])
        assert np.asarray(predicted).tolist() == expected, model_uri

    again = modelreg.register_model(f"runs:/{run.info.run_id}/model", "churn")
    assert (again.version, again.model_id) == ("2", info.model_id)
    lineage = client.get_model_version_lineage("churn", 2)
    assert lineage.run is not None and lineage.run.data.params == {"C": "1.0"}
    assert lineage.logged_model is not None and lineage.logged_model.model_id == info.model_id


def test_tampered_registry_copy_fails_to_load(
    served: tuple[MlflowClient, TestClient], settings: Settings
) -> None:
    client, _ = served
    model, X = _model()
    with modelreg.start_run():
        modelreg.sklearn.log_model(model, name="model", registered_model_name="m")
    (copy,) = (Path(settings.artifact_root) / "_registry").iterdir()
    (copy / "MLmodel").write_text((copy / "MLmodel").read_text() + "\n# changed\n")
    with pytest.raises(IntegrityFailure):
        modelreg.pyfunc.load_model("models:/m/1")


def test_run_artifacts_through_the_proxy(
    served: tuple[MlflowClient, TestClient], tmp_path: Path
) -> None:
    client, _ = served
    run_id = client.create_run("0").info.run_id
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("a")
    (source / "sub" / "b.bin").write_bytes(b"\x00" * 3000)
    client.log_artifacts(run_id, source, "data")
    client.log_artifact(run_id, source / "a.txt")
    assert [(f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run_id)] == [
        ("a.txt", False, 1),
        ("data", True, None),
    ]
    assert [f.path for f in client.list_artifacts(run_id, "data")] == ["data/a.txt", "data/sub"]
    folder = Path(client.download_artifacts(run_id, "data", tmp_path / "out"))
    assert (folder / "sub" / "b.bin").read_bytes() == b"\x00" * 3000
    one = Path(client.download_artifacts(run_id, "data/a.txt", tmp_path / "one"))
    assert one.read_text() == "a"
    with pytest.raises(NotFound):
        client.download_artifacts(run_id, "nope.txt", tmp_path / "none")
    with pytest.raises(InvalidArgument, match="Invalid path"):
        client.list_artifacts(run_id, "../..")


def test_repository_streams_and_checks_paths(served: tuple[MlflowClient, TestClient]) -> None:
    _, http = served
    repo = HttpArtifactRepository("mlflow-artifacts:/0/r/artifacts", BASE_URL, http=http)
    assert repo.root_uri == "mlflow-artifacts:/0/r/artifacts"
    size = repo.write_stream("big.bin", (b"x" * 65536 for _ in range(64)))
    assert size == 64 * 65536
    assert sum(len(c) for c in repo.iter_read("big.bin")) == size
    assert repo.exists("big.bin") and not repo.is_dir("big.bin")
    assert repo.is_dir("") and not repo.exists("missing")
    repo.write_stream("odd name 100%.txt", [b"1"])
    assert [f.path for f in repo.list_dir()] == ["big.bin", "odd name 100%.txt"]
    for bad in ("../x", "/abs", "a\\b", "%2e%2e/x"):
        with pytest.raises(InvalidArgument, match="Invalid path"):
            repo.write_stream(bad, [b"x"])
    with pytest.raises(NotFound):
        repo.iter_read("missing.bin")
    repo.delete("big.bin")
    assert not repo.exists("big.bin")
    with pytest.raises(InvalidArgument, match="Not an artifact proxy URI"):
        HttpArtifactRepository("s3://b/k", BASE_URL, http=http)
    remote = HttpArtifactRepository("mlflow-artifacts://other:1234/x", BASE_URL, http=http)
    assert remote._files == "http://other:1234/api/2.0/mlflow-artifacts/artifacts"


def test_metric_history_is_read_page_by_page(
    served: tuple[MlflowClient, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, http = served
    monkeypatch.setattr(tracking_client, "METRIC_HISTORY_PAGE", 2)
    run_id = client.create_run("0").info.run_id
    for step in range(5):
        client.log_metric(run_id, "loss", 1.0 / (step + 1), timestamp=10 + step, step=step)
    seen: list[str] = []
    http.event_hooks["request"].append(lambda request: seen.append(str(request.url)))
    history = client.get_metric_history(run_id, "loss")
    assert [m.step for m in history] == [0, 1, 2, 3, 4]
    pages = [url for url in seen if "metrics/get-history" in url]
    assert len(pages) == 3 and all("max_results=2" in url for url in pages)
