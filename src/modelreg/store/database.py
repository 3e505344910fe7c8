"""Engines, transactions and the schema check.

The service opens every unit of work through :meth:`Database.write` or
:meth:`Database.read`; the store never commits on its own. Database driver errors are
translated here, so no SQLAlchemy exception ever reaches a caller.

On SQLite each thread keeps one connection and writers queue on a lock shared by
every process on the file (:mod:`modelreg.store.sqlite`); other databases use a pool.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, inspect, pool

from modelreg.config import DEFAULT_STATEMENT_TIMEOUT_MS, sqlalchemy_url
from modelreg.errors import QueryTimeout, RegistryError, TemporarilyUnavailable
from modelreg.filters import DEFAULT_FILTER_LIMITS, FilterLimits
from modelreg.store import timeouts
from modelreg.store.checkpoints import SAFETY_NET_PAGES, Checkpointer
from modelreg.store.sqlite import (
    HELD,
    ThreadConnections,
    WriterConnection,
    WriterLock,
    lock_path,
)

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


# The extra that installs each network database's driver (pyproject.toml).
_DRIVER_EXTRAS = {"psycopg": "postgres", "pymysql": "mysql"}


def _sqlite_engine(url: str) -> Engine:
    path = _sqlite_path(url)
    if path and path != ":memory:":
        _make_folder(Path(path).parent)
    engine = create_engine(
        url,
        # pysqlite's own transaction handling is bypassed (isolation_level=None) so we
        # can issue BEGIN IMMEDIATE: a writer takes the lock up front instead of
        # failing with SQLITE_BUSY when it upgrades from reading to writing.
        connect_args={"check_same_thread": False, "isolation_level": None, "timeout": 30},
        # Each thread holds its connection (ThreadConnections); a pool would only add
        # a checkout per unit of work.
        poolclass=pool.NullPool,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Checkpoints run on a thread of their own (modelreg.store.checkpoints); SQLite's
        # own, inside a commit, only if that thread falls far behind.
        cursor.execute(f"PRAGMA wal_autocheckpoint={SAFETY_NET_PAGES}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # MLflow makes LIKE case-sensitive on every dialect; ILIKE is the insensitive one.
        cursor.execute("PRAGMA case_sensitive_like=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.info.get(HELD):
            return  # a thread's connection: its transactions are run on the driver
        conn.exec_driver_sql("BEGIN")

    return engine


def _checkpointer(path: str) -> Checkpointer:
    """The checkpoint thread's keeper for a database file."""
    return Checkpointer(lambda: sqlite3.connect(path, isolation_level=None))


def _make_folder(folder: Path) -> None:
    """Create the SQLite file's folder, or say in one line why it cannot be used."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        usable = os.access(folder, os.W_OK | os.X_OK)
    except OSError as error:
        reason = f"cannot create it ({error.strerror or error})"
        if isinstance(error, FileExistsError | NotADirectoryError):
            reason = "a file is in the way (a folder is needed there)"
        raise RegistryError(
            f"Cannot use {folder} for the registry database: {reason}. "
            "Pass a writable folder or sqlite:///path.db with --backend-store-uri."
        ) from None
    if not usable:
        raise RegistryError(
            f"Cannot use {folder} for the registry database: it is not writable. "
            "Pass a writable folder or sqlite:///path.db with --backend-store-uri."
        )


def make_engine(uri: str) -> Engine:
    """Build the engine for a database URI with the settings each dialect needs."""
    url = sqlalchemy_url(uri)
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    connect_args: dict[str, Any] = {}
    if url.startswith("mysql"):
        connect_args["charset"] = "utf8mb4"
    # READ COMMITTED everywhere: a transaction that waited for a row lock must see the
    # rows its predecessor committed (MySQL's REPEATABLE READ snapshot would not).
    try:
        return create_engine(
            url,
            isolation_level="READ COMMITTED",
            pool_pre_ping=True,
            pool_size=8,
            max_overflow=16,
            connect_args=connect_args,
        )
    except ModuleNotFoundError as error:
        # The driver is an optional extra: name the one to install, not a traceback.
        module = (error.name or "").partition(".")[0]
        extra = _DRIVER_EXTRAS.get(module)
        if extra is None:
            raise
        scheme = uri.partition("://")[0]
        raise RegistryError(
            f"A {scheme}:// backend store needs its database driver ({module} is not "
            f"installed): pip install 'modelreg[{extra}]'"
        ) from None


class Database:
    """One database: a connection pool, transaction scopes and the schema check.

    ``statement_timeout_ms`` bounds every statement (0: no limit; see
    :mod:`modelreg.store.timeouts`); ``filter_limits`` bound the search filters the
    services compile against this database.
    """

    def __init__(
        self,
        uri: str,
        *,
        auto_upgrade_sqlite: bool = True,
        statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
        filter_limits: FilterLimits = DEFAULT_FILTER_LIMITS,
    ) -> None:
        self.uri = uri
        self.engine = make_engine(uri)
        # ---- statement timeouts and search limits (begin)
        timeouts.install(self.engine, statement_timeout_ms)
        self.statement_timeout_ms = statement_timeout_ms
        self.filter_limits = filter_limits
        # ---- statement timeouts and search limits (end)
        self._auto_upgrade = auto_upgrade_sqlite
        self._schema_checked = False
        self._schema_lock = threading.Lock()
        self._sqlite = self.engine.dialect.name == "sqlite"
        if self._sqlite:
            # The URL's own database, not its rendering: str(url) escapes ':' and '@'.
            path = self.engine.url.database or ""
            if path in ("", ":memory:"):
                self.engine.dispose()
                # Every connection (one per thread, one for writes) would see a
                # database of its own, empty.
                raise RegistryError(
                    f"{uri} is an in-memory SQLite database, which modelreg cannot use: "
                    "each of its connections would see a separate, empty database. "
                    "Give a file instead: sqlite:///path/to/registry.db."
                )
            self._writer = WriterLock(lock_path(path), SQLITE_BUSY_TIMEOUT_MS / 1000)
            self._connections = ThreadConnections(self.engine)
            self._writer_connection = WriterConnection(self.engine)
            self._checkpointer = _checkpointer(path)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def ensure_schema(self) -> None:
        """Refuse to work on a schema other than the one this code expects.

        A brand-new SQLite file is upgraded in place (the embedded default); anything
        else that is not at head is reported with the command that fixes it.
        """
        if self._schema_checked:
            return
        with self._schema_lock:
            if self._schema_checked:
                return
            from modelreg.store import migrations

            with _translated_errors():
                current = migrations.current_revision(self.engine)
                head = migrations.head_revision()
                if current != head:
                    fresh = current is None and not inspect(self.engine).get_table_names()
                    if fresh and self._auto_upgrade and self.dialect == "sqlite":
                        migrations.upgrade(self.engine)
                    else:
                        raise migrations.stale_schema_error(self.uri, current, head)
            self._schema_checked = True

    def write(self) -> AbstractContextManager[Connection]:
        """A read-write transaction, committed on success and rolled back on any error."""
        self.ensure_schema()
        if not self._sqlite:
            return self._pooled(writing=True)
        # BEGIN IMMEDIATE: a writer takes SQLite's write lock up front instead of
        # failing with SQLITE_BUSY when it upgrades from reading to writing.
        return _SqliteTransaction(self, None, "BEGIN IMMEDIATE", self._writer)

    def read(self) -> AbstractContextManager[Connection]:
        """A read-only scope: one consistent snapshot for the fixed few queries of a read."""
        self.ensure_schema()
        if not self._sqlite:
            return self._pooled(writing=False)
        return _SqliteTransaction(self, self._connections.get(), "BEGIN", None)

    @contextmanager
    def _pooled(self, *, writing: bool) -> Iterator[Connection]:
        with self._errors(writing=writing), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _errors(self, *, writing: bool) -> Iterator[None]:
        """Driver errors as RegistryErrors; a statement timeout as what it means here."""
        try:
            with _translated_errors():
                yield
        except _StatementTimedOut:
            raise self._timed_out(writing=writing) from None

    def _timed_out(self, *, writing: bool) -> RegistryError:
        """What a statement cancelled by the statement timeout means to the caller."""
        seconds = f"{self.statement_timeout_ms / 1000:g} s"
        if writing:
            # A change that long waits for a lock another change holds: it
            # may well go through once that one is done.
            return TemporarilyUnavailable(
                f"The change did not finish within the {seconds} statement timeout "
                "(most likely waiting for a lock that another change holds) and was "
                "cancelled; nothing was written. Retry it later."
            )
        return QueryTimeout(
            f"The query ran longer than the {seconds} statement timeout and was "
            "cancelled. It would take as long again: narrow the request (a more "
            "selective filter, fewer results per page) instead of retrying it."
        )

    def change_token(self) -> int | None:
        """A number that moves whenever anyone else commits a change; None if unknown.

        SQLite's ``PRAGMA data_version`` on this thread's connection: it changes when any
        other connection, in this process or another, commits (never for this
        connection's own commits). Other databases have no such cheap token: None.
        """
        if not self._sqlite:
            return None
        driver: Any = self._connections.get().connection.dbapi_connection
        try:
            token: int = driver.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error as error:
            raise _translated(error) from None
        return token

    def ping(self) -> None:
        """One trivial statement: raises if the database does not answer."""
        with self.read() as conn:
            conn.exec_driver_sql("SELECT 1")

    def upgrade_schema(self, revision: str = "head") -> tuple[str | None, str | None]:
        """Migrate to ``revision``; returns the revisions before and after."""
        from modelreg.store import migrations

        # Migrations may rewrite big tables: they run without the statement timeout.
        engine = make_engine(self.uri)
        try:
            with _translated_errors():
                before = migrations.current_revision(engine)
                migrations.upgrade(engine, revision)
                return before, migrations.current_revision(engine)
        finally:
            engine.dispose()

    def schema_revisions(self) -> tuple[str | None, str]:
        """The schema revision of the database, and the one this code needs."""
        from modelreg.store import migrations

        with _translated_errors():
            return migrations.current_revision(self.engine), migrations.head_revision()

    def pool_stats(self) -> tuple[int, int]:
        """Connections (in use, open) of this process: for /metrics.

        SQLite keeps one connection per thread, open while the thread lives and in use
        only during a call, and one for the process's writes, so "in use" is not tracked
        there: both are the open ones.
        """
        if self._sqlite:
            opened = self._connections.open_count() + self._writer_connection.open_count()
            return opened, opened
        found: Any = self.engine.pool
        in_use = int(found.checkedout())
        return in_use, in_use + int(found.checkedin())

    def dispose(self) -> None:
        if self._sqlite:
            self._connections.close_all()
            self._writer_connection.close()
            self._checkpointer.stop()
            self._checkpointer = _checkpointer(self.engine.url.database or "")
            self._writer.close()
        self.engine.dispose()


class _SqliteTransaction:
    """One unit of work on SQLite, run on the driver: a read on the thread's connection, a
    write on the process's writer connection once the writer lock is held.

    The connection's SQLAlchemy transaction stays open for the connection's life (see
    :class:`~modelreg.store.sqlite.ThreadConnections`); BEGIN, COMMIT and ROLLBACK go
    to the driver directly. Through SQLAlchemy's transaction objects and events they
    cost as much as the statements of a registry read together.

    The statement deadline (:mod:`modelreg.store.timeouts`) still holds: statements run
    on the driver connection's own ``cursor()``, which arms it, and the driver's
    ``commit()`` and ``rollback()`` used here disarm it. A unit of work with a writer
    lock is a write, and a statement timeout means what :meth:`Database._timed_out`
    says it means for one.
    """

    __slots__ = ("_database", "_conn", "_driver", "_begin", "_writer", "_locked")

    def __init__(
        self, database: Database, conn: Connection | None, begin: str, writer: WriterLock | None
    ) -> None:
        self._database = database
        self._conn = conn
        self._driver: Any = None
        self._begin = begin
        self._writer = writer
        self._locked = False

    def __enter__(self) -> Connection:
        if self._writer is not None:
            self._writer.acquire()
            self._locked = True
        try:
            conn = self._conn
            if conn is None:
                conn = self._conn = self._database._writer_connection.get()
            self._driver = conn.connection.dbapi_connection
            self._driver.execute(self._begin)
        except BaseException as error:
            self._release()
            raise self._registry_error(error) from None
        return conn

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _tb: Any
    ) -> None:
        try:
            if error is None:
                try:
                    self._driver.commit()
                except BaseException as failed:
                    self._rollback()
                    raise self._registry_error(failed) from None
                if self._writer is not None:
                    self._database._checkpointer.committed()
                return
            self._rollback()
            translated = self._registry_error(error)
            if translated is not error:
                raise translated from None
        finally:
            self._release()

    def _registry_error(self, error: BaseException) -> BaseException:
        translated = _translated(error)
        if isinstance(translated, _StatementTimedOut):
            return self._database._timed_out(writing=self._writer is not None)
        return translated

    def _rollback(self) -> None:
        with suppress(Exception):
            self._driver.rollback()

    def _release(self) -> None:
        if self._locked:
            self._locked = False
            assert self._writer is not None
            self._writer.release()


class _StatementTimedOut(Exception):
    """A statement was cancelled by the statement timeout (Database says what it means)."""


def _translated(error: BaseException) -> BaseException:
    """The registry error for a database error; anything else unchanged.

    A statement cancelled by the statement timeout becomes :class:`_StatementTimedOut`,
    which the unit of work turns into what it means for a read or a write.
    """
    if isinstance(error, RegistryError):
        return error
    if isinstance(error, exc.OperationalError | sqlite3.OperationalError):
        if timeouts.is_timeout(error):
            return _StatementTimedOut()
        return TemporarilyUnavailable(
            f"The registry database is unavailable or busy: {_first_line(error)}"
        )
    if isinstance(error, exc.SQLAlchemyError | sqlite3.Error):
        return RegistryError(f"Database error: {_first_line(error)}")
    return error


@contextmanager
def _translated_errors() -> Iterator[None]:
    try:
        yield
    except Exception as error:
        translated = _translated(error)
        if translated is error:
            raise
        raise translated from None


def _first_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    return str(original).splitlines()[0] if str(original) else type(original).__name__
