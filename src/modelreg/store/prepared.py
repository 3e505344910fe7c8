"""Statements compiled once per dialect and run on the driver's own cursor.

The registry's hottest reads (a model by name, a version, its tags and aliases, the
latest version per stage) and writes (the version counter, the version and event
inserts) are a handful of fixed statements. Building, compiling and executing a
SQLAlchemy construct costs far more than running the statement on SQLite (measured:
~30 µs per statement through ``Connection.exec_driver_sql`` against ~5 µs on the
driver's cursor), so each is compiled once per dialect and executed straight on the
DBAPI cursor of the connection's open transaction. Rows are named tuples
(``row.name`` and ``row[0]`` both work), as SQLAlchemy's rows are.

Driver errors still become SQLAlchemy's exceptions through the connection's own error
handling, so disconnects invalidate the pooled connection and callers catch
``IntegrityError`` as before. While anyone listens to ``before_cursor_execute`` or
``after_cursor_execute`` (statement counting in tests, tracing instrumentation),
statements go through SQLAlchemy's execution path instead, so the listeners see every
one of them.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Callable, Hashable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, bindparam
from sqlalchemy.sql import ClauseElement


class _Compiled:
    """A statement compiled for one dialect, with how to bind and how to shape rows."""

    __slots__ = ("row", "sql", "values")

    def __init__(self, compiled: Any) -> None:
        self.sql: str = str(compiled)
        names = [column[0] for column in getattr(compiled, "_result_columns", ())]
        # The named-tuple class of a result row; None for DML.
        self.row: Any = namedtuple("Row", names, rename=True) if names else None
        self.values = _binder(compiled)


def _binder(compiled: Any) -> Callable[[Mapping[str, Any]], Any]:
    """How a call's parameters become the driver's: a tuple in order, or the mapping.

    Literals in the statement (stage names, LIMIT 1) are bound parameters too; their
    values come from the compiled statement and are merged in.
    """
    fixed = {name: value for name, value in compiled.params.items() if value is not None}
    if not compiled.positional:
        if not fixed:
            return lambda params: params
        return lambda params: {**fixed, **params}
    positions = tuple(compiled.positiontup or ())
    if not fixed:
        if not positions:
            return lambda params: ()
        if len(positions) == 1:
            (only,) = positions
            return lambda params: (params[only],)
        pick = itemgetter(*positions)
        return lambda params: pick(params)

    def merged(params: Mapping[str, Any]) -> tuple[Any, ...]:
        values = {**fixed, **params}
        return tuple(values[name] for name in positions)

    return merged


class Prepared:
    """A statement with ``bindparam`` placeholders, compiled lazily per dialect."""

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _for(self, conn: Connection) -> _Compiled:
        dialect = conn.dialect
        found = self._compiled.get(dialect.name)
        if found is None:
            with self._lock:
                compiled = self._statement.compile(dialect=dialect)
                found = self._compiled[dialect.name] = _Compiled(compiled)
        return found

    def _run(self, conn: Connection, params: Mapping[str, Any], *, fetch: bool) -> list[Any]:
        compiled = self._for(conn)
        values = compiled.values(params)
        dispatch = conn.engine.dispatch
        if (
            not conn.in_transaction()
            or dispatch.before_cursor_execute
            or dispatch.after_cursor_execute
        ):
            # Autobegin, or listeners to tell: SQLAlchemy's own execution path.
            result = conn.exec_driver_sql(compiled.sql, values)
            rows: list[Any] = list(result.all()) if fetch else []
        else:
            driver: Any = conn.connection.dbapi_connection
            # The driver's cursor() and execute(), never shortcuts around them: a driver
            # connection class may do its own work there (a statement deadline, say).
            cursor = driver.cursor()
            try:
                cursor.execute(compiled.sql, values)
                rows = cursor.fetchall() if fetch else []
                cursor.close()
            except Exception as error:
                # SQLAlchemy's own handling: wraps driver errors in its exception classes
                # and invalidates the connection if the error means it is gone.
                conn._handle_dbapi_exception(error, compiled.sql, values, cursor, None)
        cls = compiled.row
        if cls is None or not rows:
            return rows
        make = tuple.__new__
        return [make(cls, row) for row in rows]

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> None:
        """Run a statement whose result is not needed (an UPDATE, an INSERT)."""
        self._run(conn, params, fetch=False)

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """One statement for many parameter sets (the driver's executemany)."""
        compiled = self._for(conn)
        values = [compiled.values(row) for row in rows]
        dispatch = conn.engine.dispatch
        if (
            not conn.in_transaction()
            or dispatch.before_cursor_execute
            or dispatch.after_cursor_execute
        ):
            conn.exec_driver_sql(compiled.sql, values)
            return
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(compiled.sql, values)
        except Exception as error:
            conn._handle_dbapi_exception(error, compiled.sql, values, cursor, None)
        finally:
            cursor.close()

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        """Every row; rows are tuples with named columns (``row.name``)."""
        return self._run(conn, params, fetch=True)

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        rows = self._run(conn, params, fetch=True)
        return rows[0] if rows else None

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        rows = self._run(conn, params, fetch=True)
        return rows[0][0] if rows else None


class PreparedCache:
    """Prepared statements built on first use, one per key (a search filter's shape).

    Searches repeat a handful of shapes (``name = ?``, ``tag.k = ?``) with ever new
    values; keyed by shape, each is built and compiled once instead of per call. The
    cache is bounded: past ``limit`` keys it starts over.
    """

    def __init__(self, limit: int = 1024) -> None:
        self._limit = limit
        self._statements: dict[Hashable, Prepared] = {}

    def get(self, key: Hashable, build: Callable[[], ClauseElement]) -> Prepared:
        found = self._statements.get(key)
        if found is None:
            if len(self._statements) >= self._limit:
                self._statements.clear()
            found = self._statements[key] = Prepared(build())
        return found

    def __len__(self) -> int:
        return len(self._statements)


class PreparedLists:
    """A statement with ``IN`` lists, compiled once per bucket of list lengths.

    SQLAlchemy's expanding parameters re-render the SQL on every execution, which
    costs more than a search page's whole query on SQLite. Here each list becomes
    placeholders ``<name>_0`` .. ``<name>_<n-1>`` with ``n`` the next power of two,
    padded by repeating the last value (a repeated value changes nothing in an IN
    list), so a handful of compiled statements serve every page size.
    ``build(**placeholders)`` returns the statement for one set of placeholder lists.
    """

    def __init__(self, build: Callable[..., ClauseElement]) -> None:
        self._build = build
        self._by_sizes: dict[tuple[int, ...], Prepared] = {}

    def all(self, conn: Connection, lists: Mapping[str, list[Any]]) -> list[Any]:
        """Every row for these (non-empty) lists."""
        sizes = tuple(1 << (len(values) - 1).bit_length() for values in lists.values())
        found = self._by_sizes.get(sizes)
        if found is None:
            placeholders: dict[str, list[Any]] = {
                name: [bindparam(f"{name}_{i}") for i in range(size)]
                for name, size in zip(lists, sizes, strict=True)
            }
            found = self._by_sizes[sizes] = Prepared(self._build(**placeholders))
        params: dict[str, Any] = {}
        for (name, values), size in zip(lists.items(), sizes, strict=True):
            padded = [*values, *[values[-1]] * (size - len(values))]
            params.update({f"{name}_{i}": value for i, value in enumerate(padded)})
        return found.all(conn, params)
