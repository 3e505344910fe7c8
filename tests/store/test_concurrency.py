"""The registry's invariants under concurrent writers, on every enabled backend.

Version numbers come from a per-model counter under the model's row lock, and
promotions with ``archive_existing_versions`` serialise on the same lock
(DESIGN.md, "Performance budget"). These tests race many writers against one model
and check the outcome: versions 1..N with no gap or duplicate, exactly one version
in the target stage, and an event log that replays to the same state.

Every wait is bounded: a thread or process still running after ``LIVENESS_TIMEOUT``
fails the test as a deadlock (a liveness check, not a performance one).
"""

from __future__ import annotations

import multiprocessing
import queue
import random
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.synchronize import Barrier as ProcessBarrier
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from modelreg import events as ev
from modelreg.entities import STAGE_ARCHIVED, STAGE_NONE, STAGE_PRODUCTION, STAGE_STAGING, Event
from modelreg.service import RegistryService
from modelreg.store.database import Database
from modelreg.store.tables import registered_models

T = TypeVar("T")

LIVENESS_TIMEOUT = 180.0
SOURCE = "s3://bucket/models/churn"


# --------------------------------------------------------------------- helpers
def run_concurrently(
    work: Callable[[int], T], count: int, *, timeout: float = LIVENESS_TIMEOUT
) -> list[T]:
    """Run ``work(0..count-1)`` on ``count`` threads released together by a barrier.

    Returns the results in index order; re-raises the first error a thread hit and
    fails if any thread is still running after ``timeout`` seconds.
    """
    barrier = threading.Barrier(count)
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout)
            results[index] = work(index)
        except BaseException as error:  # reported to the test below
            errors.append(error)

    threads = [
        threading.Thread(target=run, args=(i,), name=f"writer-{i}", daemon=True)
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"threads still running after {timeout}s (deadlock?): {stuck}"
    if errors:
        raise errors[0]
    return [results[i] for i in range(count)]


@contextmanager
def databases(uri: str, count: int, *, shared: bool) -> Iterator[list[Database]]:
    """``count`` handles on ``uri``: one shared ``Database``, or one each."""
    if shared:
        one = Database(uri)
        handles = [one] * count
    else:
        handles = [Database(uri) for _ in range(count)]
    try:
        yield handles
    finally:
        for handle in {id(h): h for h in handles}.values():
            handle.dispose()


def version_counter(db: Database, name: str) -> int:
    with db.read() as conn:
        value = conn.execute(
            select(registered_models.c.last_version).where(registered_models.c.name == name)
        ).scalar_one()
    return int(value)


def all_versions(service: RegistryService, name: str) -> list[int]:
    found = service.search_model_versions(f"name = '{name}'", max_results=10_000)
    return sorted(mv.number for mv in found)


def model_events(service: RegistryService, name: str, type: str, after_id: int = 0) -> list[Event]:
    """Events of one type for one model, in id (commit) order."""
    found: list[Event] = []
    while True:
        page = service.list_events(after_id, limit=1000)
        found.extend(e for e in page if e.type == type and e.model_name == name)
        if len(page) < 1000:
            return found
        after_id = page[-1].id


def last_event_id(service: RegistryService) -> int:
    last = 0
    while page := service.list_events(last, limit=1000):
        last = page[-1].id
    return last


def stages(service: RegistryService, name: str) -> dict[int, str]:
    found = service.search_model_versions(f"name = '{name}'", max_results=10_000)
    return {mv.number: mv.current_stage for mv in found}


def replay_transitions(before: dict[int, str], events: Sequence[Event]) -> dict[int, str]:
    """Apply stage-transition events in order, checking each against the state so far.

    Every event must start from the stage the replay holds for its version, and must
    archive exactly the other versions then in the target stage: a lost update or two
    interleaved promotions would break one of these.
    """
    state = dict(before)
    for event in events:
        payload = event.payload
        version, target = payload["version"], payload["to_stage"]
        assert event.version == version
        assert payload["from_stage"] == state[version], (event, state)
        state[version] = target
        others_in_target = sorted(
            v for v, stage in state.items() if stage == target and v != version
        )
        assert sorted(payload["archived_versions"]) == others_in_target, (event, state)
        for archived in payload["archived_versions"]:
            state[archived] = STAGE_ARCHIVED
    return state


# ------------------------------------------------------ one model, many threads
@pytest.mark.parametrize("shared", [True, False], ids=["shared-db", "db-per-thread"])
def test_concurrent_create_model_version_allocates_1_to_n(
    database_uri: str, service: RegistryService, shared: bool
) -> None:
    writers = 50
    service.create_registered_model("churn")

    with databases(database_uri, writers, shared=shared) as handles:

        def create(index: int) -> int:
            writer = RegistryService(handles[index], actor=f"writer-{index}")
            made = writer.create_model_version("churn", SOURCE, tags={"i": str(index)})
            return made.number

        created = run_concurrently(create, writers)

    expected = list(range(1, writers + 1))
    assert sorted(created) == expected
    assert all_versions(service, "churn") == expected
    assert version_counter(service.db, "churn") == writers
    latest = service.get_latest_versions("churn", [STAGE_NONE])
    assert [mv.number for mv in latest] == [writers]

    created_events = model_events(service, "churn", ev.ModelVersionCreated.TYPE)
    assert sorted(e.version for e in created_events if e.version) == expected
    # Allocated under the model's lock, so the log holds them in allocation order.
    assert [e.version for e in created_events] == expected
    # Each event names the writer that got that version.
    by_version = {mv.number: mv for mv in service.search_model_versions("name='churn'")}
    for event in created_events:
        assert event.version is not None
        assert event.actor == by_version[event.version].user_id
        assert event.payload["tags"] == by_version[event.version].tags


@pytest.mark.parametrize("shared", [True, False], ids=["shared-db", "db-per-thread"])
def test_concurrent_promotions_leave_exactly_one_production(
    database_uri: str, service: RegistryService, shared: bool
) -> None:
    versions, rounds = 10, 3
    service.create_registered_model("churn")
    for _ in range(versions):
        service.create_model_version("churn", SOURCE)

    with databases(database_uri, versions, shared=shared) as handles:
        for round_number in range(rounds):
            before = stages(service, "churn")
            after_id = last_event_id(service)

            def promote(index: int) -> str:
                promoter = RegistryService(handles[index], actor=f"promoter-{index}")
                moved = promoter.transition_model_version_stage(
                    "churn", index + 1, STAGE_PRODUCTION, archive_existing_versions=True
                )
                return moved.current_stage

            assert run_concurrently(promote, versions) == [STAGE_PRODUCTION] * versions

            now = stages(service, "churn")
            production = [v for v, stage in now.items() if stage == STAGE_PRODUCTION]
            assert len(production) == 1, (round_number, now)
            others = {stage for v, stage in now.items() if v != production[0]}
            assert others == {STAGE_ARCHIVED}, now

            transitions = model_events(
                service, "churn", ev.ModelVersionStageTransitioned.TYPE, after_id
            )
            assert sorted(e.version for e in transitions if e.version) == list(
                range(1, versions + 1)
            )
            assert replay_transitions(before, transitions) == now
            # The last promotion to commit is the one left in Production.
            assert transitions[-1].version == production[0]
            latest = service.get_latest_versions("churn", [STAGE_PRODUCTION])
            assert [mv.number for mv in latest] == production


# --------------------------------------------------- many models, many threads
def test_concurrent_writes_to_many_models_do_not_deadlock(
    database_uri: str, service: RegistryService
) -> None:
    models, writers, per_writer = 12, 24, 6
    names = [f"model-{i:02d}" for i in range(models)]
    for name in names:
        service.create_registered_model(name)

    def work(index: int) -> list[tuple[str, int]]:
        # Each writer visits models in its own order, creating a version and then
        # promoting it, so writers cross each other's locks in every order.
        writer = RegistryService(service.db, actor=f"writer-{index}")
        order = random.Random(index).sample(names, k=per_writer)
        done = []
        for name in order:
            version = writer.create_model_version(name, SOURCE).number
            writer.transition_model_version_stage(
                name, version, STAGE_STAGING, archive_existing_versions=True
            )
            done.append((name, version))
        return done

    created = [pair for batch in run_concurrently(work, writers) for pair in batch]

    for name in names:
        mine = sorted(version for model, version in created if model == name)
        assert mine == list(range(1, len(mine) + 1)), name
        assert all_versions(service, name) == mine
        assert version_counter(service.db, name) == len(mine)
        if mine:
            staging = [v for v, s in stages(service, name).items() if s == STAGE_STAGING]
            assert len(staging) == 1, (name, staging)
    assert len(created) == writers * per_writer


# ---------------------------------------------------------- many processes
PROCESSES = 4


@pytest.fixture
def server_uri(database_uri: str) -> str:
    """The database for multi-process runs: every backend, SQLite included.

    SQLite writers in different processes (``modelreg server --workers N``, or an
    embedded client beside a server) queue on a file lock shared by all of them.
    """
    return database_uri


def _process_create_versions(
    uri: str, name: str, count: int, barrier: ProcessBarrier, results: Any
) -> None:
    """Child process: create ``count`` versions of ``name`` through its own Database."""
    try:
        db = Database(uri)
        try:
            service = RegistryService(db, actor=f"process-{multiprocessing.current_process().pid}")
            barrier.wait(LIVENESS_TIMEOUT)
            made = [service.create_model_version(name, SOURCE).number for _ in range(count)]
        finally:
            db.dispose()
        results.put(("ok", made))
    except BaseException:
        results.put(("error", traceback.format_exc()))


def _process_promote(
    uri: str,
    name: str,
    plan: list[int],
    barrier: ProcessBarrier,
    results: Any,
) -> None:
    """Child process: promote each version of ``plan``, one per barrier round."""
    try:
        db = Database(uri)
        try:
            service = RegistryService(db, actor=f"process-{multiprocessing.current_process().pid}")
            for version in plan:
                barrier.wait(LIVENESS_TIMEOUT)
                service.transition_model_version_stage(
                    name, version, STAGE_PRODUCTION, archive_existing_versions=True
                )
        finally:
            db.dispose()
        results.put(("ok", plan))
    except BaseException:
        results.put(("error", traceback.format_exc()))


def run_processes(
    target: Callable[..., None], per_process_args: list[tuple[Any, ...]]
) -> list[Any]:
    """Run ``target(*args, barrier, results)`` in one spawned process per args tuple.

    Returns what each process reported; fails on a child error or on a child still
    running after ``LIVENESS_TIMEOUT``.
    """
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(per_process_args))
    results = ctx.Queue()
    processes = [
        ctx.Process(target=target, args=(*args, barrier, results), daemon=True)
        for args in per_process_args
    ]
    for process in processes:
        process.start()
    reports: list[tuple[str, Any]] = []
    deadline = time.monotonic() + LIVENESS_TIMEOUT
    try:
        while len(reports) < len(processes):
            try:
                reports.append(results.get(timeout=1))
            except queue.Empty:
                # Each child reports before it exits: more exits than reports is a crash.
                exited = sum(not process.is_alive() for process in processes)
                if exited > len(reports) or time.monotonic() > deadline:
                    break
    finally:
        for process in processes:
            process.join(10 if len(reports) == len(processes) else 0)
            if process.is_alive():
                process.kill()
                process.join()
        results.close()
    exit_codes = [process.exitcode for process in processes]
    assert len(reports) == len(processes), (
        f"only {len(reports)} of {len(processes)} processes reported: crashed, or still "
        f"running after {LIVENESS_TIMEOUT}s (deadlock?); exit codes {exit_codes}"
    )
    failures = [detail for status, detail in reports if status != "ok"]
    assert not failures, "\n".join(failures)
    assert exit_codes == [0] * len(processes)
    return [detail for _, detail in reports]


@pytest.mark.backend
def test_processes_creating_versions_get_1_to_n(server_uri: str, service: RegistryService) -> None:
    per_process = 25
    service.create_registered_model("churn")

    made = run_processes(
        _process_create_versions,
        [(server_uri, "churn", per_process) for _ in range(PROCESSES)],
    )

    total = PROCESSES * per_process
    expected = list(range(1, total + 1))
    assert sorted(v for batch in made for v in batch) == expected
    for batch in made:  # each process saw its own versions increase
        assert batch == sorted(batch)
    assert all_versions(service, "churn") == expected
    assert version_counter(service.db, "churn") == total
    created_events = model_events(service, "churn", ev.ModelVersionCreated.TYPE)
    assert [e.version for e in created_events] == expected


@pytest.mark.backend
def test_processes_promoting_leave_exactly_one_production(
    server_uri: str, service: RegistryService
) -> None:
    rounds = 3
    versions = PROCESSES * rounds
    service.create_registered_model("churn")
    for _ in range(versions):
        service.create_model_version("churn", SOURCE)
    before = stages(service, "churn")
    # Process p promotes versions p+1, p+1+PROCESSES, ...: one each per round.
    plans = [list(range(p + 1, versions + 1, PROCESSES)) for p in range(PROCESSES)]

    run_processes(_process_promote, [(server_uri, "churn", plan) for plan in plans])

    now = stages(service, "churn")
    production = [v for v, stage in now.items() if stage == STAGE_PRODUCTION]
    assert len(production) == 1, now
    assert {stage for v, stage in now.items() if v != production[0]} == {STAGE_ARCHIVED}
    transitions = model_events(service, "churn", ev.ModelVersionStageTransitioned.TYPE)
    assert sorted(e.version for e in transitions if e.version) == list(range(1, versions + 1))
    assert replay_transitions(before, transitions) == now
    assert transitions[-1].version == production[0]
