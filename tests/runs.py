"""Runs with chosen ids, for registry tests whose versions name a ``run_id``.

A version's ``run_id`` must name a run (issue 8); registry tests that only care about
the id's text make the run here, with exactly that id, in experiment 0.
"""

from __future__ import annotations

from sqlalchemy import insert

from modelreg.store.database import Database
from modelreg.store.tables import runs


def insert_runs(db: Database, *run_ids: str) -> None:
    with db.write() as conn:
        for run_id in run_ids:
            conn.execute(
                insert(runs).values(
                    run_id=run_id,
                    experiment_id=0,
                    run_name=run_id,
                    status="FINISHED",
                    start_time=1,
                    lifecycle_stage="active",
                    artifact_uri=f"0/{run_id}/artifacts",
                )
            )
