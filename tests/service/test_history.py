"""History (docs/history.md): the event feed, time travel, rollback and the hash chain.

Runs on SQLite and, with MODELREG_TEST_BACKENDS, PostgreSQL and MariaDB (the ``service``
fixture): tampering by hand is detected on all three.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, event, select, update

from modelreg import events as ev
from modelreg.entities import STAGE_ARCHIVED, STAGE_NONE, STAGE_PRODUCTION, STAGE_STAGING
from modelreg.errors import InvalidArgument, NotFound
from modelreg.service import RegistryService, event_log
from modelreg.store.history import row_hash
from modelreg.store.registry import RegistryStore
from modelreg.store.tables import event_chains, events
from tests.conftest import FakeClock

SOURCE = "s3://bucket/models/churn"


def _model(service: RegistryService, name: str = "churn", versions: int = 3) -> None:
    service.create_registered_model(name)
    for _ in range(versions):
        service.create_model_version(name, SOURCE)


def _event_ids(service: RegistryService, **where: object) -> list[int]:
    return [e.id for e in service.search_events(**where)]  # type: ignore[arg-type]


# ------------------------------------------------------------------ pull feed
def test_feed_pages_in_id_order_and_resumes_from_the_last_id(service: RegistryService) -> None:
    _model(service, versions=4)
    first = service.search_events(max_results=3)
    assert [e.type for e in first] == ["registered_model.created"] + ["model_version.created"] * 2
    assert first.token == str(first[-1].id)
    rest = service.search_events(max_results=100, page_token=first.token)
    assert rest.token is None
    ids = [e.id for e in [*first, *rest]]
    assert ids == sorted(ids) and len(ids) == 5
    # A consumer that kept the last id sees only what came after it.
    service.set_registered_model_alias("churn", "champion", 2)
    new = service.search_events(page_token=str(ids[-1]))
    assert [(e.type, e.actor, e.model_name, e.version) for e in new] == [
        ("alias.set", "alice", "churn", 2)
    ]
    assert new[0].payload == {
        "name": "churn",
        "version": 2,
        "alias": "champion",
        "previous_version": None,
    }


def test_feed_filters(service: RegistryService, clock: FakeClock) -> None:
    _model(service, versions=2)
    _model(service, "fraud", versions=1)
    service.as_actor("bob").set_registered_model_alias("churn", "champion", 1)
    service.transition_model_version_stage("churn", 2, STAGE_STAGING)
    created = service.search_events(type="model_version.created")
    assert [(e.model_name, e.version) for e in created] == [
        ("churn", 1),
        ("churn", 2),
        ("fraud", 1),
    ]
    assert [e.type for e in service.search_events(actor="bob")] == ["alias.set"]
    assert [e.type for e in service.search_events(name="churn", version=2)] == [
        "model_version.created",
        "model_version.stage_transitioned",
    ]
    everything = service.search_events()
    middle = everything[2].timestamp
    assert [e.id for e in service.search_events(since=middle, until=middle)] == [everything[2].id]
    assert service.search_events(name="nobody") == []


def test_feed_follows_a_model_through_its_renames(service: RegistryService) -> None:
    _model(service, "old", versions=1)
    service.rename_registered_model("old", "new")
    service.set_registered_model_alias("new", "champion", 1)
    found = service.search_events(name="new")
    assert [(e.type, e.model_name) for e in found] == [
        ("registered_model.created", "old"),
        ("model_version.created", "old"),
        ("registered_model.renamed", "new"),
        ("alias.set", "new"),
    ]
    # A name no model has now selects the events recorded under it (a deleted model).
    service.delete_registered_model("new")
    assert [e.type for e in service.search_events(name="new")] == [
        "registered_model.renamed",
        "alias.set",
        "registered_model.deleted",
    ]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ({"max_results": 0}, "max_results"),
        ({"max_results": 1001}, "at most 1000"),
        ({"page_token": "abc"}, "page_token"),
        ({"page_token": "-1"}, "page_token"),
        ({"since": -5}, "since"),
        ({"until": "soon"}, "until"),
        ({"since": 10, "until": 5}, "after until"),
        ({"version": 1}, "version needs name"),
        ({"name": "churn", "version": "x"}, "version"),
        ({"type": "alias.moved"}, "Unknown event type"),
        ({"actor": ""}, "actor"),
    ],
)
def test_feed_parameters_are_validated(
    service: RegistryService, where: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        service.search_events(**where)  # type: ignore[arg-type]


# ---------------------------------------------------------------- time travel
def test_alias_at_follows_sets_deletes_and_version_deletions(
    service: RegistryService, clock: FakeClock
) -> None:
    _model(service, versions=3)
    before = clock.now
    service.set_registered_model_alias("churn", "champion", 1)
    at_one = clock.now
    service.set_registered_model_alias("churn", "champion", 2)
    at_two = clock.now
    service.delete_registered_model_alias("churn", "champion")
    deleted = clock.now
    service.set_registered_model_alias("churn", "champion", 3)
    at_three = clock.now
    service.delete_model_version("churn", 3)  # drops the alias with it
    after = clock.now
    with pytest.raises(NotFound, match="pointed nowhere"):
        service.get_alias_at("churn", "champion", before)
    assert service.get_alias_at("churn", "champion", at_one) == "1"
    assert service.get_alias_at("churn", "champion", at_two) == "2"
    with pytest.raises(NotFound):
        service.get_alias_at("churn", "champion", deleted)
    assert service.get_alias_at("churn", "champion", at_three) == "3"
    with pytest.raises(NotFound):
        service.get_alias_at("churn", "champion", after)
    with pytest.raises(NotFound, match="not found"):
        service.get_alias_at("nobody", "champion", after)
    with pytest.raises(InvalidArgument, match="timestamp"):
        service.get_alias_at("churn", "champion", -1)


def test_alias_at_follows_renames_and_ignores_a_deleted_namesake(
    service: RegistryService, clock: FakeClock
) -> None:
    _model(service, "churn", versions=2)
    service.set_registered_model_alias("churn", "champion", 2)
    set_at = clock.now
    service.rename_registered_model("churn", "churn-v2")
    # A new model under the old name has a history of its own.
    _model(service, "churn", versions=1)
    service.set_registered_model_alias("churn", "champion", 1)
    assert service.get_alias_at("churn-v2", "champion", set_at) == "2"
    with pytest.raises(NotFound):
        service.get_alias_at("churn", "champion", set_at)
    assert service.get_alias_at("churn", "champion", clock.now) == "1"


def test_alias_at_across_a_thousand_moves_reads_a_fixed_few_rows(
    service: RegistryService, clock: FakeClock
) -> None:
    _model(service, versions=5)
    marks: list[tuple[int, int]] = []
    for move in range(1000):
        version = move % 5 + 1
        service.set_registered_model_alias("churn", "champion", version)
        service.set_registered_model_alias("churn", f"other-{move % 7}", version)
        marks.append((clock.now, version))
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(service.db.engine, "before_cursor_execute", count)
    try:
        for at, version in marks[::97]:
            before = len(statements)
            assert service.get_alias_at("churn", "champion", at) == str(version)
            # Model id, incarnation start, last alias move, version deletions after it:
            # the same few indexed statements whatever the number of moves.
            assert len(statements) - before <= 4
    finally:
        event.remove(service.db.engine, "before_cursor_execute", count)


def test_alias_lookup_uses_the_model_subject_index_on_sqlite(service: RegistryService) -> None:
    if service.db.dialect != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    _model(service, versions=1)
    with service.db.read() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT * FROM events WHERE model_id = 1 AND subject = 'a' "
            "AND type IN ('alias.set', 'alias.deleted') AND id > 0 AND timestamp <= 5 "
            "ORDER BY id DESC LIMIT 1"
        ).all()
    assert "ix_events_model_id_subject_id" in " ".join(str(row) for row in plan)


def test_stage_versions_at(service: RegistryService, clock: FakeClock) -> None:
    _model(service, versions=3)
    created = clock.now
    service.transition_model_version_stage("churn", 1, STAGE_PRODUCTION)
    one_live = clock.now
    service.transition_model_version_stage("churn", 2, STAGE_PRODUCTION)
    two_live = clock.now
    service.transition_model_version_stage("churn", 3, STAGE_PRODUCTION, True)
    archived = clock.now
    service.delete_model_version("churn", 3)
    gone = clock.now

    def at(stage: str, when: int) -> list[str]:
        return service.get_stage_versions_at("churn", stage, when)

    assert at(STAGE_NONE, created) == ["1", "2", "3"]
    assert at(STAGE_PRODUCTION, created) == []
    assert at(STAGE_PRODUCTION, one_live) == ["1"]
    assert at(STAGE_PRODUCTION, two_live) == ["1", "2"]
    assert at("production", archived) == ["3"]
    assert at(STAGE_ARCHIVED, archived) == ["1", "2"]
    assert at(STAGE_PRODUCTION, gone) == []
    with pytest.raises(InvalidArgument, match="stage"):
        at("Live", gone)


# ------------------------------------------------------------------- rollback
def test_rollback_returns_the_alias_to_where_it_was(
    service: RegistryService, clock: FakeClock
) -> None:
    _model(service, versions=3)
    service.set_registered_model_alias("churn", "champion", 1)
    one = clock.now
    service.set_registered_model_alias("churn", "champion", 2)
    service.set_registered_model_alias("churn", "champion", 3)
    assert service.as_actor("oncall").rollback_alias("churn", "champion") == "2"
    assert service.get_model_version_by_alias("churn", "champion").version == "2"
    last = service.search_events(type="alias.rolled_back")[-1]
    assert (last.actor, last.version) == ("oncall", 2)
    assert last.payload == {
        "name": "churn",
        "version": 2,
        "alias": "champion",
        "from_version": 3,
        "to_timestamp": None,
    }
    # To a point in time, in one call.
    assert service.rollback_alias("churn", "champion", timestamp=one) == "1"
    assert service.get_model_version_by_alias("churn", "champion").version == "1"
    # Already there: nothing moves and nothing is recorded.
    count = len(service.search_events())
    assert service.rollback_alias("churn", "champion", timestamp=one) == "1"
    assert len(service.search_events()) == count
    # A rollback is an alias move for time travel too.
    assert service.get_alias_at("churn", "champion", clock.now) == "1"


def test_rollback_after_a_delete_restores_the_alias(service: RegistryService) -> None:
    _model(service, versions=2)
    service.set_registered_model_alias("churn", "champion", 2)
    service.delete_registered_model_alias("churn", "champion")
    assert service.rollback_alias("churn", "champion") == "2"
    assert service.get_model_version_by_alias("churn", "champion").version == "2"


def test_rollback_refusals(service: RegistryService, clock: FakeClock) -> None:
    _model(service, versions=3)
    with pytest.raises(NotFound, match="never been set"):
        service.rollback_alias("churn", "champion")
    service.set_registered_model_alias("churn", "champion", 1)
    with pytest.raises(InvalidArgument, match="pointed nowhere before"):
        service.rollback_alias("churn", "champion")
    service.set_registered_model_alias("churn", "champion", 2)
    service.delete_model_version("churn", 1)
    with pytest.raises(InvalidArgument, match="deleted"):
        service.rollback_alias("churn", "champion")
    with pytest.raises(NotFound, match="pointed nowhere"):
        service.rollback_alias("churn", "champion", timestamp=1)
    with pytest.raises(NotFound, match="not found"):
        service.rollback_alias("nobody", "champion")
    assert service.get_model_version_by_alias("churn", "champion").version == "2"


def test_the_rollback_exemption_cannot_be_claimed_for_a_new_holder(
    service: RegistryService,
) -> None:
    _model(service, versions=2)
    service.set_registered_model_alias("churn", "champion", 1)
    with service.db.write() as conn, pytest.raises(InvalidArgument, match="never held"):
        service._move_alias(
            RegistryStore(conn), "churn", "champion", 2, rollback_to_prior_holder=True
        )
    assert service.get_model_version_by_alias("churn", "champion").version == "1"


# ----------------------------------------------------------------- the chain
def _busy_registry(service: RegistryService) -> None:
    _model(service, "churn", versions=3)
    _model(service, "fraud", versions=2)
    service.set_registered_model_alias("churn", "champion", 2)
    service.transition_model_version_stage("fraud", 1, STAGE_PRODUCTION)
    service.rename_registered_model("fraud", "fraud-v2")
    service.set_registered_model_tag("churn", "team", "risk")


def _churn_events(service: RegistryService) -> list[int]:
    return [e.id for e in service.search_events(name="churn")]


def test_every_model_event_is_chained_and_verifies(service: RegistryService) -> None:
    _busy_registry(service)
    service.delete_registered_model("fraud-v2")
    report = service.verify_events()
    assert report.ok and report.breaks == ()
    assert report.chains == 2 and report.events == len(service.search_events())
    assert service.verify_events("churn").events == len(_churn_events(service))
    # A deleted model's chain is found by the name its events carry.
    assert service.verify_events("fraud-v2").ok
    with pytest.raises(NotFound):
        service.verify_events("nobody")
    with service.db.read() as conn:
        rows = conn.execute(select(events).order_by(events.c.id)).all()
    assert all(row.hash is not None and len(row.hash) == 64 for row in rows)
    assert rows[0].prev_hash is None and rows[1].prev_hash == rows[0].hash


def test_an_edited_row_is_named(service: RegistryService) -> None:
    _busy_registry(service)
    target = _churn_events(service)[2]
    with service.db.write() as conn:
        conn.execute(update(events).where(events.c.id == target).values(actor="mallory"))
    report = service.verify_events()
    assert not report.ok
    (broken,) = report.breaks
    assert (broken.model_name, broken.event_id) == ("churn", target)
    assert "edited" in broken.problem
    assert service.verify_events("fraud-v2").ok  # the other chain is intact


def test_an_edited_row_with_a_recomputed_hash_breaks_the_next_link(
    service: RegistryService,
) -> None:
    _busy_registry(service)
    ids = _churn_events(service)
    with service.db.write() as conn:
        conn.execute(update(events).where(events.c.id == ids[1]).values(payload="{}"))
        forged = conn.execute(select(events).where(events.c.id == ids[1])).one()
        conn.execute(update(events).where(events.c.id == ids[1]).values(hash=row_hash(forged)))
    (broken,) = service.verify_events("churn").breaks
    assert broken.event_id == ids[2] and "deleted, or its link edited" in broken.problem


def test_a_deleted_row_is_named(service: RegistryService) -> None:
    _busy_registry(service)
    ids = _churn_events(service)
    with service.db.write() as conn:
        conn.execute(delete(events).where(events.c.id == ids[1]))
    (broken,) = service.verify_events().breaks
    assert broken.event_id == ids[2] and "deleted" in broken.problem


def test_a_deleted_tail_is_named(service: RegistryService) -> None:
    _busy_registry(service)
    ids = _churn_events(service)
    with service.db.write() as conn:
        conn.execute(delete(events).where(events.c.id == ids[-1]))
    (broken,) = service.verify_events("churn").breaks
    assert broken.event_id is None and "at its end were deleted" in broken.problem
    with service.db.write() as conn:
        conn.execute(delete(event_chains))
    assert {b.problem for b in service.verify_events().breaks} == {
        "the chain's head row is missing"
    }


def test_tracking_events_are_not_chained(service: RegistryService) -> None:
    created = ev.ExperimentCreated(experiment_id="1", name="e", artifact_location="/a", tags={})
    with service.db.write() as conn:
        event_log.record(conn, "alice", 1, created)
    with service.db.read() as conn:
        row = conn.execute(select(events)).one()
    assert (row.model_id, row.hash, row.prev_hash) == (None, None, None)
    assert service.verify_events().ok


def test_concurrent_writers_keep_every_chain_linear(service: RegistryService) -> None:
    """Writers racing on one model append one after another (the chain head's row
    lock); writers on different models do not fork each other's chains."""
    import threading

    _model(service, "churn", versions=2)
    _model(service, "fraud", versions=2)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(name: str, worker: int) -> None:
        try:
            start.wait(timeout=30)
            for step in range(15):
                service.set_registered_model_tag(name, f"w{worker}", str(step))
                service.set_registered_model_alias(name, f"a{worker}", step % 2 + 1)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [
        threading.Thread(target=writer, args=(name, worker))
        for worker, name in enumerate(["churn", "churn", "fraud", "fraud"])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
        assert not thread.is_alive(), "a writer is stuck (deadlock?)"
    assert errors == []
    report = service.verify_events()
    assert report.ok, report.breaks
    assert report.events == 6 + 4 * 30


def test_a_model_reusing_a_deleted_models_id_has_its_own_history(
    service: RegistryService,
) -> None:
    """SQLite gives a new model the id of the deleted model with the largest id."""
    _model(service, "first", versions=1)
    service.delete_registered_model("first")
    _model(service, "second", versions=1)
    assert [e.type for e in service.search_events(name="second")] == [
        "registered_model.created",
        "model_version.created",
    ]
    assert service.verify_events().ok


def test_chaining_an_event_costs_two_statements(service: RegistryService) -> None:
    """A model's next event: one locked read of its chain head (found by name), one
    update of it. (The chain head's row lock is what serialises appends.)"""
    _model(service, versions=1)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(" ".join(str(args[2]).split()))

    event.listen(service.db.engine, "before_cursor_execute", count)
    try:
        service.set_registered_model_tag("churn", "team", "risk")
    finally:
        event.remove(service.db.engine, "before_cursor_execute", count)
    chain = [s for s in statements if "event_chains" in s]
    assert len(chain) == 2, chain
    assert chain[0].startswith("SELECT") and chain[1].startswith("UPDATE event_chains")
