"""Events: the per-model hash chain and time-travel columns (#9)

Revision ID: 0007_event_chain
Revises: 0004_wiregaps
Create Date: 2026-12-03 19:30:00

* ``events.model_id``: the registered model's stable id (``registered_models.id``),
  which survives renames; ``events.subject``: the alias an alias event moved;
  ``events.prev_hash`` / ``events.hash``: the links of the model's hash chain.
* ``event_chains``: each chain's length and last hash.

Existing rows are backfilled in id order: a model's events are followed through its
renames (``registered_model.renamed``) from its creation; a model that still exists
gets its own id, a deleted one a negative id of its own (never a live model's). The
hash form is a frozen copy of ``modelreg.store.history.event_hash`` (format 1).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007_event_chain"
down_revision = "0006_approvals"
branch_labels = None
depends_on = None


def _name(length: int) -> sa.types.TypeEngine[str]:
    binary = mysql.VARCHAR(charset="utf8mb4", collation="utf8mb4_bin", length=length)
    return sa.String(length=length).with_variant(binary, "mariadb").with_variant(binary, "mysql")


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("model_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("subject", _name(256), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_events_model_id_type_id"), ["model_id", "type", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_events_model_id_subject_id"),
            ["model_id", "subject", "id"],
            unique=False,
        )
    op.create_table(
        "event_chains",
        sa.Column("model_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("model_id", name=op.f("pk_event_chains")),
    )
    _backfill(op.get_bind())


def downgrade() -> None:
    op.drop_table("event_chains")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_model_id_subject_id"))
        batch_op.drop_index(batch_op.f("ix_events_model_id_type_id"))
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("subject")
        batch_op.drop_column("model_id")


def _hash(prev: str | None, row: Any, model_id: int, subject: str | None) -> str:
    form = [
        1,
        prev,
        row.timestamp,
        row.actor,
        row.type,
        row.schema_version,
        model_id,
        row.model_name,
        row.version,
        subject,
        row.payload,
    ]
    text = json.dumps(form, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _backfill(conn: sa.Connection) -> None:
    meta = sa.MetaData()
    events = sa.Table("events", meta, autoload_with=conn)
    chains = sa.Table("event_chains", meta, autoload_with=conn)
    models = sa.Table("registered_models", meta, autoload_with=conn)
    live = {row.name: row.id for row in conn.execute(sa.select(models.c.name, models.c.id))}
    rows = list(
        conn.execute(
            sa.select(events).where(events.c.model_name.is_not(None)).order_by(events.c.id)
        )
    )
    # Pass 1: each row's incarnation (a key per model from its creation to its deletion).
    current: dict[str, int] = {}  # name -> incarnation
    keys: list[int] = []
    count = 0
    for row in rows:
        name = row.model_name
        if row.type == "registered_model.renamed":
            old = json.loads(row.payload).get("old_name")
            if old in current:
                current[name] = current.pop(old)
        if row.type == "registered_model.created" or name not in current:
            count += 1
            current[name] = count
        keys.append(current[name])
        if row.type == "registered_model.deleted":
            current.pop(name, None)
    # A live model's incarnation takes its real id; every other one a negative id.
    real = {key: live[name] for name, key in current.items() if name in live}
    # Pass 2: the links, chain by chain, in id order.
    heads: dict[int, tuple[int, str | None]] = {}
    for row, key in zip(rows, keys, strict=True):
        model_id = real.get(key, -key)
        subject = None
        if row.type.startswith("alias."):
            subject = json.loads(row.payload).get("alias")
        length, prev = heads.get(model_id, (0, None))
        digest = _hash(prev, row, model_id, subject)
        heads[model_id] = (length + 1, digest)
        conn.execute(
            sa.update(events)
            .where(events.c.id == row.id)
            .values(model_id=model_id, subject=subject, prev_hash=prev, hash=digest)
        )
    if heads:
        conn.execute(
            sa.insert(chains),
            [
                {"model_id": mid, "length": length, "head_hash": head}
                for mid, (length, head) in heads.items()
            ],
        )
