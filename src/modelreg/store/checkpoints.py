"""SQLite's WAL checkpoints, moved off the writers' path onto a thread of their own.

In WAL mode a commit appends pages to the ``-wal`` file; a *checkpoint* copies them
back into the database file and syncs both. SQLite runs one itself inside the commit
that takes the WAL past 1,000 pages, so every hundredth or so write paid for copying
and syncing everyone's pages: measured on ``create_model_version``, a commit's median
was 64 µs but its mean 134 µs and its p99 3.7 ms, which was the p99 of a write
through the server.

Here each process that writes keeps a checkpoint thread. Commits tell it they
happened (:meth:`Checkpointer.committed`, a counter and, now and then, an event); it
runs a ``PASSIVE`` checkpoint on a connection of its own at most every
``interval_s``, which never blocks a reader or a writer (SQLite lets a checkpoint run
beside both) and happens while no commit waits for it. SQLite's own automatic
checkpoint stays on with a high threshold (``SAFETY_NET_PAGES``) in case this thread
falls far behind. The thread ends after ``idle_exit_s`` without commits (after a last
checkpoint) and starts again with the next commit, so an idle or disposed database
keeps no thread.

What survives a power loss is unchanged (docs/configuration.md): with
``synchronous=NORMAL`` the WAL is synced at checkpoints, whoever runs them.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, Final

logger = logging.getLogger("modelreg.store")

# SQLite's automatic checkpoint threshold in pages (4 KiB each; its default is 1,000):
# reached only if the checkpoint thread falls this far behind.
SAFETY_NET_PAGES: Final = 20_000


class Checkpointer:
    """Runs PASSIVE checkpoints for one SQLite database on a thread of this process.

    ``connect`` opens a new DB-API connection to the database (with its pragmas).
    """

    def __init__(
        self,
        connect: Callable[[], Any],
        *,
        interval_s: float = 0.1,
        idle_exit_s: float = 10.0,
    ) -> None:
        self._connect = connect
        self._interval_s = interval_s
        self._idle_exit_s = idle_exit_s
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pending = 0
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.checkpoints = 0  # how many ran

    def committed(self) -> None:
        """A write transaction committed (called by the writer, with the lock held)."""
        with self._lock:
            self._pending += 1
            if self._stop.is_set():
                return
            running = self._thread is not None and self._pid == os.getpid()
            if not running:
                # A forked child has no thread of its parent's: start its own.
                self._thread = threading.Thread(
                    target=self._run, name="modelreg-checkpoints", daemon=True
                )
                self._pid = os.getpid()
                self._thread.start()
            elif self._pending == 1:
                self._wake.set()

    def _take_pending(self) -> int:
        with self._lock:
            pending, self._pending = self._pending, 0
            return pending

    def _run(self) -> None:
        conn: Any = None
        try:
            conn = self._connect()
            while not self._stop.is_set():
                self._wake.clear()
                if self._take_pending():
                    self._checkpoint(conn)
                    # Let commits gather: one checkpoint per interval at most.
                    self._stop.wait(self._interval_s)
                    continue
                # Nothing to do: wait for a commit, or leave once idle for long.
                if not self._wake.wait(self._idle_exit_s):
                    with self._lock:
                        if self._pending == 0:
                            self._thread = None  # the next commit starts a new one
                            return
        except Exception:
            # A checkpoint that cannot run is not a failed write: SQLite's own
            # automatic checkpoint (SAFETY_NET_PAGES) still bounds the WAL.
            logger.warning("WAL checkpoint thread stopped", exc_info=True)
            with self._lock:
                self._thread = None
        finally:
            if conn is not None:
                conn.close()

    def _checkpoint(self, conn: Any) -> None:
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.OperationalError:
            # Busy (another process checkpoints) or interrupted: the next one catches up.
            return
        self.checkpoints += 1

    def stop(self) -> None:
        """End the thread after any checkpoint it is running; later commits start none."""
        self._stop.set()
        self._wake.set()
