"""MLflow's JSON codec: what the server writes, the HTTP client reads back unchanged."""

from __future__ import annotations

import math

from modelreg.codec import registry as rc
from modelreg.codec import tracking as tc
from modelreg.entities import ModelVersion, RegisteredModel
from modelreg.tracking_entities import (
    Dataset,
    DatasetInput,
    Experiment,
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    LoggedModelStatus,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
)

VERSION = ModelVersion(
    name="m",
    version="3",
    creation_timestamp=1,
    last_updated_timestamp=2,
    current_stage="Production",
    description="d",
    source="s3://b/m",
    run_id="r" * 32,
    run_link="http://ci",
    user_id="alice",
    model_id="m-1",
    tags={"k": "v"},
    aliases=["champ"],
)


def test_model_version_round_trip() -> None:
    data = rc.model_version_json(VERSION)
    assert data["version"] == "3" and isinstance(data["creation_timestamp"], int)
    assert rc.model_version_from_json(data) == VERSION


def test_an_empty_model_version_reads_as_mlflow_reads_it() -> None:
    bare = rc.model_version_from_json({"name": "m", "version": "1"})
    assert (bare.version, bare.run_id, bare.user_id, bare.aliases, bare.tags) == (
        "1",
        "",
        "",
        [],
        {},
    )
    assert (bare.status_message, bare.model_id) == (None, None)


def test_registered_model_round_trip() -> None:
    model = RegisteredModel(
        name="m",
        creation_timestamp=1,
        last_updated_timestamp=2,
        description="d",
        user_id="alice",
        tags={"a": "b"},
        aliases={"champ": "3"},
        latest_versions=[VERSION],
    )
    data = rc.registered_model_json(model)
    assert data["aliases"] == [{"alias": "champ", "version": "3"}]
    assert rc.registered_model_from_json(data) == model


def test_run_round_trip_with_special_floats() -> None:
    metrics = (Metric("loss", math.inf, 5, 1), Metric("acc", 0.5, 6, 2))
    run = Run(
        info=RunInfo("a" * 32, "1", "r", "alice", "FINISHED", 1, 9, "active", "s3://x"),
        data=RunData(
            metrics={m.key: m.value for m in metrics},
            params={"p": "1"},
            tags={"t": "v"},
            metric_objects=metrics,
        ),
        inputs=RunInputs(
            [DatasetInput(Dataset("d", "x1", "local", "src"), {"k": "v"})],
            [LoggedModelInput("m-0")],
        ),
        outputs=RunOutputs([LoggedModelOutput("m-1", 2)]),
    )
    data = tc.run_json(run)
    assert data["data"]["metrics"][0]["value"] == "Infinity"
    assert data["inputs"]["model_inputs"] == [{"model_id": "m-0"}]
    assert tc.run_from_json(data) == run


def test_logged_model_and_experiment_round_trip() -> None:
    model = LoggedModel(
        model_id="m-1",
        experiment_id="1",
        name="n",
        artifact_location="mlflow-artifacts:/1/models/m-1/artifacts",
        creation_timestamp=1,
        last_updated_timestamp=2,
        status=LoggedModelStatus.READY,
        model_type="sk",
        source_run_id="r",
        params={"p": "1"},
        tags={"t": "v"},
        metrics=[Metric("acc", 0.5, 6, 2, "m-1", "eval", "d1", run_id="r")],
    )
    data = tc.logged_model_json(model)
    assert data["info"]["status"] == "LOGGED_MODEL_READY"
    assert data["data"]["metrics"] == [
        {
            "key": "acc",
            "value": 0.5,
            "timestamp": 6,
            "step": 2,
            "dataset_name": "eval",
            "dataset_digest": "d1",
            "model_id": "m-1",
            "run_id": "r",
        }
    ]
    assert tc.logged_model_from_json(data) == model
    experiment = Experiment("1", "e", "s3://x/1", "active", 1, 2, {"a": "b"})
    assert tc.experiment_from_json(tc.experiment_json(experiment)) == experiment
