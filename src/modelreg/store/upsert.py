"""Upserts of key/value rows (tags, params): one helper for every such table.

Portable across SQLite, PostgreSQL and MariaDB without dialect-specific ``ON
CONFLICT``/``ON DUPLICATE KEY`` clauses: the owner's rows for the given keys are
deleted and the new ones inserted in one ``executemany``, inside the caller's
transaction (so readers never see the gap).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, Table, delete, insert


def upsert_pairs(
    conn: Connection,
    table: Table,
    owner: Mapping[str, Any],
    values: Mapping[str, str],
    *,
    extra: Callable[[str], Mapping[str, Any]] | None = None,
) -> None:
    """Set ``key -> value`` rows of ``table`` for the row identified by ``owner``.

    ``owner`` maps the owner's key columns to their values (``{"run_id": …}``);
    ``extra(value)`` adds derived columns (the indexed prefix of a long tag value).
    """
    if not values:
        return
    owned = [table.c[column] == value for column, value in owner.items()]
    conn.execute(delete(table).where(*owned, table.c.key.in_(list(values))))
    conn.execute(
        insert(table),
        [
            {**owner, "key": key, "value": value, **(extra(value) if extra else {})}
            for key, value in values.items()
        ],
    )


def delete_pair(conn: Connection, table: Table, owner: Mapping[str, Any], key: str) -> bool:
    """Delete one key of the owner's rows; whether it existed."""
    owned = [table.c[column] == value for column, value in owner.items()]
    return bool(conn.execute(delete(table).where(*owned, table.c.key == key)).rowcount)
