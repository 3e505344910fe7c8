"""SQLite specifics: one writer at a time across threads and processes, a connection per thread.

**Writers.** SQLite lets one transaction write at a time. A writer that finds the
database locked waits in SQLite's busy handler, which sleeps and retries (1, 2, 5, 10,
… 100 ms); under 8 concurrent writers that put the p99 of a write at 0.4–1.1 s. So
writers queue on a lock of their own instead and the next one starts as soon as the
previous commits: a thread lock inside the process, then an exclusive ``flock`` on a
lock file beside the database, which the server's worker processes (and any embedded
client on the same file) share. The kernel drops the ``flock`` of a process that dies,
whatever killed it. A process that holds it for longer than the busy timeout makes the
others give up with :class:`~modelreg.errors.TemporarilyUnavailable` (503).

**Connections.** Opening a connection, or checking one out of a pool, costs more than
a registry read on SQLite. Each thread keeps one connection for its life; it is closed
when the thread ends or the database is disposed. Its SQLAlchemy transaction is opened
once and stays open (so SQLAlchemy never begins or commits on its own), while the
units of work on it issue BEGIN, COMMIT and ROLLBACK on the driver
(``database._SqliteTransaction``).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from modelreg.errors import TemporarilyUnavailable

# Connection.info key of a thread's connection (the engine's "begin" hook skips it).
HELD = "modelreg_held"

# The longest a writer sleeps between two attempts at the file lock: the latency it adds
# when another process holds it (SQLite's own busy handler sleeps up to 100 ms). Short,
# so a waiting process gets its turn rather than the holder's next writer every time;
# one thread per process polls, a few thousand cheap system calls a second at most.
_MAX_POLL_S = 0.0002


def lock_path(database_path: str) -> str | None:
    """The writer lock file for a database file; None for an in-memory database."""
    if not database_path or database_path == ":memory:":
        return None
    return f"{database_path}.writer-lock"


class WriterLock:
    """One SQLite writer at a time: a thread lock, then a ``flock`` shared by processes."""

    def __init__(self, path: str | None, timeout_s: float) -> None:
        self._path = path
        self._timeout_s = timeout_s
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._fd_pid = 0

    def _file(self) -> int | None:
        if self._path is None:
            return None
        # A forked child must not share the parent's open file description: flock
        # belongs to it, so parent and child would each think they hold the lock.
        if self._fd is None or self._fd_pid != os.getpid():
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            self._fd_pid = os.getpid()
        return self._fd

    def _busy(self) -> TemporarilyUnavailable:
        return TemporarilyUnavailable(
            f"The registry database is busy: another writer held it for over {self._timeout_s:g} s."
        )

    def acquire(self) -> None:
        deadline = time.monotonic() + self._timeout_s
        if not self._thread_lock.acquire(timeout=self._timeout_s):
            raise self._busy()
        try:
            fd = self._file()
            if fd is not None:
                self._lock_file(fd, deadline)
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        try:
            if self._fd is not None and self._fd_pid == os.getpid():
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    @contextmanager
    def held(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def _lock_file(self, fd: int, deadline: float) -> None:
        # Poll instead of blocking in flock(2), so the wait is bounded; the thread lock
        # above means one thread per process polls.
        pause = 0.00005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise self._busy() from None
                time.sleep(pause)
                pause = min(pause * 2, _MAX_POLL_S)

    def close(self) -> None:
        if self._fd is not None and self._fd_pid == os.getpid():
            os.close(self._fd)
        self._fd = None


class ThreadConnections:
    """One open connection per thread, closed when its thread ends or on :meth:`close_all`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._local = threading.local()
        self._open: set[Connection] = set()
        self._lock = threading.Lock()

    def open_count(self) -> int:
        """How many thread connections are open (for /metrics)."""
        return len(self._open)

    def get(self) -> Connection:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is not None and not conn.closed and not conn.invalidated:
            return conn
        conn = self._engine.connect()
        conn.info[HELD] = True
        conn.begin()  # never committed: see the module docstring
        self._local.conn = conn
        with self._lock:
            self._open.add(conn)
        weakref.finalize(threading.current_thread(), self._release, conn)
        return conn

    def _release(self, conn: Connection) -> None:
        # A thread's end and close_all() may race (at shutdown the pool's threads end
        # while the database is disposed): whoever takes a connection out of the set
        # closes it, and only they, since a Connection must not be closed by two
        # threads at once.
        with self._lock:
            if conn not in self._open:
                return
            self._open.discard(conn)
        conn.close()

    def close_all(self) -> None:
        with self._lock:
            held, self._open = list(self._open), set()
        for conn in held:
            conn.close()
