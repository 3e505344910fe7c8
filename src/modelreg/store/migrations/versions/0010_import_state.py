"""import_state: what ``modelreg import-mlflow`` has brought over, per source

Revision ID: 0010_import_state
Revises: 0004_wiregaps
Create Date: 2026-12-03 19:40:00

One row per imported entity (experiment, run, logged model, registered model, model
version) of one MLflow server, with a fingerprint of what was read: a rerun skips
what is unchanged, replaces what changed, and finishes what an interrupted run left.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0010_import_state"
down_revision = "0005_registry_copies"
branch_labels = None
depends_on = None


def _name(length: int) -> sa.types.TypeEngine[str]:
    # Case-sensitive on MySQL/MariaDB too, as every name and key column (tables._name).
    binary = mysql.VARCHAR(charset="utf8mb4", collation="utf8mb4_bin", length=length)
    return sa.String(length=length).with_variant(binary, "mariadb").with_variant(binary, "mysql")


def upgrade() -> None:
    op.create_table(
        "import_state",
        sa.Column("source", _name(255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", _name(400), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source", "kind", "key", name=op.f("pk_import_state")),
    )


def downgrade() -> None:
    op.drop_table("import_state")
