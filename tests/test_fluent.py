"""The module-level API: runs as context managers, logging, experiments, registration."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import modelreg
from modelreg import MlflowClient
from modelreg.errors import InvalidArgument, NotFound


def test_run_context_manager_finishes_or_fails(tracking_uri: str) -> None:
    with modelreg.start_run(run_name="ok") as run:
        modelreg.log_param("C", 1.0)
        modelreg.log_params({"penalty": "l2", "max_iter": 100})
        modelreg.log_metric("f1", 0.5, step=1)
        modelreg.log_metrics({"f1": 0.75, "auc": 0.9}, step=2)
        modelreg.set_tag("team", "growth")
        modelreg.set_tags({"a": 1})
    finished = modelreg.get_run(run.info.run_id)
    assert finished.info.status == "FINISHED"
    assert finished.info.run_name == "ok"
    assert finished.data.params == {"C": "1.0", "penalty": "l2", "max_iter": "100"}
    assert finished.data.metrics == {"f1": 0.75, "auc": 0.9}
    tags = finished.data.tags
    assert (tags["team"], tags["a"], tags["mlflow.user"], tags["mlflow.source.type"]) == (
        "growth",
        "1",
        "alice",
        "LOCAL",
    )
    assert "mlflow.source.name" in tags
    with pytest.raises(RuntimeError), modelreg.start_run() as failing:
        raise RuntimeError("boom")
    assert modelreg.get_run(failing.info.run_id).info.status == "FAILED"
    assert modelreg.active_run() is None


def test_metric_history_is_kept(tracking_uri: str) -> None:
    with modelreg.start_run() as run:
        for step in range(5):
            modelreg.log_metric("loss", 1.0 / (step + 1), step=step)
    history = MlflowClient().get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == [0, 1, 2, 3, 4]


def test_nested_runs(tracking_uri: str) -> None:
    with modelreg.start_run() as parent:
        with pytest.raises(InvalidArgument, match="already active"):
            modelreg.start_run()
        with modelreg.start_run(nested=True) as child:
            assert modelreg.active_run() is child
        assert modelreg.active_run() is parent
    tags = modelreg.get_run(child.info.run_id).data.tags
    assert tags["mlflow.parentRunId"] == parent.info.run_id
    assert MlflowClient().get_parent_run(child.info.run_id) is not None


def test_logging_without_a_run_starts_one(tracking_uri: str) -> None:
    modelreg.log_param("x", 1)
    current = modelreg.active_run()
    assert current is not None
    modelreg.end_run()
    assert modelreg.get_run(current.info.run_id).info.status == "FINISHED"


def test_set_experiment_creates_and_selects(tracking_uri: str) -> None:
    experiment = modelreg.set_experiment("churn")
    assert experiment.experiment_id == "1"
    assert modelreg.set_experiment("churn").experiment_id == "1"
    with modelreg.start_run() as run:
        pass
    assert run.info.experiment_id == "1"
    assert modelreg.get_experiment_by_name("churn") == experiment
    with pytest.raises(NotFound):
        modelreg.set_experiment(experiment_id="42")


def test_log_input_records_the_dataset(tracking_uri: str) -> None:
    numpy = pytest.importorskip("numpy")
    features = numpy.arange(12.0).reshape(4, 3)
    dataset = modelreg.data.from_numpy(features, source="s3://bucket/train.npy", name="train")
    with modelreg.start_run() as run:
        modelreg.log_input(dataset, context="training")
    (item,) = modelreg.get_run(run.info.run_id).inputs.dataset_inputs
    assert item.dataset.name == "train"
    assert item.dataset.digest == dataset.digest and len(dataset.digest) == 8
    assert item.tags == {"mlflow.data.context": "training"}
    features_spec = json.loads(
        json.loads(item.dataset.schema or "{}")["mlflow_tensorspec"]["features"]
    )
    assert features_spec[0]["tensor-spec"] == {"dtype": "float64", "shape": [-1, 3]}


def test_run_artifacts(tracking_uri: str, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    folder = tmp_path / "plots"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.png").write_bytes(b"png")
    with modelreg.start_run() as run:
        modelreg.log_artifact(tmp_path / "notes.txt")
        modelreg.log_artifact(tmp_path / "notes.txt", artifact_path="docs")
        modelreg.log_artifacts(folder, artifact_path="plots")
        assert modelreg.get_artifact_uri("docs").endswith("/artifacts/docs")
    client = MlflowClient()
    listing = client.list_artifacts(run.info.run_id)
    assert [(f.path, f.is_dir) for f in listing] == [
        ("docs", True),
        ("notes.txt", False),
        ("plots", True),
    ]
    assert [f.path for f in client.list_artifacts(run.info.run_id, "plots/sub")] == [
        "plots/sub/a.png"
    ]
    local = client.download_artifacts(run.info.run_id, "plots", tmp_path / "out")
    assert (Path(local) / "sub" / "a.png").read_bytes() == b"png"
    single = client.download_artifacts(run.info.run_id, "docs/notes.txt", tmp_path / "one")
    assert Path(single).read_text() == "hello"
    with pytest.raises(InvalidArgument, match="Invalid path"):
        client.list_artifacts(run.info.run_id, "../../etc")


def test_git_commit_is_captured(tracking_uri: str, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    (repo / "train.py").write_text("print('hi')\n")
    subprocess.run([*git, "add", "train.py"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    script = repo / "train.py"
    code = (
        "import sys, modelreg\n"
        f"sys.argv = [{str(script)!r}]\n"
        f"modelreg.set_tracking_uri({tracking_uri!r})\n"
        "with modelreg.start_run() as run:\n"
        "    pass\n"
        "print(modelreg.get_run(run.info.run_id).data.tags['mlflow.source.git.commit'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    )
    assert result.stdout.strip() == head
