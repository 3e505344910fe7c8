"""SQL for reading the event log filtered (the UI's audit page and history timelines).

Newest first, by ``id`` (commit order): the ``(model_name, id)`` and ``(type, id)``
indexes serve the model and type filters; the others narrow what those return.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, and_, select

from modelreg.entities import Event
from modelreg.store.tables import events


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What to keep; ``None`` (or empty) means any."""

    model_name: str | None = None
    version: int | None = None
    actor: str | None = None
    # An exact type ("model_version.created") or a family ending in "." ("model_version.").
    type: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None


def search_events(conn: Connection, where: EventFilter, offset: int, limit: int) -> list[Event]:
    """One statement: the events matching ``where``, newest first, ``limit`` from ``offset``."""
    conditions: list[ColumnElement[bool]] = []
    if where.model_name is not None:
        conditions.append(events.c.model_name == where.model_name)
    if where.version is not None:
        conditions.append(events.c.version == where.version)
    if where.actor is not None:
        conditions.append(events.c.actor == where.actor)
    if where.type:
        if where.type.endswith("."):
            # The prefix is checked by the service (letters, digits, "_" and "."), so it
            # holds no LIKE wildcard.
            conditions.append(events.c.type.startswith(where.type, autoescape=True))
        else:
            conditions.append(events.c.type == where.type)
    if where.since_ms is not None:
        conditions.append(events.c.timestamp >= where.since_ms)
    if where.until_ms is not None:
        conditions.append(events.c.timestamp < where.until_ms)
    query = select(events).order_by(events.c.id.desc()).offset(offset).limit(limit)
    if conditions:
        query = query.where(and_(*conditions))
    return [
        Event(
            id=row.id,
            timestamp=row.timestamp,
            actor=row.actor,
            type=row.type,
            model_name=row.model_name,
            version=row.version,
            payload=json.loads(row.payload),
            schema_version=row.schema_version,
        )
        for row in conn.execute(query)
    ]
