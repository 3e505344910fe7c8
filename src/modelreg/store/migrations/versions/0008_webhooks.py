"""Webhooks: subscriptions, deliveries, attempts and the matcher's cursor (#10)

Revision ID: 0008_webhooks
Revises: 0004_wiregaps
Create Date: 2026-12-03 19:30:00

* ``webhooks``: subscriptions (secrets encrypted, see modelreg.webhooks.crypto).
* ``webhook_deliveries``: one row per (event, matching webhook), claimed by workers
  with a lease; ``delivery_id`` is stable across retries.
* ``webhook_attempts``: every attempt's time, outcome, latency and response excerpt.
* ``webhook_cursor``: the matcher's position in the event log, starting at the
  newest event that exists now (no subscription existed before it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0008_webhooks"
down_revision = "0007_event_chain"
branch_labels = None
depends_on = None


def _name(length: int) -> sa.types.TypeEngine[str]:
    binary = mysql.VARCHAR(charset="utf8mb4", collation="utf8mb4_bin", length=length)
    return sa.String(length=length).with_variant(binary, "mariadb").with_variant(binary, "mysql")


_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("webhook_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("model_name", _name(256), nullable=True),
        sa.Column("filters", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("authorization", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("creation_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("webhook_id", name=op.f("pk_webhooks")),
    )
    op.create_index(op.f("ix_webhooks_status"), "webhooks", ["status"], unique=False)
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("webhook_id", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("order_key", _name(256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("completed_at", sa.BigInteger(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhooks.webhook_id"],
            name=op.f("fk_webhook_deliveries_webhook_id_webhooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_webhook_deliveries_delivery_id")),
    )
    op.create_index(
        op.f("ix_webhook_deliveries_status_next_attempt_at"),
        "webhook_deliveries",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_webhook_deliveries_webhook_id_order_key_status_id"),
        "webhook_deliveries",
        ["webhook_id", "order_key", "status", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_webhook_deliveries_webhook_id_id"),
        "webhook_deliveries",
        ["webhook_id", "id"],
        unique=False,
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("delivery_row", _ID, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.Column("worker", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_row"],
            ["webhook_deliveries.id"],
            name=op.f("fk_webhook_attempts_delivery_row_webhook_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index(
        op.f("ix_webhook_attempts_delivery_row_id"),
        "webhook_attempts",
        ["delivery_row", "id"],
        unique=False,
    )
    cursor = op.create_table(
        "webhook_cursor",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_webhook_cursor")),
    )
    newest = op.get_bind().execute(sa.text("SELECT MAX(id) FROM events")).scalar()
    op.bulk_insert(cursor, [{"name": "default", "last_event_id": int(newest or 0)}])


def downgrade() -> None:
    op.drop_table("webhook_cursor")
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
