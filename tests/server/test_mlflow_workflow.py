"""The real MLflow client's whole workflow against ``modelreg server``, and back again.

A ``modelreg server`` subprocess listens on 127.0.0.1 (a free port, its own SQLite
file and artifacts folder). Then, in order:

1. MLflow (its own virtualenv, ``tests/mlflow_env.py``) runs the seed workflow: a run
   with a param and a metric, ``mlflow.sklearn.log_model(..., registered_model_name=)``,
   ``register_model("runs:/…/model")`` MLflow-3 style (a logged model) and MLflow-2
   style (files under the run), stages, aliases, loading through every URI form with
   equal predictions, and every ``MlflowClient`` registry and tracking method it has,
   error codes included.
2. modelreg's own client, in this process, loads what MLflow registered (manifests
   checked) and predicts the same; then logs and registers a model of its own.
3. MLflow loads modelreg's model, predicts the same, and deletes what it registered.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.mlflow_env import require_mlflow_python
from tests.server.live import Server, running_server

pytestmark = pytest.mark.mlflow

PRELUDE = r"""
import json, os, sys, tempfile, warnings
warnings.simplefilter("ignore")
import numpy as np
import mlflow, mlflow.pyfunc, mlflow.sklearn
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

def error_code(call):
    try:
        call()
    except MlflowException as error:
        return error.error_code
    raise AssertionError("no error")

def same(uri, X, expected):
    predicted = mlflow.pyfunc.load_model(uri).predict(np.asarray(X)).tolist()
    assert predicted == expected, (uri, predicted, expected)
"""

MLFLOW_SIDE = (
    PRELUDE
    + r"""
from mlflow.entities import Metric, Param, RunTag
from sklearn.linear_model import LogisticRegression

out = sys.argv[1]
rng = np.random.default_rng(0)
X = rng.random((40, 2))
y = (X[:, 0] > 0.5).astype(int)
model = LogisticRegression().fit(X, y)
expected = model.predict(X[:5]).tolist()
NAME = "churn-predictor"

# ---- the seed workflow (mlflow-wire.md §2)
with mlflow.start_run() as run:
    mlflow.log_param("C", 1.0)
    mlflow.log_metric("acc", 0.9)
    info = mlflow.sklearn.log_model(
        model, name="model", registered_model_name=NAME, input_example=X[:5]
    )
assert str(info.registered_model_version) == "1"
c = MlflowClient()
v1 = c.get_model_version(NAME, "1")
assert (v1.source, v1.run_id, v1.status) == (f"models:/{info.model_id}", run.info.run_id, "READY")
logged = c.get_logged_model(info.model_id)
assert logged.status.to_proto() == 2  # LOGGED_MODEL_READY
assert logged.params == {"C": "1.0"}
assert json.loads(logged.tags["mlflow.modelVersions"])[0]["name"] == NAME

# MLflow 3: the run has no files at "model", so the logged model is registered.
v2 = mlflow.register_model(f"runs:/{run.info.run_id}/model", NAME)
assert (v2.version, v2.source) == ("2", f"models:/{info.model_id}")

# MLflow 2: model files saved under the run are registered from there.
with mlflow.start_run() as run2:
    folder = os.path.join(tempfile.mkdtemp(), "m")
    mlflow.sklearn.save_model(model, folder)
    mlflow.log_artifacts(folder, "model")
v3 = mlflow.register_model(f"runs:/{run2.info.run_id}/model", NAME)
assert v3.version == "3"
assert v3.source == f"mlflow-artifacts:/0/{run2.info.run_id}/artifacts/model"
assert v3.run_id == run2.info.run_id

# ---- search, stages, aliases
assert [m.name for m in c.search_registered_models(f"name = '{NAME}'")] == [NAME]
found = c.search_model_versions(f"name = '{NAME}'", order_by=["version_number DESC"])
assert [v.version for v in found] == ["3", "2", "1"]
moved = c.transition_model_version_stage(NAME, "1", "Production")
assert moved.current_stage == "Production"
c.transition_model_version_stage(NAME, "2", "Staging")
assert [v.version for v in c.get_latest_versions(NAME, ["Production"])] == ["1"]
c.set_registered_model_alias(NAME, "champion", "3")
assert c.get_model_version_by_alias(NAME, "champion").aliases == ["champion"]
c.delete_registered_model_alias(NAME, "champion")
assert error_code(lambda: c.get_model_version_by_alias(NAME, "champion")) == (
    "INVALID_PARAMETER_VALUE"
)
c.set_registered_model_alias(NAME, "champion", "3")
for version in ("1", "2", "3"):
    uri = c.get_model_version_download_uri(NAME, version)
    assert uri == f"mlflow-artifacts:/_model-versions/{NAME}/{version}", uri

# ---- loading through every URI form
for uri in (
    f"models:/{NAME}/1",
    f"models:/{NAME}/2",
    f"models:/{NAME}/3",
    f"models:/{NAME}/Production",
    f"models:/{NAME}/Staging",
    f"models:/{NAME}/latest",
    f"models:/{NAME}@champion",
    f"models:/{info.model_id}",
    f"runs:/{run.info.run_id}/model",
    f"runs:/{run2.info.run_id}/model",
):
    same(uri, X[:5], expected)

# ---- every registry method of MlflowClient, on a scratch model
S = "scratch"
rm = c.create_registered_model(S, tags={"team": "ds"}, description="first")
assert (rm.name, rm.tags, rm.description) == (S, {"team": "ds"}, "first")
assert error_code(lambda: c.create_registered_model(S)) == "RESOURCE_ALREADY_EXISTS"
assert c.get_registered_model(S).description == "first"
assert c.update_registered_model(S, "second").description == "second"
c.set_registered_model_tag(S, "k", "v")
assert c.get_registered_model(S).tags == {"team": "ds", "k": "v"}
c.delete_registered_model_tag(S, "k")
mv = c.create_model_version(S, f"models:/{info.model_id}", model_id=info.model_id)
assert (mv.version, mv.run_id, mv.status) == ("1", run.info.run_id, "READY")
artifacts = f"mlflow-artifacts:/0/{run2.info.run_id}/artifacts/model"
mv2 = c.create_model_version(S, artifacts, run_id=run2.info.run_id, tags={"b": "1"})
assert (mv2.version, mv2.tags) == ("2", {"b": "1"})
assert c.get_model_version(S, "2").source == artifacts
assert c.update_model_version(S, "2", "described").description == "described"
c.set_model_version_tag(S, "2", "k", "v")
assert c.get_model_version(S, "2").tags == {"b": "1", "k": "v"}
c.delete_model_version_tag(S, "2", "k")
c.transition_model_version_stage(S, "1", "Production")
moved = c.transition_model_version_stage(S, "2", "Production", archive_existing_versions=True)
assert moved.current_stage == "Production"
assert c.get_model_version(S, "1").current_stage == "Archived"
assert {v.version for v in c.get_latest_versions(S)} == {"1", "2"}
assert c.get_model_version_stages(S, "1") == ["None", "Staging", "Production", "Archived"]
c.set_registered_model_alias(S, "prod", "2")
assert c.get_registered_model(S).aliases == {"prod": "2"}
copied = c.copy_model_version(f"models:/{S}@prod", "scratch-copy")
assert (copied.name, copied.version, copied.source) == ("scratch-copy", "1", f"models:/{S}/2")
same("models:/scratch-copy/1", X[:5], expected)
c.rename_registered_model(S, "scratch2")
assert error_code(lambda: c.get_registered_model(S)) == "RESOURCE_DOES_NOT_EXIST"
assert c.get_model_version("scratch2", "2").name == "scratch2"
assert [m.name for m in c.search_registered_models("name LIKE 'scratch%'")] == [
    "scratch-copy",
    "scratch2",
]
page = c.search_model_versions("name = 'scratch2'", max_results=1)
assert len(page) == 1 and page.token

# errors, as MLflow's own server reports them
assert error_code(lambda: c.get_model_version("scratch2", "9")) == "RESOURCE_DOES_NOT_EXIST"
assert error_code(lambda: c.create_model_version("ghost", "mlflow-artifacts:/x/m")) == (
    "RESOURCE_DOES_NOT_EXIST"
)
# A source the server would only store as a reference: no scheme is allowed by default.
assert error_code(lambda: c.create_model_version("scratch2", "https://example.com/m")) == (
    "INVALID_PARAMETER_VALUE"
)
assert error_code(lambda: c.set_registered_model_alias("scratch2", "v7", "1")) == (
    "INVALID_PARAMETER_VALUE"
)
assert error_code(lambda: c.transition_model_version_stage("scratch2", "1", "prod")) == (
    "INVALID_PARAMETER_VALUE"
)
assert error_code(lambda: c.search_model_versions("(name = 'a' OR name = 'b'")) == (
    "INVALID_PARAMETER_VALUE"
)
assert error_code(lambda: c.create_model_version("scratch2", "/etc")) == (
    "INVALID_PARAMETER_VALUE"
)
assert error_code(
    lambda: c.create_model_version("scratch2", f"runs:/{run.info.run_id}/m", run_id="other")
) == "INVALID_PARAMETER_VALUE"
c.delete_model_version("scratch2", "1")
assert error_code(lambda: c.get_model_version("scratch2", "1")) == "RESOURCE_DOES_NOT_EXIST"
c.delete_registered_model("scratch2")
assert error_code(lambda: c.get_registered_model("scratch2")) == "RESOURCE_DOES_NOT_EXIST"

# ---- tracking methods of MlflowClient
exp = mlflow.set_experiment("exp-x")
assert exp.artifact_location == f"mlflow-artifacts:/{exp.experiment_id}"
assert error_code(lambda: c.create_experiment("exp-x")) == "RESOURCE_ALREADY_EXISTS"
assert error_code(lambda: c.create_experiment("e", artifact_location="/tmp/x")) == (
    "INVALID_PARAMETER_VALUE"
)
c.set_experiment_tag(exp.experiment_id, "team", "ds")
c.rename_experiment(exp.experiment_id, "exp-y")
got = c.get_experiment_by_name("exp-y")
assert (got.experiment_id, got.tags["team"]) == (exp.experiment_id, "ds")
assert c.get_experiment_by_name("exp-x") is None
assert [e.name for e in c.search_experiments(filter_string="name LIKE 'exp-%'")] == ["exp-y"]
r = c.create_run(exp.experiment_id, tags={"k": "v"}, run_name="tracked")
rid = r.info.run_id
c.log_batch(rid, metrics=[Metric("m", 1.5, 10, 2)], params=[Param("p", "1")],
            tags=[RunTag("t", "v")])
c.log_metric(rid, "m", float("nan"), timestamp=11, step=3)
history = c.get_metric_history(rid, "m")
assert [h.step for h in history] == [2, 3] and history[0].value == 1.5
c.set_tag(rid, "gone", "x")
c.delete_tag(rid, "gone")
with mlflow.start_run(run_id=rid):
    mlflow.log_input(mlflow.data.from_numpy(X, name="train"), context="training")
fetched = c.get_run(rid)
assert fetched.data.params == {"p": "1"} and "gone" not in fetched.data.tags
assert fetched.inputs.dataset_inputs[0].dataset.name == "train"
assert [x.info.run_id for x in c.search_runs([exp.experiment_id], "params.p = '1'")] == [rid]
names = [f.path for f in c.list_artifacts(run2.info.run_id, "model")]
assert "model/MLmodel" in names, names
local = c.download_artifacts(run2.info.run_id, "model", tempfile.mkdtemp())
assert os.path.exists(os.path.join(local, "MLmodel"))
lm = c.create_logged_model(exp.experiment_id, "lm", rid, params={"a": "1"}, tags={"t": "1"})
where = f"mlflow-artifacts:/{exp.experiment_id}/models/{lm.model_id}/artifacts"
assert lm.artifact_location == where
assert c.finalize_logged_model(lm.model_id, "READY").status.to_proto() == 2
c.set_logged_model_tags(lm.model_id, {"u": "2"})
c.delete_logged_model_tag(lm.model_id, "t")
c.log_model_params(lm.model_id, {"b": "2"})
found = c.search_logged_models([exp.experiment_id], filter_string="name = 'lm'")
assert [m.model_id for m in found] == [lm.model_id]
assert (found[0].tags, found[0].params) == ({"u": "2"}, {"a": "1", "b": "2"})
c.delete_logged_model(lm.model_id)
assert error_code(lambda: c.get_logged_model(lm.model_id)) == "RESOURCE_DOES_NOT_EXIST"
c.set_terminated(rid)
assert c.get_run(rid).info.status == "FINISHED"
c.delete_run(rid)
assert c.get_run(rid).info.lifecycle_stage == "deleted"
c.restore_run(rid)
c.delete_experiment(exp.experiment_id)
c.restore_experiment(exp.experiment_id)

with open(out, "w") as f:
    json.dump(
        {
            "X": X.tolist(),
            "y": y.tolist(),
            "expected": expected,
            "model_id": info.model_id,
            "run_id": run.info.run_id,
            "run2_id": run2.info.run_id,
        },
        f,
    )
print("OK")
"""
)

MLFLOW_LOADS_MODELREG = (
    PRELUDE
    + r"""
results = json.load(open(sys.argv[1]))
X, expected = results["X"][:5], results["expected"]
same("models:/modelreg-made/1", X, expected)
same("models:/modelreg-made@prod", X, expected)
c = MlflowClient()
c.delete_model_version("churn-predictor", "3")
assert error_code(lambda: c.get_model_version("churn-predictor", "3")) == (
    "RESOURCE_DOES_NOT_EXIST"
)
c.delete_registered_model("churn-predictor")
assert error_code(lambda: c.get_registered_model("churn-predictor")) == (
    "RESOURCE_DOES_NOT_EXIST"
)
print("OK")
"""
)


@pytest.fixture
def mlflow_python() -> Path:
    python = require_mlflow_python()
    return python


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running_server(tmp_path) as running:
        yield running


def _run_mlflow(python: Path, script: str, server: Server, tmp_path: Path, *args: str) -> None:
    path = tmp_path / "mlflow_script.py"
    path.write_text(script)
    env = {
        "MLFLOW_TRACKING_URI": server.url,
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        [str(python), str(path), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-6000:] + server.log.read_text()[-3000:]
    assert done.stdout.strip().endswith("OK"), done.stdout[-2000:]


def _modelreg_side(url: str, results: dict[str, Any]) -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    import modelreg
    from modelreg.client import MlflowClient, embedded

    X, expected = np.asarray(results["X"]), results["expected"]
    name, model_id = "churn-predictor", results["model_id"]
    modelreg.set_tracking_uri(url)
    try:
        for uri in (
            f"models:/{name}/1",
            f"models:/{name}/2",
            f"models:/{name}/3",
            f"models:/{name}/Production",
            f"models:/{name}/latest",
            f"models:/{name}@champion",
            f"models:/{model_id}",
            f"runs:/{results['run_id']}/model",
            f"runs:/{results['run2_id']}/model",
        ):
            predicted = modelreg.pyfunc.load_model(uri).predict(X[:5])
            assert np.asarray(predicted).tolist() == expected, uri
        client = MlflowClient(url)
        lineage = client.get_model_version_lineage(name, 1)
        assert lineage.run is not None and lineage.run.data.params == {"C": "1.0"}
        assert lineage.logged_model is not None and lineage.logged_model.model_id == model_id
        assert client.get_model_version_manifest(name, 1)  # registered copies are hashed

        model = LogisticRegression().fit(X, np.asarray(results["y"]))
        with modelreg.start_run():
            modelreg.log_param("C", 1.0)
            info = modelreg.sklearn.log_model(
                model, name="model", registered_model_name="modelreg-made", input_example=X[:5]
            )
        assert info.registered_model_version == "1"
        client.set_registered_model_alias("modelreg-made", "prod", 1)
    finally:
        modelreg.set_tracking_uri(None)
        embedded.reset()


def test_mlflow_and_modelreg_share_one_server(
    mlflow_python: Path, server: Server, tmp_path: Path
) -> None:
    results_path = tmp_path / "results.json"
    _run_mlflow(mlflow_python, MLFLOW_SIDE, server, tmp_path, str(results_path))
    results = json.loads(results_path.read_text())
    _modelreg_side(server.url, results)
    _run_mlflow(mlflow_python, MLFLOW_LOADS_MODELREG, server, tmp_path, str(results_path))
    lines = server.stop()
    # No request ever failed on the server's side: every error above was a 4xx.
    access = [line for line in lines if line.get("logger") == "modelreg.access"]
    assert access and all(int(str(line["status"])) < 500 for line in access)
