"""SQL for webhooks: subscriptions, the matcher's cursor, deliveries and attempts.

Never commits: the service owns every transaction. Claiming locks rows with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL and MySQL/MariaDB (10.6+), so workers never
wait for each other's rows; on SQLite the writer lock makes the claimer single.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.sql import Select

from modelreg.entities import Event
from modelreg.store.auth import Visibility
from modelreg.store.events import EventStore
from modelreg.store.tables import (
    events,
    webhook_attempts,
    webhook_cursor,
    webhook_deliveries,
    webhooks,
)
from modelreg.webhooks.model import Attempt, Delivery

CURSOR = "default"


def _locking(stmt: Select[Any], conn: Connection) -> Select[Any]:
    if conn.dialect.name == "sqlite":
        return stmt  # the write transaction already holds SQLite's only writer lock
    return stmt.with_for_update(skip_locked=True)


def delivery_from_row(row: Any, attempts: Sequence[Attempt] = ()) -> Delivery:
    return Delivery(
        delivery_id=row.delivery_id,
        webhook_id=row.webhook_id,
        event_id=row.event_id,
        event_type=row.event_type,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        completed_at=row.completed_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        attempt_log=tuple(attempts),
    )


class WebhookStore:
    """Statements for the webhook tables inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ------------------------------------------------------------ subscriptions
    def insert(self, values: Mapping[str, Any]) -> None:
        self.conn.execute(insert(webhooks).values(**values))

    def row(self, webhook_id: str) -> Any:
        return self.conn.execute(
            select(webhooks).where(webhooks.c.webhook_id == webhook_id)
        ).first()

    def rows(
        self,
        offset: int,
        limit: int,
        model_name: str | None = None,
        visible: Visibility | None = None,
    ) -> list[Any]:
        """A page of webhooks, oldest first; with ``model_name``, those scoped to it;
        with ``visible``, only those scoped to a model it keeps (a registry-wide webhook
        is never kept: it is for admins)."""
        stmt = select(webhooks)
        params: dict[str, str] = {}
        if model_name is not None:
            stmt = stmt.where(webhooks.c.model_name == model_name)
        if visible is not None:
            stmt = stmt.where(visible.model_names(webhooks.c.model_name))
            params = visible.params()
        stmt = (
            stmt.order_by(webhooks.c.creation_timestamp, webhooks.c.webhook_id)
            .offset(offset)
            .limit(limit)
        )
        return list(self.conn.execute(stmt, params))

    def active_rows(self) -> list[Any]:
        return list(self.conn.execute(select(webhooks).where(webhooks.c.status == "ACTIVE")))

    def update(self, webhook_id: str, values: Mapping[str, Any]) -> int:
        result = self.conn.execute(
            update(webhooks).where(webhooks.c.webhook_id == webhook_id).values(**values)
        )
        return int(result.rowcount)

    def disable(self, webhook_id: str, reason: str, now: int) -> bool:
        """Disable an ACTIVE webhook; False if it was not active (already disabled)."""
        result = self.conn.execute(
            update(webhooks)
            .where(webhooks.c.webhook_id == webhook_id, webhooks.c.status == "ACTIVE")
            .values(status="DISABLED", disabled_reason=reason, last_updated_timestamp=now)
        )
        return bool(result.rowcount)

    def follow_rename(self, old_name: str, new_name: str) -> None:
        """Webhooks scoped to a model keep watching it under its new name."""
        self.conn.execute(
            update(webhooks).where(webhooks.c.model_name == old_name).values(model_name=new_name)
        )

    def disable_for_model(self, name: str, reason: str, now: int) -> None:
        """Disable the webhooks scoped to ``name`` (the model is gone): else a model
        created later under that name would send its events to them."""
        self.conn.execute(
            update(webhooks)
            .where(webhooks.c.model_name == name, webhooks.c.status != "DISABLED")
            .values(status="DISABLED", disabled_reason=reason, last_updated_timestamp=now)
        )

    def delete(self, webhook_id: str) -> int:
        # Attempts and deliveries go with it (ON DELETE CASCADE; SQLite: foreign_keys=ON).
        return int(
            self.conn.execute(delete(webhooks).where(webhooks.c.webhook_id == webhook_id)).rowcount
        )

    def rows_by_id(self, ids: Sequence[str]) -> dict[str, Any]:
        found = self.conn.execute(select(webhooks).where(webhooks.c.webhook_id.in_(list(ids))))
        return {row.webhook_id: row for row in found}

    def failures(self, ids: Sequence[str]) -> dict[str, int]:
        """The current run of consecutive failures of each webhook."""
        column = webhooks.c.consecutive_failures
        found = self.conn.execute(
            select(webhooks.c.webhook_id, column).where(webhooks.c.webhook_id.in_(list(ids)))
        )
        return {str(webhook_id): int(run) for webhook_id, run in found}

    def set_failures(self, webhook_id: str, run: int) -> None:
        self.conn.execute(
            update(webhooks)
            .where(webhooks.c.webhook_id == webhook_id)
            .values(consecutive_failures=run)
        )

    # ------------------------------------------------------------ cheap checks
    def work_waiting(self, now: int) -> tuple[bool, bool]:
        """(new events to match, deliveries due): read-only, so an idle worker never
        takes the write lock."""
        cursor = self.conn.execute(
            select(webhook_cursor.c.last_event_id).where(webhook_cursor.c.name == CURSOR)
        ).scalar()
        newest = self.conn.execute(select(func.max(events.c.id))).scalar()
        active = self.conn.execute(
            select(webhooks.c.webhook_id).where(webhooks.c.status == "ACTIVE").limit(1)
        ).first()
        d = webhook_deliveries
        due = self.conn.execute(
            select(d.c.id).where(d.c.status == "PENDING", d.c.next_attempt_at <= now).limit(1)
        ).first()
        to_match = active is not None and (newest or 0) > (cursor or 0)
        return to_match, due is not None

    # ------------------------------------------------------------ matching
    def lock_cursor(self) -> int | None:
        """The cursor, locked; None if another worker is matching right now."""
        stmt = _locking(
            select(webhook_cursor.c.last_event_id).where(webhook_cursor.c.name == CURSOR),
            self.conn,
        )
        found = self.conn.execute(stmt).first()
        return None if found is None else int(found[0])

    def move_cursor(self, event_id: int) -> None:
        self.conn.execute(
            update(webhook_cursor)
            .where(webhook_cursor.c.name == CURSOR)
            .values(last_event_id=event_id)
        )

    def events_after(self, event_id: int, limit: int) -> list[Event]:
        return EventStore(self.conn).list(after_id=event_id, limit=limit)

    def events_by_id(self, ids: Sequence[int]) -> dict[int, Event]:
        if not ids:
            return {}
        rows = self.conn.execute(select(events).where(events.c.id.in_(list(ids))))
        return {
            row.id: Event(
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
        }

    def insert_deliveries(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.conn.execute(insert(webhook_deliveries), list(rows))

    # ------------------------------------------------------------ delivering
    def claim(self, now: int, limit: int, owner: str, lease_until: int) -> list[Any]:
        """Lease the due deliveries that head their (webhook, model) queue."""
        d = webhook_deliveries
        earlier = webhook_deliveries.alias("earlier")
        head = ~exists().where(
            and_(
                earlier.c.webhook_id == d.c.webhook_id,
                earlier.c.order_key == d.c.order_key,
                earlier.c.status == "PENDING",
                earlier.c.id < d.c.id,
            )
        )
        active = exists().where(
            and_(webhooks.c.webhook_id == d.c.webhook_id, webhooks.c.status == "ACTIVE")
        )
        stmt = (
            select(d)
            .where(
                d.c.status == "PENDING",
                d.c.next_attempt_at <= now,
                (d.c.lease_until.is_(None)) | (d.c.lease_until < now),
                head,
                active,
            )
            .order_by(d.c.id)
            .limit(limit)
        )
        if self.conn.dialect.name != "sqlite":
            stmt = stmt.with_for_update(skip_locked=True, of=d)
        rows = list(self.conn.execute(stmt))
        if rows:
            self.conn.execute(
                update(d)
                .where(d.c.id.in_([row.id for row in rows]))
                .values(lease_owner=owner, lease_until=lease_until)
            )
        return rows

    def finish(self, owner: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Record attempts' effects on their deliveries (one statement, many rows).

        Each row: ``row_id``, ``status``, ``attempts``, ``next_attempt_at``,
        ``completed_at``, ``last_status_code``, ``last_error``. A delivery whose lease
        another worker took over in the meantime (this one ran past its lease) is
        left to that worker.
        """
        if not rows:
            return
        d = webhook_deliveries
        stmt = (
            update(d)
            .where(d.c.id == bindparam("row_id"), d.c.lease_owner == owner)
            .values(
                lease_owner=None,
                lease_until=None,
                status=bindparam("b_status"),
                attempts=bindparam("b_attempts"),
                next_attempt_at=bindparam("b_next"),
                completed_at=bindparam("b_completed"),
                last_status_code=bindparam("b_code"),
                last_error=bindparam("b_error"),
            )
        )
        self.conn.execute(
            stmt,
            [
                {
                    "row_id": r["row_id"],
                    "b_status": r["status"],
                    "b_attempts": r["attempts"],
                    "b_next": r["next_attempt_at"],
                    "b_completed": r["completed_at"],
                    "b_code": r["last_status_code"],
                    "b_error": r["last_error"],
                }
                for r in rows
            ],
        )

    def add_attempts(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.conn.execute(insert(webhook_attempts), list(rows))

    # ------------------------------------------------------------ reading
    def deliveries(
        self, webhook_id: str, status: str | None, offset: int, limit: int
    ) -> list[Delivery]:
        d = webhook_deliveries
        stmt = select(d).where(d.c.webhook_id == webhook_id)
        if status:
            stmt = stmt.where(d.c.status == status)
        stmt = stmt.order_by(d.c.id.desc()).offset(offset).limit(limit)
        return [delivery_from_row(row) for row in self.conn.execute(stmt)]

    def delivery_row(self, delivery_id: str) -> Any:
        d = webhook_deliveries
        return self.conn.execute(select(d).where(d.c.delivery_id == delivery_id)).first()

    def attempts(self, row_id: int) -> list[Attempt]:
        a = webhook_attempts
        rows = self.conn.execute(select(a).where(a.c.delivery_row == row_id).order_by(a.c.id))
        return [
            Attempt(
                attempt=row.attempt,
                started_at=row.started_at,
                latency_ms=row.latency_ms,
                status_code=row.status_code,
                succeeded=bool(row.succeeded),
                error=row.error,
                response_excerpt=row.response_excerpt,
                worker=row.worker,
            )
            for row in rows
        ]

    def requeue(
        self,
        now: int,
        *,
        delivery_id: str | None = None,
        webhook_id: str | None = None,
        only_status: str | None = None,
    ) -> int:
        """Deliveries due again now with a fresh attempt budget (redeliver)."""
        d = webhook_deliveries
        stmt = update(d).values(
            status="PENDING",
            attempts=0,
            next_attempt_at=now,
            lease_owner=None,
            lease_until=None,
            completed_at=None,
        )
        if delivery_id is not None:
            stmt = stmt.where(d.c.delivery_id == delivery_id)
        if webhook_id is not None:
            stmt = stmt.where(d.c.webhook_id == webhook_id)
        if only_status is not None:
            stmt = stmt.where(d.c.status == only_status)
        return int(self.conn.execute(stmt).rowcount)

    def count_by_status(self, webhook_id: str | None = None) -> dict[str, int]:
        d = webhook_deliveries
        stmt = select(d.c.status, func.count()).group_by(d.c.status)
        if webhook_id is not None:
            stmt = stmt.where(d.c.webhook_id == webhook_id)
        return {str(status): int(n) for status, n in self.conn.execute(stmt)}
