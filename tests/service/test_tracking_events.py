"""Tracking mutations record typed events in their transaction; metric points do not."""

from __future__ import annotations

from typing import Any

import pytest

from modelreg import events
from modelreg.entities import Event
from modelreg.errors import InvalidArgument, NotFound
from modelreg.service.tracking import TrackingService
from modelreg.store.events import EventStore
from modelreg.tracking_entities import (
    Dataset,
    DatasetInput,
    LoggedModelInput,
    LoggedModelOutput,
    Metric,
)


def _events(tracking: TrackingService, after: int = 0) -> list[Event]:
    with tracking.db.read() as conn:
        found = EventStore(conn).list(after)
    for row in found:  # every row reads back as its typed event, field for field
        assert events.parse(row.type, row.schema_version, row.payload).payload() == row.payload
    return found


def _rows(tracking: TrackingService, after: int = 0) -> list[tuple[str, dict[str, Any]]]:
    return [(e.type, dict(e.payload)) for e in _events(tracking, after)]


def _last_id(tracking: TrackingService) -> int:
    found = _events(tracking)
    return found[-1].id if found else 0


def test_experiment_events(tracking: TrackingService) -> None:
    experiment_id = tracking.create_experiment("churn", tags={"team": "ds"})
    tracking.set_experiment_tag(experiment_id, "k", "v")
    tracking.delete_experiment_tag(experiment_id, "k")
    tracking.rename_experiment(experiment_id, "churn-2")
    tracking.delete_experiment(experiment_id)
    tracking.restore_experiment(experiment_id)
    rows = _rows(tracking)
    assert [type_ for type_, _ in rows] == [
        "experiment.created",
        "experiment_tag.set",
        "experiment_tag.deleted",
        "experiment.renamed",
        "experiment.deleted",
        "experiment.restored",
    ]
    assert rows[0][1] == {
        "experiment_id": experiment_id,
        "name": "churn",
        "artifact_location": experiment_id,  # stored relative to the artifact root
        "tags": {"team": "ds"},
    }
    assert rows[3][1] == {"experiment_id": experiment_id, "name": "churn-2", "old_name": "churn"}
    assert all(e.actor == "alice" and e.model_name is None for e in _events(tracking))


def test_run_events(tracking: TrackingService) -> None:
    run = tracking.create_run("0", start_time=5, run_name="r1", tags={"t": "1"})
    run_id = run.info.run_id
    after = _last_id(tracking)
    tracking.log_batch(
        run_id,
        metrics=[Metric("loss", 0.5, 1, 0), Metric("loss", 0.4, 2, 1)],
        params={"C": 1},
        tags={"note": "x"},
    )
    tracking.log_metric(run_id, "acc", 0.9)
    tracking.log_param(run_id, "C", 1)  # the same value again: nothing new is logged
    tracking.delete_tag(run_id, "note")
    tracking.log_inputs(run_id, [DatasetInput(Dataset("train", "d1", "local", "x"))])
    model = tracking.create_logged_model("0")
    tracking.log_outputs(run_id, [LoggedModelOutput(model.model_id, 3)])
    tracking.log_inputs(run_id, models=[LoggedModelInput(model.model_id)] * 2)
    tracking.update_run(run_id, status="FINISHED", end_time=99)
    tracking.delete_run(run_id)
    tracking.restore_run(run_id)
    first = _rows(tracking)[0]
    assert first == (
        "run.created",
        {
            "run_id": run_id,
            "experiment_id": "0",
            "run_name": "r1",
            "user_id": "alice",
            "status": "RUNNING",
            "start_time": 5,
            "tags": {"t": "1", "mlflow.runName": "r1"},
        },
    )
    assert _rows(tracking, after) == [
        ("run_params.logged", {"run_id": run_id, "params": {"C": "1"}}),
        ("run_tag.set", {"run_id": run_id, "key": "note", "value": "x"}),
        ("run_tag.deleted", {"run_id": run_id, "key": "note"}),
        ("run_inputs.logged", {"run_id": run_id, "datasets": ["train@d1"]}),
        ("logged_model.created", _rows(tracking, after)[4][1]),
        ("run_outputs.logged", {"run_id": run_id, "model_ids": [model.model_id]}),
        ("run_model_inputs.logged", {"run_id": run_id, "model_ids": [model.model_id]}),
        (
            "run.updated",
            {"run_id": run_id, "status": "FINISHED", "end_time": 99, "run_name": "r1"},
        ),
        ("run.deleted", {"run_id": run_id}),
        ("run.restored", {"run_id": run_id}),
    ]


def test_metric_points_are_not_events(tracking: TrackingService) -> None:
    run_id = tracking.create_run("0").info.run_id
    after = _last_id(tracking)
    for step in range(20):
        tracking.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
    tracking.log_batch(run_id, metrics=[Metric("acc", 0.5, 1, 0)])
    assert _rows(tracking, after) == []


def test_logged_model_events(tracking: TrackingService) -> None:
    run_id = tracking.create_run("0").info.run_id
    after = _last_id(tracking)
    model = tracking.create_logged_model(
        "0", "m", run_id, tags={"a": "1"}, params={"p": 2}, model_type="sk"
    )
    tracking.set_logged_model_tags(model.model_id, {"b": "2", "c": "3"})
    tracking.delete_logged_model_tag(model.model_id, "b")
    with pytest.raises(NotFound):  # nothing deleted, nothing recorded
        tracking.delete_logged_model_tag(model.model_id, "never-set")
    tracking.log_logged_model_params(model.model_id, {"q": 1})
    tracking.finalize_logged_model(model.model_id, "LOGGED_MODEL_READY")
    tracking.delete_logged_model(model.model_id)
    mid = model.model_id
    assert _rows(tracking, after) == [
        (
            "logged_model.created",
            {
                "model_id": mid,
                "experiment_id": "0",
                "name": "m",
                "source_run_id": run_id,
                "model_type": "sk",
                "params": {"p": "2"},
                "tags": {"a": "1"},
            },
        ),
        ("logged_model_tag.set", {"model_id": mid, "key": "b", "value": "2"}),
        ("logged_model_tag.set", {"model_id": mid, "key": "c", "value": "3"}),
        ("logged_model_tag.deleted", {"model_id": mid, "key": "b"}),
        ("logged_model_params.logged", {"model_id": mid, "params": {"q": "1"}}),
        ("logged_model.finalized", {"model_id": mid, "status": "READY"}),
        ("logged_model.deleted", {"model_id": mid}),
    ]


def test_failed_mutations_record_nothing(tracking: TrackingService) -> None:
    run_id = tracking.create_run("0").info.run_id
    tracking.log_param(run_id, "C", "1")
    after = _last_id(tracking)
    with pytest.raises(InvalidArgument, match="Changing param values is not allowed"):
        tracking.log_batch(run_id, params={"C": "2"}, tags={"t": "x"})
    with pytest.raises(NotFound):
        tracking.delete_tag(run_id, "missing")
    with pytest.raises(NotFound):
        tracking.delete_experiment_tag("0", "missing")
    assert _rows(tracking, after) == []
    assert "t" not in tracking.get_run(run_id).data.tags


def test_rows_carry_the_schema_version(tracking: TrackingService) -> None:
    tracking.create_experiment("e")
    (row,) = _events(tracking)
    assert row.schema_version == 1
