"""Drop-in fidelity: every entity field has the type the real mlflow client returns.

One probe script (below) makes the same registry and tracking objects and reports
``type(field)`` of every field. It runs four times:

* the real ``mlflow`` client (3.17.2, its own virtualenv) against a live
  ``mlflow server``: the reference;
* the real ``mlflow`` client against a live ``modelreg server``: the wire is the same;
* modelreg's own ``MlflowClient`` over HTTP against the live ``modelreg server``, and
  embedded (in-process, SQLite): code ported by changing imports sees the same types.

Protobuf's repeated-field containers count as ``list`` (mlflow hands out the
container itself when a field is not empty; modelreg a ``list``: both index and
compare like lists). Fields modelreg does not implement (deployment jobs, workspaces)
are listed in ``NOT_IMPLEMENTED``; any other difference fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mlflow_env import require_mlflow_python
from tests.server import live_mlflow

pytestmark = pytest.mark.mlflow

PROBE = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
uri, flavor, p = sys.argv[1], sys.argv[2], sys.argv[3]  # p: a prefix for names
if flavor == "mlflow":
    from mlflow import MlflowClient
    from mlflow.entities import LoggedModelStatus
    READY = LoggedModelStatus.READY
else:
    from modelreg import MlflowClient
    READY = "READY"

MODEL_VERSION = ["name", "version", "creation_timestamp", "last_updated_timestamp",
    "description", "user_id", "current_stage", "source", "run_id", "run_link", "status",
    "status_message", "tags", "aliases", "model_id", "deployment_job_state", "metrics",
    "params"]
REGISTERED_MODEL = ["name", "creation_timestamp", "last_updated_timestamp", "description",
    "tags", "aliases", "latest_versions", "deployment_job_id", "deployment_job_state"]
EXPERIMENT = ["experiment_id", "name", "artifact_location", "lifecycle_stage", "tags",
    "creation_time", "last_update_time"]
RUN_INFO = ["run_id", "experiment_id", "run_name", "user_id", "status",
    "start_time", "end_time", "lifecycle_stage", "artifact_uri"]
LOGGED_MODEL = ["model_id", "experiment_id", "name", "artifact_location",
    "creation_timestamp", "last_updated_timestamp", "status", "status_message",
    "model_type", "source_run_id", "params", "tags", "metrics", "model_uri"]
CONTAINERS = {"RepeatedScalarContainer": "list", "RepeatedCompositeContainer": "list"}

def types(obj, fields):
    out = {}
    for name in fields:
        if not hasattr(obj, name):
            out[name] = "<absent>"
            continue
        kind = type(getattr(obj, name)).__name__
        out[name] = CONTAINERS.get(kind, kind)
    return out

c = MlflowClient(uri)
seen = {}
bare = c.create_registered_model(p + "bare")
seen["registered model, bare (create)"] = types(bare, REGISTERED_MODEL)
created = c.create_model_version(p + "bare", "s3://bucket/bare")
seen["model version, bare (create)"] = types(created, MODEL_VERSION)
seen["model version, bare (get)"] = types(c.get_model_version(p + "bare", "1"), MODEL_VERSION)
bare = c.get_registered_model(p + "bare")
seen["registered model, bare (get)"] = types(bare, REGISTERED_MODEL)

c.create_registered_model(p + "full", tags={"a": "b"}, description="d")
c.create_model_version(p + "full", "s3://bucket/full", tags={"t": "v"}, description="dd",
                       run_link="http://ci/1")
c.set_registered_model_alias(p + "full", "champ", "1")
c.transition_model_version_stage(p + "full", "1", "Staging")
full = c.get_model_version(p + "full", "1")
seen["model version, full (get)"] = types(full, MODEL_VERSION)
seen["model version, full (alias)"] = types(
    c.get_model_version_by_alias(p + "full", "champ"), MODEL_VERSION)
full = c.get_registered_model(p + "full")
seen["registered model, full (get)"] = types(full, REGISTERED_MODEL)
seen["registered model (search)"] = types(
    c.search_registered_models("name = '" + p + "full'")[0], REGISTERED_MODEL)
seen["model version (search)"] = types(
    c.search_model_versions("name = '" + p + "full'")[0], MODEL_VERSION)
seen["model version (latest)"] = types(c.get_latest_versions(p + "full")[0], MODEL_VERSION)
seen["model version (latest in model)"] = types(
    c.get_registered_model(p + "full").latest_versions[0], MODEL_VERSION)

experiment_id = c.create_experiment(p + "types")
seen["experiment"] = types(c.get_experiment(experiment_id), EXPERIMENT)
run = c.create_run(experiment_id)
seen["run info (new)"] = types(run.info, RUN_INFO)
c.log_param(run.info.run_id, "p", 1)
c.log_metric(run.info.run_id, "m", 1.0)
c.set_terminated(run.info.run_id)
done = c.get_run(run.info.run_id)
seen["run info (finished)"] = types(done.info, RUN_INFO)
seen["run data"] = types(done.data, ["metrics", "params", "tags"])
seen["run inputs"] = types(done.inputs, ["dataset_inputs", "model_inputs"])
seen["run outputs"] = types(done.outputs, ["model_outputs"])
seen["run (search)"] = types(c.search_runs([experiment_id])[0].info, RUN_INFO)
seen["logged model, bare"] = types(c.create_logged_model(experiment_id), LOGGED_MODEL)
full = c.create_logged_model(experiment_id, name="n", source_run_id=run.info.run_id,
                             tags={"a": "b"}, params={"p": "1"}, model_type="t")
c.finalize_logged_model(full.model_id, READY)
seen["logged model, full"] = types(c.get_logged_model(full.model_id), LOGGED_MODEL)
print("TYPES " + json.dumps(seen, sort_keys=True))
"""

# Fields of mlflow's entities that modelreg does not have (features it does not offer).
NOT_IMPLEMENTED = {
    "deployment_job_state",  # Databricks deployment jobs
    "deployment_job_id",
    "metrics",  # ModelVersion.metrics/params: logged-model metrics mirrored on versions
    "params",
}


def _probe(python: str, uri: str, flavor: str, tmp_path: Path) -> dict[str, dict[str, str]]:
    prefix = tmp_path.name.replace("-", "_") + "_"
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    env = {**os.environ, "MODELREG_USER": "alice", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [python, str(script), uri, flavor, prefix],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    line = next(row for row in done.stdout.splitlines() if row.startswith("TYPES "))
    found: dict[str, dict[str, str]] = json.loads(line.removeprefix("TYPES "))
    return found


@pytest.fixture
def mlflow_server(tmp_path: Path) -> Iterator[str]:
    """A live ``mlflow server`` 3.17.2 on 127.0.0.1 and a free port, own SQLite file."""
    with live_mlflow.mlflow_server(tmp_path / "mlflow-server") as url:
        yield url


def test_field_types_match_the_real_mlflow_client(
    mlflow_server: str, live_server: str, tmp_path: Path
) -> None:
    mlflow_python = str(require_mlflow_python())
    runs = {}
    for label, python, uri, flavor in (
        ("mlflow client, mlflow server", mlflow_python, mlflow_server, "mlflow"),
        ("mlflow client, modelreg server", mlflow_python, live_server, "mlflow"),
        ("modelreg client, modelreg server", sys.executable, live_server, "modelreg"),
        (
            "modelreg client, embedded",
            sys.executable,
            f"sqlite:///{tmp_path / 'embedded' / 'modelreg.db'}",
            "modelreg",
        ),
    ):
        folder = tmp_path / label.replace(" ", "-").replace(",", "")
        folder.mkdir()
        (tmp_path / "embedded").mkdir(exist_ok=True)
        runs[label] = _probe(python, uri, flavor, folder)

    reference = runs.pop("mlflow client, mlflow server")
    assert runs["mlflow client, modelreg server"] == reference
    for label in ("modelreg client, modelreg server", "modelreg client, embedded"):
        for case, expected in reference.items():
            got = runs[label][case]
            wanted = {
                field: kind for field, kind in expected.items() if field not in NOT_IMPLEMENTED
            }
            assert {f: k for f, k in got.items() if f not in NOT_IMPLEMENTED} == wanted, (
                label,
                case,
            )
            absent = {f for f, k in got.items() if k == "<absent>"}
            assert absent <= NOT_IMPLEMENTED, (label, case, absent)
