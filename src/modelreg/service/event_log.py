"""Recording events: the one function every service calls, inside its transaction."""

from __future__ import annotations

from sqlalchemy import Connection

from modelreg.events import DomainEvent
from modelreg.store.events import EventStore, NewEvent


def record(conn: Connection, actor: str, timestamp: int, *events: DomainEvent) -> None:
    """Append ``events`` in the caller's (still open) transaction: they commit with the change."""
    EventStore(conn).append(
        [
            NewEvent(
                timestamp=timestamp,
                actor=actor,
                type=event.TYPE,
                schema_version=event.SCHEMA_VERSION,
                model_name=event.model_name,
                version=event.model_version,
                payload=event.payload(),
            )
            for event in events
        ]
    )
