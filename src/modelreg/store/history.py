"""SQL of the history: the per-model hash chain, time-travel lookups, event searches.

The chain (docs/history.md): every event of a registered model stores ``model_id``
(the model's stable ``registered_models.id``, which survives renames), the hash of the
model's previous event (``prev_hash``) and its own ``hash``, the SHA-256 of
:func:`event_hash`'s canonical form of the row, previous hash included. The head of
each chain (length and last hash) is a row of ``event_chains``, locked while an event
is appended, so appends to one model serialise and appends to different models never
wait for each other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, select, update

from modelreg.entities import Event
from modelreg.store.prepared import Prepared
from modelreg.store.tables import event_chains, events, registered_models

# The canonical form's own version, first in what is hashed: a future change of the
# form is a new number, and rows hashed under the old one still verify.
HASH_FORMAT = 1

ALIAS_MOVES = ("alias.set", "alias.deleted", "alias.rolled_back")
CREATED = "registered_model.created"
VERSION_CREATED = "model_version.created"
VERSION_DELETED = "model_version.deleted"
STAGE_TRANSITIONED = "model_version.stage_transitioned"


def event_hash(
    prev_hash: str | None,
    *,
    timestamp: int,
    actor: str,
    type: str,
    schema_version: int,
    model_id: int | None,
    model_name: str | None,
    version: int | None,
    subject: str | None,
    payload: str,
) -> str:
    """SHA-256 (hex) of one row's content and the previous hash of its chain.

    Every column but ``id`` and the hash itself, in a fixed order, as compact JSON
    (the payload as the exact text stored): the same on every database and in every
    process. ``id`` is left out: the chain's order is what ``prev_hash`` links.
    """
    # Byte for byte json.dumps([HASH_FORMAT, prev_hash, timestamp, ...],
    # ensure_ascii=False, separators=(",", ":")), the migration's form
    # (tests/store/test_history_hash.py checks), written out: a third of the cost.
    text = (
        f"[{HASH_FORMAT},{_text(prev_hash)},{int(timestamp)},{_text(actor)},{_text(type)},"
        f"{int(schema_version)},{_number(model_id)},{_text(model_name)},{_number(version)},"
        f"{_text(subject)},{_text(payload)}]"
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _text(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _number(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def row_hash(row: Any) -> str:
    """:func:`event_hash` of a stored ``events`` row (what it should hold)."""
    return event_hash(
        row.prev_hash,
        timestamp=row.timestamp,
        actor=row.actor,
        type=row.type,
        schema_version=row.schema_version,
        model_id=row.model_id,
        model_name=row.model_name,
        version=row.version,
        subject=row.subject,
        payload=row.payload,
    )


_MODEL_ID_BY_NAME = Prepared(
    select(registered_models.c.id).where(registered_models.c.name == bindparam("name"))
)
# A model deleted (or renamed) earlier in this same transaction: the chain of the model
# whose latest event carries the name.
_MODEL_ID_BY_LAST_EVENT = Prepared(
    select(events.c.model_id)
    .where(events.c.model_name == bindparam("name"), events.c.model_id.is_not(None))
    .order_by(events.c.id.desc())
    .limit(1)
)
# The common case in one statement: the chain of the model that has the name now,
# locked (only the event_chains row: a subquery's rows are not locked by FOR UPDATE on
# PostgreSQL, MySQL or MariaDB).
_LOCK_HEAD_BY_NAME = Prepared(
    select(event_chains.c.model_id, event_chains.c.length, event_chains.c.head_hash)
    .where(
        event_chains.c.model_id
        == select(registered_models.c.id)
        .where(registered_models.c.name == bindparam("name"))
        .scalar_subquery()
    )
    .with_for_update()
)
_LOCK_HEAD = Prepared(
    select(event_chains.c.length, event_chains.c.head_hash)
    .where(event_chains.c.model_id == bindparam("mid"))
    .with_for_update()
)
_NEW_HEAD = Prepared(
    insert(event_chains).values(
        model_id=bindparam("mid"), length=bindparam("length"), head_hash=bindparam("head")
    )
)
_MOVE_HEAD = Prepared(
    update(event_chains)
    .where(event_chains.c.model_id == bindparam("mid"))
    .values(length=bindparam("length"), head_hash=bindparam("head"))
)


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What :meth:`HistoryStore.search` selects (every part optional)."""

    model_id: int | None = None
    model_name: str | None = None
    version: int | None = None
    type: str | None = None
    actor: str | None = None
    since: int | None = None
    until: int | None = None


class HistoryStore:
    """Statements for the chain and the history reads; never commits."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ------------------------------------------------------------ the chain
    def chain_model_id(self, name: str) -> int | None:
        """The stable id of the model an event about ``name`` belongs to."""
        found: int | None = _MODEL_ID_BY_NAME.scalar(self.conn, {"name": name})
        if found is None:
            found = _MODEL_ID_BY_LAST_EVENT.scalar(self.conn, {"name": name})
        return found

    def lock_head_by_name(self, name: str) -> tuple[int, int, str] | None:
        """The id, length and last hash of the chain of the model named ``name`` now,
        row-locked; None if there is no such model or its chain has no head yet."""
        row = _LOCK_HEAD_BY_NAME.first(self.conn, {"name": name})
        return None if row is None else (int(row.model_id), int(row.length), str(row.head_hash))

    def lock_head(self, model_id: int) -> tuple[int, str] | None:
        """The chain's length and last hash, row-locked until the transaction ends."""
        row = _LOCK_HEAD.first(self.conn, {"mid": model_id})
        return None if row is None else (int(row.length), str(row.head_hash))

    def save_head(self, model_id: int, length: int, head: str, *, existed: bool) -> None:
        params = {"mid": model_id, "length": length, "head": head}
        (_MOVE_HEAD if existed else _NEW_HEAD).execute(self.conn, params)

    def heads(self, model_id: int | None = None) -> dict[int, tuple[int, str]]:
        query = select(event_chains)
        if model_id is not None:
            query = query.where(event_chains.c.model_id == model_id)
        return {
            int(row.model_id): (int(row.length), str(row.head_hash))
            for row in self.conn.execute(query)
        }

    def chain_rows(self, model_id: int | None = None) -> Iterator[Any]:
        """Every chained row, chain by chain, each in order (streamed)."""
        query = select(events).where(events.c.model_id.is_not(None))
        if model_id is not None:
            query = query.where(events.c.model_id == model_id)
        query = query.order_by(events.c.model_id, events.c.id)
        result = self.conn.execution_options(yield_per=1000).execute(query)
        yield from result

    # --------------------------------------------------------- time travel
    def incarnation_start(self, model_id: int) -> int:
        """The id of the model's creation event (0 if the log has none).

        SQLite may give a new model the id of a deleted one (the largest, deleted last);
        its history starts at its own creation.
        """
        e = events.c
        found = self.conn.execute(
            select(func.max(e.id)).where(e.model_id == model_id, e.type == CREATED)
        ).scalar()
        return int(found or 0)

    def last_alias_move(
        self, model_id: int, alias: str, after_id: int, until: int | None = None
    ) -> Any:
        """The latest alias.set/deleted/rolled_back of ``alias`` (at or before ``until``)."""
        e = events.c
        query = select(events).where(
            e.model_id == model_id,
            e.subject == alias,
            e.type.in_(ALIAS_MOVES),
            e.id > after_id,
        )
        if until is not None:
            query = query.where(e.timestamp <= until)
        return self.conn.execute(query.order_by(e.id.desc()).limit(1)).first()

    def alias_held(self, model_id: int, alias: str, version: int, after_id: int) -> bool:
        """Whether ``alias`` has pointed at ``version`` before (set or rolled back there)."""
        e = events.c
        query = select(e.id).where(
            e.model_id == model_id,
            e.subject == alias,
            e.type.in_(("alias.set", "alias.rolled_back")),
            e.version == version,
            e.id > after_id,
        )
        return self.conn.execute(query.limit(1)).first() is not None

    def model_events(
        self, model_id: int, types: Sequence[str], after_id: int, until: int
    ) -> list[Any]:
        """The model's events of ``types`` up to ``until``, in order (indexed by type)."""
        e = events.c
        query = (
            select(e.id, e.type, e.version, e.payload)
            .where(
                e.model_id == model_id,
                e.type.in_(types),
                e.id > after_id,
                e.timestamp <= until,
            )
            .order_by(e.id)
        )
        return list(self.conn.execute(query))

    # ------------------------------------------------------------- search
    def search(self, where: EventFilter, after_id: int, limit: int) -> list[Event]:
        e = events.c
        conditions: list[Any] = [e.id > after_id]
        if where.model_id is not None:
            conditions.append(e.model_id == where.model_id)
        if where.model_name is not None:
            conditions.append(e.model_name == where.model_name)
        if where.version is not None:
            conditions.append(e.version == where.version)
        if where.type is not None:
            conditions.append(e.type == where.type)
        if where.actor is not None:
            conditions.append(e.actor == where.actor)
        if where.since is not None:
            conditions.append(e.timestamp >= where.since)
        if where.until is not None:
            conditions.append(e.timestamp <= where.until)
        query = select(events).where(and_(*conditions)).order_by(e.id).limit(limit)
        return [to_event(row) for row in self.conn.execute(query)]


def to_event(row: Any) -> Event:
    return Event(
        id=row.id,
        timestamp=row.timestamp,
        actor=row.actor,
        type=row.type,
        model_name=row.model_name,
        version=row.version,
        payload=json.loads(row.payload),
        schema_version=row.schema_version,
    )
