"""Statements compiled once per dialect and run as driver SQL.

The registry's hottest reads (a model by name, a version, its tags and aliases, the
latest version per stage) are a handful of fixed statements. Building and compiling a
SQLAlchemy construct on every call costs more than running it on SQLite, so these are
compiled once per dialect and executed with :meth:`Connection.exec_driver_sql`, which
still returns ordinary rows with named columns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from sqlalchemy import Connection, CursorResult, bindparam
from sqlalchemy.sql import ClauseElement


class Prepared:
    """A statement with ``bindparam`` placeholders, compiled lazily per dialect."""

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def _for(self, conn: Connection) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
        key = conn.dialect.name
        found = self._compiled.get(key)
        if found is None:
            with self._lock:
                compiled: Any = self._statement.compile(dialect=conn.dialect)
                positions = tuple(compiled.positiontup or ()) if compiled.positional else None
                # Literals in the statement (stage names, LIMIT 1) are bound parameters
                # too; their values come from the compiled statement.
                defaults = dict(compiled.params)
                found = self._compiled[key] = (str(compiled), positions, defaults)
        return found

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> CursorResult[Any]:
        sql, positions, defaults = self._for(conn)
        merged = {**defaults, **params}
        values: Any = tuple(merged[name] for name in positions) if positions is not None else merged
        return conn.exec_driver_sql(sql, values)

    def execute_many(self, conn: Connection, rows: list[Mapping[str, Any]]) -> None:
        """One statement for many parameter sets (the driver's executemany)."""
        sql, positions, defaults = self._for(conn)
        merged = [{**defaults, **row} for row in rows]
        values: Any = (
            [tuple(row[name] for name in positions) for row in merged]
            if positions is not None
            else merged
        )
        conn.exec_driver_sql(sql, values)

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        """Every row; rows are tuples with named columns (``row.name``)."""
        return list(self.execute(conn, params).all())

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        return self.execute(conn, params).first()

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        return self.execute(conn, params).scalar()


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
