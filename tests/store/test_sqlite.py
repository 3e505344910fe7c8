"""SQLite specifics: the writer lock is shared by processes; each thread keeps a connection.

The server's worker processes (``--workers N``) and any embedded client on the same
file are separate processes: a writer lock that only threads of one process share
would let them all reach SQLite's sleeping busy handler at once. The lock is a
``flock`` on a file beside the database, which the kernel also drops for a process
that dies, whatever killed it.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import signal
import threading
import time
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

import pytest

from modelreg.errors import TemporarilyUnavailable
from modelreg.service import RegistryService
from modelreg.store.database import Database
from modelreg.store.sqlite import WriterLock, lock_path

WAIT = 60.0  # liveness bound for child processes, never a performance figure


def _hold_write(uri: str, ready: Pipe, release: Pipe) -> None:
    """Child process: open a write transaction and keep it until told (or killed)."""
    db = Database(uri)
    with db.write():
        ready.send("holding")
        release.poll(WAIT)
    db.dispose()


def _start_holder(uri: str) -> tuple[multiprocessing.process.BaseProcess, Pipe]:
    ctx = multiprocessing.get_context("spawn")
    ready_recv, ready_send = ctx.Pipe(duplex=False)
    release_recv, release_send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_hold_write, args=(uri, ready_send, release_recv), daemon=True)
    child.start()
    assert ready_recv.poll(WAIT), "the child never opened its write transaction"
    assert ready_recv.recv() == "holding"
    return child, release_send


def _lock_is_free(path: str) -> bool:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # also releases the lock if we got it
    return True


@pytest.fixture
def sqlite_uri(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'registry.db'}"
    db = Database(uri)
    db.ensure_schema()
    db.dispose()
    return uri


def test_a_writer_in_another_process_holds_the_file_lock(sqlite_uri: str) -> None:
    path = lock_path(sqlite_uri.removeprefix("sqlite:///"))
    assert path is not None
    child, release = _start_holder(sqlite_uri)
    try:
        assert not _lock_is_free(path)
    finally:
        release.send("go")
        child.join(WAIT)
    assert child.exitcode == 0
    assert _lock_is_free(path)


def test_a_writer_waits_for_another_process_and_then_writes(sqlite_uri: str) -> None:
    db = Database(sqlite_uri)
    service = RegistryService(db, actor="parent")
    child, release = _start_holder(sqlite_uri)
    done = threading.Event()

    def write() -> None:
        service.create_registered_model("churn")
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert not done.wait(0.3), "wrote while another process held the write lock"
    finally:
        release.send("go")
        child.join(WAIT)
        writer.join(WAIT)
    assert done.is_set()
    assert service.get_registered_model("churn").name == "churn"
    db.dispose()


def test_the_lock_of_a_killed_writer_is_released(sqlite_uri: str) -> None:
    path = lock_path(sqlite_uri.removeprefix("sqlite:///"))
    assert path is not None
    child, _release = _start_holder(sqlite_uri)
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)
    child.join(WAIT)
    assert _lock_is_free(path)
    db = Database(sqlite_uri)
    RegistryService(db).create_registered_model("after-the-crash")
    db.dispose()


def test_a_writer_gives_up_after_the_busy_timeout(tmp_path: Path) -> None:
    path = str(tmp_path / "db.writer-lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)  # this open file description stands for another process
    try:
        lock = WriterLock(path, timeout_s=0.2)
        with pytest.raises(TemporarilyUnavailable, match="busy"):
            lock.acquire()
        lock.close()
    finally:
        os.close(fd)


def test_after_giving_up_a_writer_gets_the_lock_once_it_is_free(tmp_path: Path) -> None:
    # The helper thread still waits for the lock the first writer gave up on; when it
    # gets it, it lets go, and the next writer's lock is really held.
    path = str(tmp_path / "db.writer-lock")
    other = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # stands for another process
    fcntl.flock(other, fcntl.LOCK_EX)
    lock = WriterLock(path, timeout_s=0.2)
    try:
        with pytest.raises(TemporarilyUnavailable, match="busy"):
            lock.acquire()
        fcntl.flock(other, fcntl.LOCK_UN)
        with lock.held():
            assert not _lock_is_free(path), "the writer runs without holding the file lock"
            time.sleep(0.05)  # time for a late release of the abandoned wait, if any
            assert not _lock_is_free(path), "the abandoned wait let go of the writer's lock"
        assert _lock_is_free(path)
    finally:
        lock.close()
        os.close(other)


def test_a_waiting_writer_gets_the_lock_as_soon_as_it_is_released(tmp_path: Path) -> None:
    path = str(tmp_path / "db.writer-lock")
    other = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(other, fcntl.LOCK_EX)
    lock = WriterLock(path, timeout_s=WAIT)
    got = threading.Event()

    def writer() -> None:
        with lock.held():
            got.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert not got.wait(0.2), "got the lock while another process held it"
        fcntl.flock(other, fcntl.LOCK_UN)
        assert got.wait(WAIT)
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        thread.join(WAIT)
        lock.close()
        os.close(other)
    assert _lock_is_free(path)


def test_writes_from_every_thread_go_through_one_connection(sqlite_uri: str) -> None:
    db = Database(sqlite_uri)
    seen: list[int] = []

    def write() -> None:
        with db.write() as conn:
            seen.append(id(conn))

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    write()
    with db.read() as conn:
        reader = id(conn)
    assert len(seen) == 5 and len(set(seen)) == 1
    assert reader not in seen  # reads keep their thread's connection
    db.dispose()


def test_the_writer_connection_is_opened_again_after_dispose(sqlite_uri: str) -> None:
    db = Database(sqlite_uri)
    service = RegistryService(db)
    service.create_registered_model("before")
    db.dispose()
    service.create_registered_model("after")
    assert {m.name for m in service.search_registered_models()} == {"before", "after"}
    db.dispose()


def test_no_lock_file_for_an_in_memory_database() -> None:
    assert lock_path(":memory:") is None
    assert lock_path("") is None


def test_each_thread_keeps_one_connection(sqlite_uri: str) -> None:
    db = Database(sqlite_uri)
    seen: dict[str, list[int]] = {}

    def reads(name: str) -> None:
        for _ in range(3):
            with db.read() as conn:
                seen.setdefault(name, []).append(id(conn.connection.dbapi_connection))

    threads = [threading.Thread(target=reads, args=(f"t{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert all(len(set(ids)) == 1 for ids in seen.values())
    assert len({ids[0] for ids in seen.values()}) == 3
    db.dispose()


def test_a_thread_connection_is_closed_when_its_thread_ends(sqlite_uri: str) -> None:
    db = Database(sqlite_uri)
    held = []

    def read() -> None:
        with db.read() as conn:
            held.append(conn)

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(WAIT)
    del thread
    deadline = time.monotonic() + WAIT
    while not held[0].closed and time.monotonic() < deadline:
        import gc

        gc.collect()
        time.sleep(0.01)
    assert held[0].closed
    db.dispose()


def test_a_failed_unit_of_work_rolls_back_and_the_connection_goes_on(sqlite_uri: str) -> None:
    db = Database(sqlite_uri)
    service = RegistryService(db)
    service.create_registered_model("churn")
    with pytest.raises(RuntimeError), db.write() as conn:
        conn.exec_driver_sql("UPDATE registered_models SET description = 'x'")
        raise RuntimeError("boom")
    assert service.get_registered_model("churn").description == ""
    service.update_registered_model("churn", "kept")
    assert service.get_registered_model("churn").description == "kept"
    db.dispose()


def test_a_thread_ending_while_the_database_is_disposed_closes_its_connection_once(
    sqlite_uri: str,
) -> None:
    # At shutdown the server's pool threads end on their own (the pool is shut down
    # without waiting) while the app disposes the database: a thread's end closed its
    # connection while dispose() was closing the same one, and dispose() then failed
    # with "Cannot operate on a closed database". Reproduced deterministically: the
    # thread's end runs just as dispose() rolls the connection back.
    db = Database(sqlite_uri)
    with db.read() as conn:
        pass
    driver: Any = conn.connection.dbapi_connection
    ended = []

    def rollback() -> None:
        if not ended:
            ended.append(True)
            db._connections._release(conn)  # what the thread's finalizer runs
        type(driver).rollback(driver)

    driver.rollback = rollback
    db.dispose()
    assert ended and conn.closed
