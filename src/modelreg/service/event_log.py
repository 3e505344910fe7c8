"""Recording events: the one function every service calls, inside its transaction.

Events about a registered model are appended to that model's hash chain here
(:mod:`modelreg.store.history`, docs/history.md): the chain head's row lock is taken
by the first event of a model in the transaction and held until it commits, so
concurrent changes to one model append one after the other while other models'
changes never wait. Take every other lock of the transaction *before* recording
(record last), so no transaction holds a chain head while waiting for a row.

Events with no model (tracking) are not chained: one chain for all of them would
serialise every tracking write in the process.
"""

from __future__ import annotations

from sqlalchemy import Connection

from modelreg.events import DomainEvent
from modelreg.store.events import EventStore, NewEvent, payload_text
from modelreg.store.history import HistoryStore, event_hash


def subject_of(event: DomainEvent) -> str | None:
    """What an event moved, indexed for time travel: the alias of an alias event."""
    if event.TYPE.startswith("alias."):
        alias = getattr(event, "alias", None)
        return alias if isinstance(alias, str) else None
    return None


def record(conn: Connection, actor: str, timestamp: int, *events: DomainEvent) -> None:
    """Append ``events`` in the caller's (still open) transaction: they commit with the change."""
    rows = [
        NewEvent(
            timestamp=timestamp,
            actor=actor,
            type=event.TYPE,
            schema_version=event.SCHEMA_VERSION,
            model_name=event.model_name,
            version=event.model_version,
            payload=event.payload(),
            subject=subject_of(event),
        )
        for event in events
    ]
    if any(row.model_name is not None for row in rows):
        rows = _chained(HistoryStore(conn), rows)
    EventStore(conn).append(rows)


def _chained(history: HistoryStore, rows: list[NewEvent]) -> list[NewEvent]:
    """``rows`` with their model ids and links, the chain heads moved past them."""
    ids: dict[str, int | None] = {}
    heads: dict[int, tuple[int, str | None, bool]] = {}  # length, hash, row existed
    linked: list[NewEvent] = []
    for row in rows:
        if row.model_name is None:
            linked.append(row)
            continue
        if row.model_name not in ids:
            # Usually one statement: the model's id and its chain head, locked.
            locked = history.lock_head_by_name(row.model_name)
            if locked is not None:
                ids[row.model_name] = locked[0]
                heads.setdefault(locked[0], (locked[1], locked[2], True))
            else:  # a new chain, or a model deleted/renamed away in this transaction
                ids[row.model_name] = history.chain_model_id(row.model_name)
        model_id = ids[row.model_name]
        if model_id is None:  # no such model, and never was: nothing to chain to
            linked.append(row)
            continue
        if model_id not in heads:
            found = history.lock_head(model_id)
            heads[model_id] = (0, None, False) if found is None else (*found, True)
        length, prev, existed = heads[model_id]
        text = payload_text(row.payload)
        digest = event_hash(
            prev,
            timestamp=row.timestamp,
            actor=row.actor,
            type=row.type,
            schema_version=row.schema_version,
            model_id=model_id,
            model_name=row.model_name,
            version=row.version,
            subject=row.subject,
            payload=text,
        )
        heads[model_id] = (length + 1, digest, existed)
        linked.append(
            NewEvent(
                timestamp=row.timestamp,
                actor=row.actor,
                type=row.type,
                schema_version=row.schema_version,
                model_name=row.model_name,
                version=row.version,
                payload=row.payload,
                model_id=model_id,
                subject=row.subject,
                prev_hash=prev,
                hash=digest,
                payload_text=text,
            )
        )
    for chain, (count, last, known) in heads.items():
        if last is not None:
            history.save_head(chain, count, last, existed=known)
    return linked
