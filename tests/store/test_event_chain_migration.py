"""Migration 0007_event_chain backfills the chain of events written before it.

A history written at head (renames, a deletion, a new model under an old name) is
taken back to 0004_wiregaps, which drops the chain, and upgraded again: the backfill
rebuilds every live model's chain exactly as the live writes built it, and everything
verifies. Runs on every enabled backend (the ``service`` fixture).
"""

from __future__ import annotations

from sqlalchemy import select

from modelreg.service import RegistryService
from modelreg.store import migrations
from modelreg.store.tables import event_chains, events
from tests.conftest import FakeClock

SOURCE = "s3://bucket/models/churn"


def test_backfill_rebuilds_the_chains(service: RegistryService, clock: FakeClock) -> None:
    service.create_registered_model("churn")
    service.create_model_version("churn", SOURCE)
    service.create_model_version("churn", SOURCE)
    service.set_registered_model_alias("churn", "champion", 1)
    service.rename_registered_model("churn", "churn-v2")
    service.set_registered_model_alias("churn-v2", "champion", 2)
    moved = clock.now
    service.create_registered_model("churn")  # a new model under the old name
    service.create_registered_model("gone")
    service.delete_registered_model("gone")
    live_ids = {"churn-v2", "churn"}
    with service.db.read() as conn:
        before = conn.execute(select(events).order_by(events.c.id)).all()
        heads = conn.execute(select(event_chains).order_by(event_chains.c.model_id)).all()

    migrations.downgrade(service.db.engine, "0004_wiregaps")
    migrations.upgrade(service.db.engine)

    with service.db.read() as conn:
        after = conn.execute(select(events).order_by(events.c.id)).all()
        heads_after = conn.execute(select(event_chains)).all()
    rebuilt = {row.id: row for row in after}
    for row in before:
        again = rebuilt[row.id]
        assert again.subject == row.subject
        if row.model_name in live_ids and row.type != "registered_model.deleted":
            assert (again.model_id, again.prev_hash, again.hash) == (
                row.model_id,
                row.prev_hash,
                row.hash,
            ), row.type
    # The deleted model's chain has an id no live model can have.
    (gone,) = {r.model_id for r in after if r.model_name == "gone"}
    assert gone is not None and gone < 0
    live_heads = {h.model_id for h in heads} - {
        r.model_id for r in before if r.model_name == "gone"
    }
    assert {h.model_id for h in heads_after} == live_heads | {gone}
    report = service.verify_events()
    assert report.ok and report.events == len(before) and report.chains == 3
    assert service.get_alias_at("churn-v2", "champion", moved) == "2"
