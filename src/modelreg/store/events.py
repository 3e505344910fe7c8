"""SQL for the event log: append rows in the caller's transaction, read them in order."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select

from modelreg.entities import Event
from modelreg.store.prepared import Prepared
from modelreg.store.tables import events

_INSERT_EVENT = Prepared(
    insert(events).values({c: bindparam(f"p_{c.name}") for c in events.c if c.name != "id"})
)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """One row to append (the service builds it from a typed event)."""

    timestamp: int
    actor: str
    type: str
    schema_version: int
    model_name: str | None
    version: int | None
    payload: dict[str, Any]
    # The hash chain (modelreg.store.history): the model's stable id, what the event
    # moved, the previous event's hash in the model's chain and this row's own.
    model_id: int | None = None
    subject: str | None = None
    prev_hash: str | None = None
    hash: str | None = None
    # The payload column's text when already rendered (the chain hashes it).
    payload_text: str | None = None


def payload_text(payload: Mapping[str, Any]) -> str:
    """The ``payload`` column's text for a payload (what the chain's hashes cover)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


class EventStore:
    """Statements for the ``events`` table; never commits."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(self, rows: Sequence[NewEvent]) -> None:
        if not rows:
            return
        params: list[Mapping[str, Any]] = [
            {
                "p_timestamp": row.timestamp,
                "p_actor": row.actor,
                "p_type": row.type,
                "p_schema_version": row.schema_version,
                "p_model_name": row.model_name,
                "p_version": row.version,
                "p_payload": row.payload_text or payload_text(row.payload),
                "p_model_id": row.model_id,
                "p_subject": row.subject,
                "p_prev_hash": row.prev_hash,
                "p_hash": row.hash,
            }
            for row in rows
        ]
        if len(params) == 1:
            _INSERT_EVENT.execute(self.conn, params[0])
        else:
            _INSERT_EVENT.execute_many(self.conn, params)

    def list(self, after_id: int = 0, limit: int = 1000) -> list[Event]:
        rows = self.conn.execute(
            select(events).where(events.c.id > after_id).order_by(events.c.id).limit(limit)
        )
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
            for row in rows
        ]


def newest(conn: Connection) -> tuple[int, int] | None:
    """The id and timestamp (ms) of the newest event, None for an empty log."""
    row = conn.execute(
        select(events.c.id, events.c.timestamp).order_by(events.c.id.desc()).limit(1)
    ).first()
    return None if row is None else (int(row.id), int(row.timestamp))
