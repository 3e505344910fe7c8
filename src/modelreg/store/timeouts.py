"""A time limit on every database statement, enforced by the database itself.

A search can ask for work that grows with the data (``name LIKE '%x%'`` over millions
of rows), and a client that gives up does not stop it. So each connection is set up
to cancel any statement that runs longer than the limit, on the server side:

* PostgreSQL: ``SET statement_timeout`` per session (the backend cancels the query
  itself, error 57014, whether or not the client is still there);
* MariaDB: ``SET SESSION max_statement_time`` (error 1969); MySQL:
  ``max_execution_time``, which MySQL applies to ``SELECT`` only (error 3024);
* SQLite (in-process): a progress handler, called every few thousand virtual-machine
  steps, aborts the statement once its deadline has passed (``interrupted``).

The limit covers a statement's execution and the fetching of its rows. A timeout is
reported by :func:`is_timeout` so the caller can raise a clear, non-retryable error.
"""

from __future__ import annotations

import math
import sqlite3
import time
from typing import Any

from sqlalchemy import Engine, event, exc

# SQLite calls the progress handler every this many virtual-machine instructions:
# often enough to stop within a millisecond or so, rarely enough to cost nothing
# measurable (statements of a fast read never reach it).
_SQLITE_PROGRESS_STEPS = 10_000

_PG_QUERY_CANCELED = "57014"
_MARIADB_STATEMENT_TIMEOUT = 1969
_MYSQL_QUERY_TIMEOUT = 3024


class _Deadline:
    """When the running statement of one SQLite connection must stop (None: no limit)."""

    __slots__ = ("at", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at: float | None = None

    def arm(self) -> None:
        self.at = time.monotonic() + self.seconds

    def disarm(self) -> None:
        self.at = None

    def expired(self) -> int:
        # Non-zero tells SQLite to abort the statement with SQLITE_INTERRUPT.
        return int(self.at is not None and time.monotonic() > self.at)


def install(engine: Engine, timeout_ms: int) -> None:
    """Bound every statement ``engine`` runs to ``timeout_ms`` (0: no limit)."""
    if timeout_ms <= 0:
        return
    dialect = engine.dialect.name
    if dialect == "sqlite":
        _install_sqlite(engine, timeout_ms / 1000)
    elif dialect == "postgresql":
        _on_connect(engine, [f"SET statement_timeout = {int(timeout_ms)}"])
    elif dialect in ("mysql", "mariadb"):

        @event.listens_for(engine, "connect")
        def _limit_mysql(dbapi_conn: Any, _record: Any) -> None:
            if "mariadb" in str(dbapi_conn.get_server_info()).lower():
                setting = f"SET SESSION max_statement_time = {timeout_ms / 1000:.3f}"
            else:
                setting = f"SET SESSION max_execution_time = {int(timeout_ms)}"
            _run(dbapi_conn, [setting])


def _on_connect(engine: Engine, statements: list[str]) -> None:
    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn: Any, _record: Any) -> None:
        _run(dbapi_conn, statements)


def _run(dbapi_conn: Any, statements: list[str]) -> None:
    cursor = dbapi_conn.cursor()
    try:
        for statement in statements:
            cursor.execute(statement)
    finally:
        cursor.close()
    # Committed, so the pool's reset-on-return rollback cannot undo a session SET
    # (PostgreSQL's SET is transactional).
    dbapi_conn.commit()


class _TimedCursor(sqlite3.Cursor):
    """Starts its connection's deadline whenever it runs a statement."""

    def execute(self, sql: str, parameters: Any = (), /) -> _TimedCursor:
        self.connection.deadline.arm()  # type: ignore[attr-defined]
        return super().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> _TimedCursor:
        self.connection.deadline.arm()  # type: ignore[attr-defined]
        return super().executemany(sql, seq_of_parameters)


class _TimedConnection(sqlite3.Connection):
    """A pysqlite connection whose statements each get the full time limit.

    Arming happens in the driver's own calls, not in SQLAlchemy events, which would
    cost more than a fast read itself. Ending the transaction disarms the deadline,
    so neither COMMIT, ROLLBACK nor the pool's reset inherits a spent one.
    """

    # Until the connect hook attaches the real one (the dialect's own first queries
    # run before it), statements are unlimited.
    deadline: _Deadline = _Deadline(math.inf)

    def cursor(self, factory: Any = _TimedCursor) -> Any:
        return super().cursor(factory)

    def commit(self) -> None:
        self.deadline.disarm()
        super().commit()

    def rollback(self) -> None:
        self.deadline.disarm()
        super().rollback()


def _install_sqlite(engine: Engine, seconds: float) -> None:
    @event.listens_for(engine, "do_connect")
    def _use_timed_connections(_dialect: Any, _record: Any, _args: Any, kwargs: Any) -> None:
        kwargs["factory"] = _TimedConnection

    @event.listens_for(engine, "connect")
    def _attach(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.deadline = deadline = _Deadline(seconds)
        dbapi_conn.set_progress_handler(deadline.expired, _SQLITE_PROGRESS_STEPS)


def is_timeout(error: exc.DBAPIError) -> bool:
    """Whether ``error`` is a statement cancelled by the limit :func:`install` set."""
    original = error.orig
    if getattr(original, "sqlstate", None) == _PG_QUERY_CANCELED:
        return True
    args = getattr(original, "args", ())
    if args and args[0] in (_MARIADB_STATEMENT_TIMEOUT, _MYSQL_QUERY_TIMEOUT):
        return True
    # SQLite reports an aborted statement as "interrupted"; nothing else here
    # interrupts one.
    return type(original).__module__ == "sqlite3" and str(original) == "interrupted"
