"""Authentication: users, API tokens, groups, per-model and per-experiment grants (#11)

Revision ID: 0009_auth
Revises: 0004_wiregaps
Create Date: 2026-12-03 19:40:00

Grants reference registered_models.id / experiments.experiment_id with ON DELETE
CASCADE, so they die with the object and follow renames.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0009_auth"
down_revision = "0008_webhooks"
branch_labels = None
depends_on = None


def _name(length: int) -> sa.types.TypeEngine[str]:
    binary = mysql.VARCHAR(charset="utf8mb4", collation="utf8mb4_bin", length=length)
    return sa.String(length=length).with_variant(binary, "mariadb").with_variant(binary, "mysql")


def upgrade() -> None:
    op.create_table(
        "auth_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", _name(256), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("creation_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("credentials_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_users")),
        sa.UniqueConstraint("username", name=op.f("uq_auth_users_username")),
    )
    op.create_table(
        "auth_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", _name(256), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("creation_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("expiry_timestamp", sa.BigInteger(), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth_users.id"],
            name=op.f("fk_auth_tokens_user_id_auth_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_tokens_token_hash")),
    )
    op.create_index(op.f("ix_auth_tokens_user_id"), "auth_tokens", ["user_id"], unique=False)
    op.create_table(
        "auth_groups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", _name(256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_auth_groups_name")),
    )
    op.create_table(
        "auth_group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["auth_groups.id"],
            name=op.f("fk_auth_group_members_group_id_auth_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auth_users.id"],
            name=op.f("fk_auth_group_members_user_id_auth_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_auth_group_members")),
    )
    op.create_index(
        op.f("ix_auth_group_members_user_id"), "auth_group_members", ["user_id"], unique=False
    )
    op.create_table(
        "auth_model_grants",
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("subject", _name(262), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["registered_models.id"],
            name=op.f("fk_auth_model_grants_model_id_registered_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_id", "subject", name=op.f("pk_auth_model_grants")),
    )
    op.create_index(
        op.f("ix_auth_model_grants_subject_model_id"),
        "auth_model_grants",
        ["subject", "model_id"],
        unique=False,
    )
    op.create_table(
        "auth_experiment_grants",
        sa.Column("experiment_id", sa.BigInteger(), nullable=False),
        sa.Column("subject", _name(262), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name=op.f("fk_auth_experiment_grants_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("experiment_id", "subject", name=op.f("pk_auth_experiment_grants")),
    )
    op.create_index(
        op.f("ix_auth_experiment_grants_subject_experiment_id"),
        "auth_experiment_grants",
        ["subject", "experiment_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("auth_experiment_grants")
    op.drop_table("auth_model_grants")
    op.drop_table("auth_group_members")
    op.drop_table("auth_groups")
    op.drop_table("auth_tokens")
    op.drop_table("auth_users")
