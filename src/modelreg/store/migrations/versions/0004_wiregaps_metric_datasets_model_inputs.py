"""Metric datasets and run model inputs (MLflow wire gaps, #7)

Revision ID: 0004_wiregaps
Revises: 0003
Create Date: 2026-12-03 17:00:00

* ``run_metrics.dataset_name`` / ``dataset_digest``: the dataset a metric was
  computed on (``log_metric(..., dataset_name=, dataset_digest=)``), which
  ``search_logged_models(datasets=[...])`` filters on. Existing rows have none.
* ``run_metrics`` indexes on ``(model_id, key)`` and ``(dataset_name,
  dataset_digest)``: the logged-model metric reads and filters look rows up by them.
* ``run_model_inputs``: logged models a run used as inputs (``log_inputs(models=)``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004_wiregaps"
down_revision = "0003"
branch_labels = None
depends_on = None


def _name(length: int) -> sa.types.TypeEngine[str]:
    # Case-sensitive on MySQL/MariaDB too, as every name and key column (tables._name).
    binary = mysql.VARCHAR(charset="utf8mb4", collation="utf8mb4_bin", length=length)
    return sa.String(length=length).with_variant(binary, "mariadb").with_variant(binary, "mysql")


def upgrade() -> None:
    with op.batch_alter_table("run_metrics", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dataset_name", _name(500), nullable=True))
        batch_op.add_column(sa.Column("dataset_digest", _name(64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_run_metrics_model_id_key"), ["model_id", "key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_run_metrics_dataset_name_dataset_digest"),
            ["dataset_name", "dataset_digest"],
            unique=False,
        )

    op.create_table(
        "run_model_inputs",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["logged_models.model_id"],
            name=op.f("fk_run_model_inputs_model_id_logged_models"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.run_id"],
            name=op.f("fk_run_model_inputs_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "model_id", name=op.f("pk_run_model_inputs")),
    )
    with op.batch_alter_table("run_model_inputs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_run_model_inputs_model_id"), ["model_id"], unique=False
        )


def downgrade() -> None:
    # Dropping the table drops its index (MySQL refuses to drop an index that a
    # foreign key uses on its own).
    op.drop_table("run_model_inputs")
    with op.batch_alter_table("run_metrics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_metrics_dataset_name_dataset_digest"))
        batch_op.drop_index(batch_op.f("ix_run_metrics_model_id_key"))
        batch_op.drop_column("dataset_digest")
        batch_op.drop_column("dataset_name")
