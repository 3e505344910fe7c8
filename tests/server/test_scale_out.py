"""Scale-out: two ``modelreg server`` processes on one PostgreSQL database.

Two servers share a database and an artifact folder, as behind a load balancer.
Threads hammer them concurrently, alternating between the two, and the registry's
invariants must hold across processes, not just across threads of one process:

* ``create_model_version`` on one model, N times through both servers: versions 1..N
  exactly, no gap and no duplicate; one ``model_version.created`` event per version,
  in allocation order, naming the caller that got it;
* concurrent transitions to Production with ``archive_existing_versions=True`` through
  both servers: exactly one Production version afterwards, the others Archived, and the
  transition events replay, in commit order, to that state.

Runs only when ``MODELREG_TEST_BACKENDS`` includes ``postgresql`` (a fresh database per
run, ``tests/backends.py``), migrated with ``modelreg db upgrade``. Every wait is
bounded; the servers are terminated in a ``finally``. About 10 s.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from modelreg import events as ev
from modelreg.entities import STAGE_ARCHIVED, STAGE_NONE, STAGE_PRODUCTION, Event
from modelreg.service import RegistryService
from modelreg.store.database import Database
from tests.backends import enabled_backends, temporary_database
from tests.server.asgi import free_port
from tests.server.live import wait_healthy

pytestmark = [
    pytest.mark.backend,
    pytest.mark.skipif(
        "postgresql" not in enabled_backends(),
        reason="needs MODELREG_TEST_BACKENDS to include postgresql",
    ),
]

T = TypeVar("T")

API = "/api/2.0/mlflow"
MODEL = "scale-out"
SOURCE = "s3://bucket/models/scale-out"
VERSIONS = 60
CREATORS = 12  # threads; each makes VERSIONS // CREATORS versions
PROMOTERS = 12  # one thread per promoted version, per round
ROUNDS = 3
LIVENESS_TIMEOUT = 60.0


# --------------------------------------------------------------------- servers
def _start(uri: str, artifacts: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "modelreg.cli",
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--backend-store-uri",
        uri,
        "--artifacts-destination",
        str(artifacts),
        "--log-level",
        "warning",
        # The versions are s3:// references, stored only where allowed.
        "--allowed-source-schemes",
        "s3",
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=sink)
    return process, f"http://127.0.0.1:{port}"


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    wait_healthy(url, process, log)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with temporary_database("postgresql") as uri:
        subprocess.run(
            [sys.executable, "-m", "modelreg.cli", "db", "upgrade", "--backend-store-uri", uri],
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield uri


@pytest.fixture(scope="module")
def servers(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Two servers on the same database and artifact folder; their base URLs."""
    work = tmp_path_factory.mktemp("scale-out")
    artifacts = work / "artifacts"
    started: list[tuple[subprocess.Popen[bytes], str, Path]] = []
    try:
        for index in range(2):
            log = work / f"server-{index}.log"
            process, url = _start(database, artifacts, log)
            started.append((process, url, log))
        for process, url, log in started:
            _wait_ready(process, url, log)
        yield [url for _, url, _ in started]
    finally:
        for process, _, _ in started:
            _stop(process)


@pytest.fixture(scope="module")
def registry(database: str) -> Iterator[RegistryService]:
    """Direct access to the shared database, for reading the event rows."""
    db = Database(database)
    try:
        yield RegistryService(db, actor="test")
    finally:
        db.dispose()


# --------------------------------------------------------------------- helpers
def run_concurrently(work: Callable[[int], T], count: int) -> list[T]:
    """``work(0..count-1)`` on ``count`` threads released together; bounded in time."""
    barrier = threading.Barrier(count)
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(LIVENESS_TIMEOUT)
            results[index] = work(index)
        except BaseException as error:  # re-raised below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + LIVENESS_TIMEOUT
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = sum(thread.is_alive() for thread in threads)
    assert not stuck, f"{stuck} threads still running after {LIVENESS_TIMEOUT} s"
    if errors:
        raise errors[0]
    return [results[i] for i in range(count)]


def call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = client.request(method, f"{API}/{path}", **kwargs)
    assert response.status_code == 200, (method, path, response.status_code, response.text)
    body: dict[str, Any] = response.json()
    return body


def client_for(url: str, actor: str) -> httpx.Client:
    # The server attributes each change to the (unverified) Basic username it is sent.
    return httpx.Client(base_url=url, auth=(actor, "unused"), timeout=LIVENESS_TIMEOUT)


def stages(client: httpx.Client) -> dict[int, str]:
    found = call(
        client,
        "GET",
        "model-versions/search",
        params={"filter": f"name='{MODEL}'", "max_results": 1000},
    )
    return {int(mv["version"]): mv["current_stage"] for mv in found.get("model_versions", [])}


def model_events(registry: RegistryService, type: str, after_id: int = 0) -> list[Event]:
    found: list[Event] = []
    while page := registry.list_events(after_id, limit=1000):
        found.extend(e for e in page if e.type == type and e.model_name == MODEL)
        after_id = page[-1].id
    return found


def last_event_id(registry: RegistryService) -> int:
    last = 0
    while page := registry.list_events(last, limit=1000):
        last = page[-1].id
    return last


def replay(before: dict[int, str], transitions: Sequence[Event]) -> dict[int, str]:
    """Apply transition events in commit order; each must start from the replayed state."""
    state = dict(before)
    for event in transitions:
        payload = event.payload
        version, target = payload["version"], payload["to_stage"]
        assert payload["from_stage"] == state[version], (event, state)
        state[version] = target
        others = sorted(v for v, stage in state.items() if stage == target and v != version)
        assert sorted(payload["archived_versions"]) == others, (event, state)
        for archived in payload["archived_versions"]:
            state[archived] = STAGE_ARCHIVED
    return state


# ----------------------------------------------------------------------- tests
def test_versions_allocated_1_to_n_across_two_servers(
    servers: list[str], registry: RegistryService
) -> None:
    with client_for(servers[0], "setup") as client:
        call(client, "POST", "registered-models/create", json={"name": MODEL})
    per_thread = VERSIONS // CREATORS

    def create(index: int) -> list[tuple[int, str, int]]:
        actor = f"creator-{index}"
        made = []
        clients = [client_for(url, actor) for url in servers]
        try:
            for n in range(per_thread):
                which = (index + n) % 2  # alternate between the two servers
                body = call(
                    clients[which],
                    "POST",
                    "model-versions/create",
                    json={"name": MODEL, "source": SOURCE},
                )
                made.append((int(body["model_version"]["version"]), actor, which))
        finally:
            for client in clients:
                client.close()
        return made

    created = [row for rows in run_concurrently(create, CREATORS) for row in rows]

    expected = list(range(1, VERSIONS + 1))
    assert sorted(version for version, _, _ in created) == expected
    assert {which for _, _, which in created} == {0, 1}
    for url in servers:  # both servers see the same versions
        with client_for(url, "check") as client:
            assert sorted(stages(client)) == expected
            latest = call(
                client,
                "POST",
                "registered-models/get-latest-versions",
                json={"name": MODEL, "stages": [STAGE_NONE]},
            )
            assert [mv["version"] for mv in latest["model_versions"]] == [str(VERSIONS)]

    events = model_events(registry, ev.ModelVersionCreated.TYPE)
    # One event per version, committed in allocation order, naming the caller.
    assert [e.version for e in events] == expected
    actor_of = {version: actor for version, actor, _ in created}
    assert {e.version: e.actor for e in events} == actor_of


def test_concurrent_promotions_leave_one_production_across_two_servers(
    servers: list[str], registry: RegistryService
) -> None:
    with client_for(servers[0], "check") as client:
        if not stages(client):  # when run on its own
            call(client, "POST", "registered-models/create", json={"name": MODEL})
            for _ in range(PROMOTERS):
                call(
                    client,
                    "POST",
                    "model-versions/create",
                    json={"name": MODEL, "source": SOURCE},
                )
        before = stages(client)
    assert len(before) >= PROMOTERS

    for round_number in range(ROUNDS):
        after_id = last_event_id(registry)
        # A different set of versions each round, so every round archives something.
        targets = [1 + (round_number * PROMOTERS + i) % len(before) for i in range(PROMOTERS)]

        def promote(index: int, targets: list[int] = targets) -> str:
            url = servers[index % 2]
            with client_for(url, f"promoter-{index}") as client:
                body = call(
                    client,
                    "POST",
                    "model-versions/transition-stage",
                    json={
                        "name": MODEL,
                        "version": str(targets[index]),
                        "stage": STAGE_PRODUCTION,
                        "archive_existing_versions": True,
                    },
                )
            return str(body["model_version"]["current_stage"])

        assert run_concurrently(promote, PROMOTERS) == [STAGE_PRODUCTION] * PROMOTERS

        for url in servers:
            with client_for(url, "check") as client:
                now = stages(client)
                production = [v for v, stage in now.items() if stage == STAGE_PRODUCTION]
                assert len(production) == 1, (round_number, url, production)
                latest = call(
                    client,
                    "POST",
                    "registered-models/get-latest-versions",
                    json={"name": MODEL, "stages": [STAGE_PRODUCTION]},
                )
                assert [mv["version"] for mv in latest["model_versions"]] == [str(production[0])]
        assert {stage for v, stage in now.items() if v in targets and v != production[0]} == {
            STAGE_ARCHIVED
        }

        transitions = model_events(registry, ev.ModelVersionStageTransitioned.TYPE, after_id)
        assert sorted(e.version for e in transitions if e.version) == sorted(targets)
        assert {e.actor for e in transitions} == {f"promoter-{i}" for i in range(PROMOTERS)}
        assert replay(before, transitions) == now
        # The promotion that committed last is the one left in Production.
        assert transitions[-1].version == production[0]
        before = now
