"""SQLite specifics: one writer at a time across threads and processes, and its connections.

**Writers.** SQLite lets one transaction write at a time. A writer that finds the
database locked waits in SQLite's busy handler, which sleeps and retries (1, 2, 5, 10,
… 100 ms); under 8 concurrent writers that put the p99 of a write at 0.4–1.1 s. So
writers queue on a lock of their own instead and the next one starts as soon as the
previous commits: a thread lock inside the process, then an exclusive ``flock`` on a
lock file beside the database, which the server's worker processes (and any embedded
client on the same file) share. The kernel drops the ``flock`` of a process that dies,
whatever killed it. A process that holds it for longer than the busy timeout makes the
others give up with :class:`~modelreg.errors.TemporarilyUnavailable` (503).

A process that finds the file lock taken waits for it in the kernel, which wakes it the
moment the holder lets go; the wait happens on a helper thread (:class:`_FileLockWaiter`)
so that the writer can give up after the busy timeout, which a blocking ``flock`` cannot.
(Polling with sleeps instead left the processes taking turns late: 8 connections served
fewer writes than 1.)

**Connections.** Opening a connection, or checking one out of a pool, costs more than
a registry read on SQLite. Each thread keeps one connection for its life for reads; it
is closed when the thread ends or the database is disposed. Writes all go through one
connection per process (:class:`WriterConnection`), used only while the writer lock is
held: a connection that has not seen the last commits must re-read every page they
changed, and spreading a process's writes over its threads' connections cost about
100 µs a write. A connection's SQLAlchemy transaction is opened once and stays open (so
SQLAlchemy never begins or commits on its own), while the units of work on it issue
BEGIN, COMMIT and ROLLBACK on the driver (``database._SqliteTransaction``).
"""

from __future__ import annotations

import fcntl
import os
import queue
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from modelreg.errors import TemporarilyUnavailable

# Connection.info key of a thread's connection (the engine's "begin" hook skips it).
HELD = "modelreg_held"


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
        self._waiter: _FileLockWaiter | None = None

    def _file(self) -> int | None:
        if self._path is None:
            return None
        # A forked child must not share the parent's open file description: flock
        # belongs to it, so parent and child would each think they hold the lock.
        if self._fd is None or self._fd_pid != os.getpid():
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            self._fd_pid = os.getpid()
            self._waiter = None  # a forked child has no helper thread
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
        waiter = self._waiter
        # Not while the helper still works on a request a writer gave up on: a lock it
        # got for that one (and is about to let go) would look like ours.
        if waiter is None or waiter.idle():
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
        # Another process writes: wait for it in the kernel. The thread lock above means
        # one thread per process is here at a time.
        if self._waiter is None:
            self._waiter = _FileLockWaiter(fd)
        if not self._waiter.wait_for(max(deadline - time.monotonic(), 0.0)):
            raise self._busy()

    def close(self) -> None:
        if self._fd is not None and self._fd_pid == os.getpid():
            os.close(self._fd)
            if self._waiter is not None:
                self._waiter.stop()
        self._fd = None
        self._waiter = None


class _FileLockRequest:
    __slots__ = ("abandoned", "done", "error", "guard")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.guard = threading.Lock()
        self.abandoned = False
        self.error: OSError | None = None


class _FileLockWaiter:
    """A helper thread that waits in ``flock(LOCK_EX)`` for the writers of one process.

    A writer hands it a request and waits on an event with the time it has left. If the
    time runs out first, the request is abandoned, and the helper lets go of the lock as
    soon as it gets it.
    """

    def __init__(self, fd: int) -> None:
        # A duplicate shares the lock file's open file description, and so its flock,
        # but stays valid (and cannot be reused for another file) until the helper ends.
        self._fd = os.dup(fd)
        self._requests: queue.SimpleQueue[_FileLockRequest | None] = queue.SimpleQueue()
        self._count_lock = threading.Lock()
        self._outstanding = 0
        # A daemon: it may be blocked in flock at exit, holding up nothing of value.
        threading.Thread(target=self._serve, name="modelreg-writer-lock", daemon=True).start()

    def wait_for(self, timeout_s: float) -> bool:
        """Whether this process got the lock within ``timeout_s`` seconds."""
        request = _FileLockRequest()
        with self._count_lock:
            self._outstanding += 1
        self._requests.put(request)
        if not request.done.wait(timeout_s):
            with request.guard:
                if not request.done.is_set():
                    request.abandoned = True
                    return False
        if request.error is not None:
            raise request.error
        return True

    def _serve(self) -> None:
        while (request := self._requests.get()) is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except OSError as error:
                request.error = error
            with request.guard:
                if request.abandoned:
                    if request.error is None:
                        fcntl.flock(self._fd, fcntl.LOCK_UN)
                else:
                    request.done.set()
            with self._count_lock:
                self._outstanding -= 1
        os.close(self._fd)

    def stop(self) -> None:
        """End the helper thread once it is done with what it was asked."""
        self._requests.put(None)

    def idle(self) -> bool:
        """No request is queued or being worked on (one abandoned may still be)."""
        with self._count_lock:
            return self._outstanding == 0


class WriterConnection:
    """The one connection a process writes through, used only while the writer lock is held."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None
        self._pid = 0

    def get(self) -> Connection:
        """The connection (opened on first use, again after it broke or a fork); call it
        with the writer lock held."""
        conn = self._conn
        if conn is not None and self._pid == os.getpid() and not conn.closed:
            if not conn.invalidated:
                return conn
            conn.close()
        # A forked child leaves its parent's connection alone (SQLite's rule: never use
        # a connection across fork) and opens its own.
        conn = self._engine.connect()
        conn.info[HELD] = True
        conn.begin()  # never committed: see the module docstring
        self._conn, self._pid = conn, os.getpid()
        return conn

    def open_count(self) -> int:
        """1 while its connection is open in this process, else 0 (for /metrics)."""
        conn = self._conn
        return int(conn is not None and self._pid == os.getpid() and not conn.closed)

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None


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
