"""events.schema_version: the version of each event's payload schema

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 16:00:00

Rows written before this revision carry the payloads of schema version 1, which
every event type still has, so they are filled in with 1.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(
            sa.Column("schema_version", sa.Integer(), nullable=False, server_default="1")
        )


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("schema_version")
