"""Reference-counted registry copies (hardening, #8)

Revision ID: 0005_registry_copies
Revises: 0004_wiregaps
Create Date: 2026-12-03 20:00:00

* ``registry_copies``: one row per copy under ``_registry/`` with the number of
  versions referencing it, so deleting the last of them removes the copy.
* Backfilled from ``model_versions.storage_location``: every copy a version references
  today gets its count; copies no version references (left by deletions before this
  revision) get no row, and ``modelreg gc`` sweeps them.
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from alembic import op

revision = "0005_registry_copies"
down_revision = "0009_auth"
branch_labels = None
depends_on = None

_PREFIX = "_registry/"


def upgrade() -> None:
    copies = op.create_table(
        "registry_copies",
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("refs", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("location", name=op.f("pk_registry_copies")),
    )
    versions = sa.table("model_versions", sa.column("storage_location", sa.Text()))
    found = op.get_bind().execute(
        sa.select(versions.c.storage_location).where(versions.c.storage_location.is_not(None))
    )
    counts = Counter(loc for (loc,) in found if loc.startswith(_PREFIX) and len(loc) <= 200)
    if counts:
        op.bulk_insert(
            copies,
            [{"location": loc, "refs": n, "created_at": 0} for loc, n in sorted(counts.items())],
        )


def downgrade() -> None:
    op.drop_table("registry_copies")
