"""WAL checkpoints on a thread of their own, off the writers' path."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelreg.errors import RegistryError
from modelreg.service import RegistryService
from modelreg.store.checkpoints import SAFETY_NET_PAGES, Checkpointer
from modelreg.store.database import Database

WAIT = 30.0  # liveness bound, never a performance figure


def _until(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


class _Recorder:
    """A DB-API-shaped connection that records the statements it is given."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.closed = False

    def execute(self, sql: str) -> _Recorder:
        self.statements.append(sql)
        return self

    def fetchall(self) -> list[Any]:
        return [(0, 0, 0)]

    def close(self) -> None:
        self.closed = True


def test_commits_lead_to_a_passive_checkpoint_on_the_thread() -> None:
    conn = _Recorder()
    keeper = Checkpointer(lambda: conn, interval_s=0.01, idle_exit_s=WAIT)
    try:
        keeper.committed()
        assert _until(lambda: keeper.checkpoints >= 1)
        assert conn.statements[0] == "PRAGMA wal_checkpoint(PASSIVE)"
    finally:
        keeper.stop()


def test_many_commits_share_a_checkpoint() -> None:
    conn = _Recorder()
    keeper = Checkpointer(lambda: conn, interval_s=0.5, idle_exit_s=WAIT)
    try:
        for _ in range(200):
            keeper.committed()
        assert _until(lambda: keeper.checkpoints >= 1)
        time.sleep(0.05)
        assert keeper.checkpoints <= 2  # one per interval, not one per commit
    finally:
        keeper.stop()


def test_an_idle_thread_ends_and_the_next_commit_starts_another() -> None:
    opened: list[_Recorder] = []

    def connect() -> _Recorder:
        opened.append(_Recorder())
        return opened[-1]

    keeper = Checkpointer(connect, interval_s=0.01, idle_exit_s=0.05)
    try:
        keeper.committed()
        assert _until(lambda: bool(opened) and opened[0].closed)  # ended, connection closed
        keeper.committed()
        assert _until(lambda: len(opened) == 2 and keeper.checkpoints >= 2)
    finally:
        keeper.stop()


def test_after_stop_commits_start_no_thread() -> None:
    opened: list[_Recorder] = []
    keeper = Checkpointer(lambda: opened.append(_Recorder()) or opened[-1], interval_s=0.01)
    keeper.stop()
    keeper.committed()
    time.sleep(0.05)
    assert opened == []


def test_a_thread_that_cannot_connect_stops_and_a_later_commit_tries_again() -> None:
    attempts: list[int] = []

    def connect() -> _Recorder:
        attempts.append(1)
        if len(attempts) == 1:
            raise sqlite3.OperationalError("unable to open database file")
        return _Recorder()

    keeper = Checkpointer(connect, interval_s=0.01, idle_exit_s=WAIT)
    try:
        keeper.committed()
        assert _until(lambda: len(attempts) == 1 and keeper._thread is None)
        keeper.committed()
        assert _until(lambda: keeper.checkpoints >= 1)
    finally:
        keeper.stop()


def test_writes_are_checkpointed_without_sqlites_own_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "registry.db"
    db = Database(f"sqlite:///{path}")
    service = RegistryService(db)
    service.create_registered_model("churn")
    with db.read() as conn:
        pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    assert pages == SAFETY_NET_PAGES  # SQLite's own only far behind
    keeper = db._checkpointer
    before = keeper.checkpoints
    for n in range(20):
        service.create_model_version("churn", f"file:///tmp/m{n}")
    assert _until(lambda: keeper.checkpoints > before)
    db.dispose()


def test_an_in_memory_database_is_refused_with_what_to_use_instead(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RegistryError, match=r"in-memory SQLite .* sqlite:///path"):
        Database("sqlite:///:memory:")
    assert list(tmp_path.iterdir()) == []  # no lock file, no database
