"""The MLflow import against a fake MLflow REST API (httpx MockTransport): no mlflow needed.

The real server is in test_import_mlflow.py (marked ``mlflow``); this covers the same
paths in the default suite: ids, numbers and timestamps kept, NaN metrics, files
copied to the same paths with registry copies, external sources skipped with a
reason, reruns that skip or replace, and the numbering that continues after gaps.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from modelreg.config import Settings
from modelreg.migrate.mlflow_import import MlflowImporter
from modelreg.migrate.mlflow_source import MlflowSource, proxy_path
from modelreg.migrate.progress import LineProgress
from modelreg.service.assembly import Services, build_services
from modelreg.service.imports import ImportService, metric_value
from modelreg.store.tables import events

RUN = "a" * 32
MODEL = "m-" + "b" * 32


def _fake_mlflow() -> dict[str, Any]:
    return {
        "experiments": [
            {
                "experiment_id": "0",
                "name": "Default",
                "artifact_location": "mlflow-artifacts:/0",
                "lifecycle_stage": "active",
                "creation_time": 10,
                "last_update_time": 11,
            },
            {
                "experiment_id": "7",
                "name": "fraud",
                "artifact_location": "mlflow-artifacts:/7",
                "lifecycle_stage": "active",
                "creation_time": 20,
                "last_update_time": 21,
                "tags": [{"key": "team", "value": "risk"}],
            },
        ],
        "runs": {
            "7": [
                {
                    "info": {
                        "run_id": RUN,
                        "run_name": "first",
                        "experiment_id": "7",
                        "user_id": "ann",
                        "status": "FINISHED",
                        "start_time": 100,
                        "end_time": 200,
                        "artifact_uri": f"mlflow-artifacts:/7/{RUN}/artifacts",
                        "lifecycle_stage": "active",
                    },
                    "data": {
                        "metrics": [{"key": "loss", "value": 0.5, "timestamp": 3, "step": 2}],
                        "params": [{"key": "alpha", "value": "1"}],
                        "tags": [{"key": "mlflow.runName", "value": "first"}],
                    },
                    "inputs": {
                        "dataset_inputs": [
                            {
                                "tags": [{"key": "mlflow.data.context", "value": "training"}],
                                "dataset": {
                                    "name": "iris",
                                    "digest": "abc",
                                    "source_type": "local",
                                    "source": "{}",
                                },
                            }
                        ]
                    },
                    "outputs": {"model_outputs": [{"model_id": MODEL, "step": 0}]},
                },
                {
                    "info": {
                        "run_id": "c" * 32,
                        "run_name": "elsewhere",
                        "experiment_id": "7",
                        "status": "FAILED",
                        "start_time": 300,
                        "artifact_uri": "s3://other-bucket/x",
                        "lifecycle_stage": "deleted",
                    },
                    "data": {},
                },
            ]
        },
        "history": {
            (RUN, "loss"): [
                {"key": "loss", "value": 1.0, "timestamp": 1, "step": 0},
                {"key": "loss", "value": "NaN", "timestamp": 2, "step": 1},
                {"key": "loss", "value": 0.5, "timestamp": 3, "step": 2},
            ]
        },
        "logged_models": {
            "7": [
                {
                    "info": {
                        "model_id": MODEL,
                        "experiment_id": "7",
                        "name": "model",
                        "artifact_uri": f"mlflow-artifacts:/7/models/{MODEL}/artifacts",
                        "creation_timestamp_ms": 150,
                        "last_updated_timestamp_ms": 160,
                        "status": "LOGGED_MODEL_READY",
                        "source_run_id": RUN,
                        "tags": [{"key": "flavor", "value": "sklearn"}],
                    },
                    "data": {"params": [{"key": "alpha", "value": "1"}]},
                }
            ]
        },
        "registered_models": [
            {
                "name": "fraud-model",
                "creation_timestamp": 400,
                "last_updated_timestamp": 500,
                "description": "d",
                "tags": [{"key": "owner", "value": "risk"}],
                "aliases": [{"alias": "champion", "version": "2"}],
            }
        ],
        "versions": [
            {
                "name": "fraud-model",
                "version": "2",
                "creation_timestamp": 410,
                "last_updated_timestamp": 420,
                "current_stage": "Production",
                "source": f"models:/{MODEL}",
                "run_id": RUN,
                "status": "READY",
                "model_id": MODEL,
                "tags": [{"key": "validated", "value": "yes"}],
            },
            {
                "name": "fraud-model",
                "version": "5",
                "creation_timestamp": 430,
                "last_updated_timestamp": 430,
                "current_stage": "None",
                "source": "s3://other-bucket/model",
                "status": "READY",
            },
        ],
        "download_uris": {
            "2": f"mlflow-artifacts:/7/models/{MODEL}/artifacts",
            "5": "s3://other-bucket/model",
        },
        "files": {
            f"7/models/{MODEL}/artifacts/MLmodel": b"flavors: {}\n",
            f"7/models/{MODEL}/artifacts/model.pkl": b"\x00" * 1000,
            f"7/{RUN}/artifacts/notes.txt": b"hello",
        },
    }


def _transport(state: dict[str, Any]) -> httpx.MockTransport:
    def listing(path: str) -> list[dict[str, Any]]:
        children: dict[str, dict[str, Any]] = {}
        for name, data in state["files"].items():
            if name.startswith(path + "/"):
                head, _, rest = name[len(path) + 1 :].partition("/")
                children[head] = {"path": head, "is_dir": bool(rest)}
                if not rest:
                    children[head]["file_size"] = len(data)
        return list(children.values())

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        body = json.loads(request.content) if request.content else {}
        params = request.url.params
        if path.endswith("/experiments/search"):
            return httpx.Response(200, json={"experiments": state["experiments"]})
        if path.endswith("/runs/search"):
            return httpx.Response(
                200, json={"runs": state["runs"].get(body["experiment_ids"][0], [])}
            )
        if path.endswith("/metrics/get-history"):
            found = state["history"].get((params["run_id"], params["metric_key"]), [])
            return httpx.Response(200, json={"metrics": found})
        if path.endswith("/logged-models/search"):
            found = state["logged_models"].get(body["experiment_ids"][0], [])
            return httpx.Response(200, json={"models": found})
        if path.endswith("/registered-models/search"):
            return httpx.Response(200, json={"registered_models": state["registered_models"]})
        if path.endswith("/model-versions/search"):
            return httpx.Response(200, json={"model_versions": state["versions"]})
        if path.endswith("/get-download-uri"):
            return httpx.Response(
                200, json={"artifact_uri": state["download_uris"][params["version"]]}
            )
        if path == "/api/2.0/mlflow-artifacts/artifacts":
            return httpx.Response(200, json={"files": listing(params["path"])})
        if path.startswith("/api/2.0/mlflow-artifacts/artifacts/"):
            name = path.removeprefix("/api/2.0/mlflow-artifacts/artifacts/")
            return httpx.Response(200, content=state["files"][name])
        return httpx.Response(404, json={"error_code": "ENDPOINT_NOT_FOUND"})

    return httpx.MockTransport(handle)


def _import(services: Services, state: dict[str, Any], lines: list[str] | None = None) -> Any:
    snapshotter = services.registry.snapshotter
    assert snapshotter is not None
    source = MlflowSource("http://mlflow:5000", transport=_transport(state))
    progress = LineProgress(lines.append) if lines is not None else None
    return MlflowImporter(
        source, ImportService(services.db, source.url), snapshotter.store, snapshotter, progress
    ).run()


@pytest.fixture
def services(sqlite_uri: str, tmp_path: Path) -> Services:
    return build_services(
        Settings(tracking_uri=sqlite_uri, artifact_root=str(tmp_path / "artifacts")).served()
    )


def test_an_import_keeps_ids_numbers_and_times(services: Services) -> None:
    lines: list[str] = []
    summary = _import(services, _fake_mlflow(), lines)
    assert any(line.startswith("runs (exp. 7): done, 2/2") for line in lines)

    run = services.tracking.get_run(RUN)
    assert (run.info.start_time, run.info.end_time, run.info.status) == (100, 200, "FINISHED")
    assert run.data.params == {"alpha": "1"}
    history = services.tracking.get_metric_history(RUN, "loss")
    assert [(m.step, m.timestamp) for m in history] == [(0, 1), (1, 2), (2, 3)]
    assert str(history[1].value) == "nan"
    assert [d.dataset.name for d in run.inputs.dataset_inputs] == ["iris"]
    assert [o.model_id for o in run.outputs.model_outputs] == [MODEL]
    assert services.tracking.get_experiment("7").tags == {"team": "risk"}
    assert services.tracking.create_experiment("next") == "8"
    assert services.tracking.get_logged_model(MODEL).tags == {"flavor": "sklearn"}

    version = services.registry.get_model_version("fraud-model", 2)
    assert (version.current_stage, version.creation_timestamp) == ("Production", 410)
    assert version.tags == {"validated": "yes"} and version.aliases == ["champion"]
    manifest = services.registry.get_model_version_manifest("fraud-model", 2)
    assert manifest is not None and set(manifest) == {"MLmodel", "model.pkl"}
    assert services.registry.get_model_version_manifest("fraud-model", 5) is None
    assert services.registry.create_model_version("fraud-model", f"models:/{MODEL}").version == "6"

    assert summary.counts["run"].new == 2 and summary.metrics == 3
    assert summary.files == 3 and summary.bytes == 1017
    skipped = "\n".join(summary.skipped)
    assert "run " + "c" * 32 in skipped and "fraud-model/5" in skipped


def test_a_rerun_skips_the_unchanged_and_replaces_the_changed(services: Services) -> None:
    state = _fake_mlflow()
    _import(services, state)
    with services.db.read() as conn:
        recorded = conn.execute(select(func.count()).select_from(events)).scalar_one()
    again = _import(services, state)
    assert again.counts["run"].unchanged == 2 and again.counts["model_version"].unchanged == 2
    assert again.files == 0
    with services.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == recorded

    state["runs"]["7"][0]["data"]["tags"].append({"key": "reviewed", "value": "yes"})
    state["registered_models"][0]["aliases"] = [{"alias": "champion", "version": "5"}]
    changed = _import(services, state)
    assert changed.counts["run"].updated == 1 and changed.counts["run"].unchanged == 1
    assert services.tracking.get_run(RUN).data.tags["reviewed"] == "yes"
    assert len(services.tracking.get_metric_history(RUN, "loss")) == 3
    assert services.registry.get_model_version_by_alias("fraud-model", "champion").version == "5"


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("mlflow-artifacts:/1/abc/artifacts", "1/abc/artifacts"),
        ("mlflow-artifacts://host:5000/1/abc/artifacts", "1/abc/artifacts"),
        ("s3://bucket/1/abc", None),
        ("/srv/mlruns/1", None),
        (None, None),
    ],
)
def test_proxy_paths(uri: str | None, path: str | None) -> None:
    assert proxy_path(uri) == path


def test_metric_values_as_mlflow_writes_them() -> None:
    assert metric_value(0.25) == 0.25 and metric_value(3) == 3.0
    assert metric_value("Infinity") == float("inf") and str(metric_value("NaN")) == "nan"
    assert metric_value(None) == 0.0
