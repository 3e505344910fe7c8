"""Fixtures for webhook tests: settings that allow loopback receivers, a worker."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from modelreg.config import WebhookSettings
from modelreg.service import RegistryService
from modelreg.service.webhooks import DeliveryWorker, WebhookService
from modelreg.store.database import Database


class MovableClock:
    """Real time plus an offset a test can move forward (to make retries due)."""

    def __init__(self) -> None:
        self.offset = 0

    def __call__(self) -> int:
        return time.time_ns() // 1_000_000 + self.offset

    def advance(self, ms: int) -> None:
        self.offset += ms


# Loopback receivers need http and private addresses: tests opt in here, never by default.
LOOPBACK = WebhookSettings(
    allowed_schemes=frozenset({"http", "https"}),
    allow_private_ips=True,
    secret_key="test key",
    max_attempts=3,
    disable_after=0,
    connect_timeout_s=2,
    read_timeout_s=5,
)


@pytest.fixture
def wclock() -> MovableClock:
    return MovableClock()


@pytest.fixture(autouse=True)
def _aligned_cursor(request: pytest.FixtureRequest) -> None:
    """On a truncated PostgreSQL/MariaDB database the ids go on from earlier tests while
    the cursor restarts at 0; a real database starts its cursor at its newest event
    (migration 0008). Put it there, so the first event is not behind a "hole"."""
    if "db" not in request.fixturenames:
        return
    db: Database = request.getfixturevalue("db")
    if db.dialect == "sqlite":
        return
    from modelreg.events import WebhookDeleted
    from modelreg.service import event_log
    from modelreg.store.webhooks import WebhookStore

    with db.write() as conn:
        event_log.record(conn, "test", 0, WebhookDeleted(webhook_id="-", name="align"))
        store = WebhookStore(conn)
        store.move_cursor(store.events_after(0, 1_000_000)[-1].id)


@pytest.fixture
def hooks(db: Database, wclock: MovableClock) -> WebhookService:
    return WebhookService(db, LOOPBACK, actor="alice", clock=wclock)


@pytest.fixture
def reg(db: Database, wclock: MovableClock) -> RegistryService:
    return RegistryService(db, actor="alice", clock=wclock)


@pytest.fixture
def make_worker(db: Database, wclock: MovableClock) -> Iterator[object]:
    made: list[DeliveryWorker] = []

    def make(settings: WebhookSettings = LOOPBACK, name: str | None = None) -> DeliveryWorker:
        worker = DeliveryWorker(db, settings, name=name, clock=wclock)
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.stop()


def drain(worker: DeliveryWorker, rounds: int = 20) -> int:
    """Tick until nothing is left to do now; the work done."""
    total = 0
    for _ in range(rounds):
        done = worker.run_once()
        total += done
        if not done:
            break
    return total


@pytest.fixture
def live_webhook_server(tmp_path: object, sqlite_uri: str) -> Iterator[str]:
    """A modelreg server (uvicorn thread) whose in-process worker may reach loopback."""
    import threading
    from pathlib import Path

    import uvicorn

    from modelreg.config import Settings
    from modelreg.server import ServerSettings, create_app
    from tests.server.asgi import free_port

    root = Path(str(tmp_path)) / "artifacts"
    settings = Settings(
        tracking_uri=sqlite_uri,
        artifact_root=str(root),
        webhooks=LOOPBACK_FAST,
        allowed_source_schemes=frozenset({"s3"}),  # the tests' s3:// sources are references
    )
    app = create_app(settings, ServerSettings())
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


LOOPBACK_FAST = WebhookSettings(
    allowed_schemes=frozenset({"http", "https"}),
    allow_private_ips=True,
    secret_key="test key",
    poll_interval_s=0.05,
)
