"""Tracking reads are a fixed few indexed statements, whatever the number of metric values.

The same checks as ``test_query_counts`` (statements counted with SQLAlchemy's
``before_cursor_execute``, SQLite query plans read with ``EXPLAIN QUERY PLAN``) for
the metric and logged-model reads: the history page, the logged-model search on
datasets and metrics, and the bulk metric sampling.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from modelreg.service.artifact_locations import ArtifactLocations
from modelreg.service.tracking import TrackingService
from modelreg.store.database import Database
from modelreg.tracking_entities import Metric
from tests.store.test_query_counts import query_plans, recorded

# run_metrics is the biggest table of all: none of these reads may scan it.
_SCANNED = re.compile(r"^SCAN (run_metrics|logged_models|runs)\b")

TrackingRead = Callable[[TrackingService], object]


def populate(tracking: TrackingService, runs: int, points: int) -> tuple[list[str], list[str]]:
    """``runs`` runs, each with a logged model and ``points`` values of two metrics."""
    run_ids, model_ids = [], []
    for r in range(runs):
        run_id = tracking.create_run("0").info.run_id
        model_id = tracking.create_logged_model("0", f"m{r}", run_id).model_id
        metrics = [
            Metric(key, i / points, i, i, model_id, f"ds{r % 2}", "d")
            for key in ("loss", "acc")
            for i in range(points)
        ]
        tracking.log_batch(run_id, metrics=metrics)
        run_ids.append(run_id)
        model_ids.append(model_id)
    return run_ids, model_ids


def reads(run_ids: list[str]) -> dict[str, TrackingRead]:
    first = run_ids[0]
    return {
        "get_metric_history": lambda t: t.get_metric_history(first, "loss"),
        "get_metric_history[page]": lambda t: t.get_metric_history(first, "loss", max_results=5),
        "search_logged_models[datasets]": lambda t: t.search_logged_models(
            ["0"], datasets=[{"dataset_name": "ds0", "dataset_digest": "d"}]
        ),
        "search_logged_models[metric on datasets]": lambda t: t.search_logged_models(
            ["0"], "metrics.acc > 0.5", datasets=[{"dataset_name": "ds1"}]
        ),
        "get_metric_history_bulk_interval": lambda t: t.get_metric_history_bulk_interval(
            run_ids, "loss", max_results=10
        ),
        "get_metric_history_bulk_interval[steps]": lambda t: t.get_metric_history_bulk_interval(
            run_ids, "acc", max_results=3, start_step=1, end_step=2
        ),
        "get_logged_model": lambda t: t.get_logged_model(
            t.search_logged_models(["0"], "name = 'm0'")[0].model_id
        ),
    }


def _count(tracking: TrackingService, read: TrackingRead) -> int:
    with recorded(tracking.db) as log:
        read(tracking)
    return len(log.queries())


def test_tracking_reads_do_not_grow_with_history(tracking: TrackingService) -> None:
    small_ids, _ = populate(tracking, runs=2, points=3)
    small = {label: _count(tracking, read) for label, read in reads(small_ids).items()}
    large_ids, _ = populate(tracking, runs=6, points=60)
    large = {label: _count(tracking, read) for label, read in reads(large_ids).items()}
    assert large == small
    assert max(large.values()) <= 8


@pytest.fixture
def sqlite_tracking(sqlite_uri: str, tmp_path: Path) -> Iterator[TrackingService]:
    db = Database(sqlite_uri)
    yield TrackingService(db, ArtifactLocations(root=str(tmp_path)), actor="alice")
    db.dispose()


def test_tracking_reads_use_indexes_on_sqlite(sqlite_tracking: TrackingService) -> None:
    tracking = sqlite_tracking
    run_ids, _ = populate(tracking, runs=4, points=30)
    scans: dict[str, list[str]] = {}
    for label, read in reads(run_ids).items():
        with recorded(tracking.db) as log:
            read(tracking)
        assert log.queries(), label
        for statement, plan in query_plans(tracking.db, log):
            bad = [step for step in plan if _SCANNED.search(step.strip())]
            if bad:
                scans[label] = [*bad, " ".join(statement.split())[:400]]
    assert scans == {}
