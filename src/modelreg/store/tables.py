"""SQLAlchemy Core tables. Alembic migrations, not this file, create the schema;
``tests/store/test_migrations.py`` proves the two agree."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# Tag values may be 100,000 characters: too long for a btree index on PostgreSQL or
# MySQL. Equality filters use an indexed prefix of the value, then check the full value.
VALUE_PREFIX_LENGTH = 200


def _name(length: int) -> String:
    # Names and keys compare case-sensitively everywhere, as on MLflow's SQLite store;
    # MySQL's default collation would make "Fraud" and "fraud" the same model.
    return String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


def _long_text() -> Text:
    return Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


_BIGINT_ID = BigInteger().with_variant(Integer(), "sqlite")

registered_models = Table(
    "registered_models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", _name(256), nullable=False, unique=True),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    Column("description", _long_text(), nullable=False, default=""),
    Column("user_id", String(256), nullable=True),
    # The version counter: incremented under the row lock, never reused, never MAX()+1.
    Column("last_version", Integer, nullable=False, default=0),
    Index(None, "last_updated_timestamp"),
)

registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", _name(250), primary_key=True),
    Column("value", _long_text(), nullable=False),
    Column("value_prefix", _name(VALUE_PREFIX_LENGTH), nullable=False),
    Index(None, "key", "value_prefix"),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    Column("current_stage", String(20), nullable=False),
    Column("description", _long_text(), nullable=False, default=""),
    Column("source", Text, nullable=False),
    Column("run_id", _name(256), nullable=True),
    Column("run_link", Text, nullable=True),
    Column("status", String(20), nullable=False),
    Column("status_message", Text, nullable=True),
    Column("user_id", String(256), nullable=True),
    Column("model_id_ref", String(64), nullable=True),
    Column("storage_location", Text, nullable=True),
    # SHA-256 of every file of the registry's copy, as JSON {path: hex}; None for
    # external sources the registry cannot read.
    Column("manifest", _long_text(), nullable=True),
    Index(None, "model_id", "current_stage", "version"),
    Index(None, "run_id"),
    Index(None, "last_updated_timestamp"),
    Index(None, "creation_timestamp"),
)

model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column("model_id", Integer, primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("key", _name(250), primary_key=True),
    Column("value", _long_text(), nullable=False),
    Column("value_prefix", _name(VALUE_PREFIX_LENGTH), nullable=False),
    ForeignKeyConstraint(
        ["model_id", "version"],
        ["model_versions.model_id", "model_versions.version"],
        ondelete="CASCADE",
        name="fk_model_version_tags_version_model_versions",
    ),
    Index(None, "key", "value_prefix"),
)

model_aliases = Table(
    "model_aliases",
    metadata,
    Column("model_id", Integer, primary_key=True),
    Column("alias", _name(255), primary_key=True),
    Column("version", Integer, nullable=False),
    ForeignKeyConstraint(
        ["model_id", "version"],
        ["model_versions.model_id", "model_versions.version"],
        ondelete="CASCADE",
        name="fk_model_aliases_version_model_versions",
    ),
    Index(None, "model_id", "version"),
)

events = Table(
    "events",
    metadata,
    Column("id", _BIGINT_ID, primary_key=True, autoincrement=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("actor", String(256), nullable=False),
    Column("type", String(64), nullable=False),
    # The payload's schema version for its type (modelreg.events, docs/events.md).
    Column("schema_version", Integer, nullable=False, server_default="1"),
    Column("model_name", _name(256), nullable=True),
    Column("version", Integer, nullable=True),
    Column("payload", _long_text(), nullable=False),
    Index(None, "model_name", "id"),
    Index(None, "type", "id"),
    Index(None, "timestamp"),
    # The hash chain and time travel (docs/history.md): the registered model's stable
    # id (registered_models.id, kept after the model is deleted or renamed), what the
    # event moved (an alias name, a stage), and the chain's links.
    Column("model_id", Integer, nullable=True),
    Column("subject", _name(256), nullable=True),
    Column("prev_hash", String(64), nullable=True),
    Column("hash", String(64), nullable=True),
    Index(None, "model_id", "type", "id"),
    Index(None, "model_id", "subject", "id"),
)

# The head of each model's event chain: written under a row lock of its own with every
# model event, so a deleted tail of the chain is noticed too (docs/history.md).
event_chains = Table(
    "event_chains",
    metadata,
    Column("model_id", Integer, primary_key=True, autoincrement=False),
    Column("length", BigInteger, nullable=False),
    Column("head_hash", String(64), nullable=False),
)

# ---------------------------------------------------------------- tracking

# Named counters incremented under a row lock (experiment ids), never MAX()+1.
counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", _name(256), nullable=False, unique=True),
    Column("artifact_location", Text, nullable=False),
    Column("lifecycle_stage", String(32), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_update_time", BigInteger, nullable=False),
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column(
        "experiment_id",
        BigInteger,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", _name(250), primary_key=True),
    Column("value", _long_text(), nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column(
        "experiment_id",
        BigInteger,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("run_name", String(250), nullable=False),
    Column("user_id", String(256), nullable=True),
    Column("status", String(20), nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger, nullable=True),
    Column("lifecycle_stage", String(32), nullable=False),
    Column("artifact_uri", Text, nullable=False),
    Index(None, "experiment_id", "start_time"),
)

run_params = Table(
    "run_params",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", _name(250), primary_key=True),
    Column("value", Text, nullable=False),
)

run_tags = Table(
    "run_tags",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", _name(250), primary_key=True),
    Column("value", _long_text(), nullable=False),
)

# Full metric history; `latest_metrics` keeps the value get_run shows, maintained on write.
run_metrics = Table(
    "run_metrics",
    metadata,
    Column("id", _BIGINT_ID, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False),
    Column("key", _name(250), nullable=False),
    Column("value", Double, nullable=True),
    Column("is_nan", Boolean, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("model_id", String(64), nullable=True),
    # The dataset the value was computed on; logged-model searches filter on it.
    Column("dataset_name", _name(500), nullable=True),
    Column("dataset_digest", _name(64), nullable=True),
    Index(None, "run_id", "key", "step"),
    Index(None, "model_id", "key"),
    Index(None, "dataset_name", "dataset_digest"),
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("key", _name(250), primary_key=True),
    Column("value", Double, nullable=True),
    Column("is_nan", Boolean, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
)

datasets = Table(
    "datasets",
    metadata,
    Column("dataset_id", String(36), primary_key=True),
    Column(
        "experiment_id",
        BigInteger,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", _name(500), nullable=False),
    Column("digest", _name(64), nullable=False),
    Column("source_type", String(64), nullable=False),
    Column("source", _long_text(), nullable=False),
    Column("schema", _long_text(), nullable=True),
    Column("profile", _long_text(), nullable=True),
    UniqueConstraint("experiment_id", "name", "digest"),
)

run_inputs = Table(
    "run_inputs",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column(
        "dataset_id",
        String(36),
        ForeignKey("datasets.dataset_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # Input tags such as mlflow.data.context ("training", "eval"), as a JSON object;
    # the context is also a column so `datasets.context` filters are plain SQL.
    Column("tags", Text, nullable=False),
    Column("context", String(250), nullable=True),
)

logged_models = Table(
    "logged_models",
    metadata,
    Column("model_id", String(64), primary_key=True),
    Column(
        "experiment_id",
        BigInteger,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", _name(500), nullable=False),
    Column("artifact_location", Text, nullable=False),
    Column("creation_timestamp_ms", BigInteger, nullable=False),
    Column("last_updated_timestamp_ms", BigInteger, nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_message", Text, nullable=True),
    Column("model_type", String(500), nullable=True),
    Column("source_run_id", String(32), nullable=True),
    Index(None, "experiment_id", "name"),
    Index(None, "source_run_id"),
)

logged_model_params = Table(
    "logged_model_params",
    metadata,
    Column(
        "model_id",
        String(64),
        ForeignKey("logged_models.model_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", _name(250), primary_key=True),
    Column("value", Text, nullable=False),
)

logged_model_tags = Table(
    "logged_model_tags",
    metadata,
    Column(
        "model_id",
        String(64),
        ForeignKey("logged_models.model_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("key", _name(250), primary_key=True),
    Column("value", _long_text(), nullable=False),
)

run_outputs = Table(
    "run_outputs",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column(
        "model_id",
        String(64),
        ForeignKey("logged_models.model_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("step", BigInteger, nullable=False),
)

# Logged models a run used as inputs (MLflow's RunInputs.model_inputs).
run_model_inputs = Table(
    "run_model_inputs",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column(
        "model_id",
        String(64),
        ForeignKey("logged_models.model_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Index(None, "model_id"),
)

# ---------------------------------------------------------------- approvals
# Comments, requests (stage transitions and aliases), approvals, promotion policies
# and status checks (#9). Rows about a version go when the version goes.


def _version_fk(table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["model_id", "version"],
        ["model_versions.model_id", "model_versions.version"],
        ondelete="CASCADE",
        name=f"fk_{table}_version_model_versions",
    )


comments = Table(
    "comments",
    metadata,
    Column("id", _BIGINT_ID, primary_key=True, autoincrement=True),
    Column("model_id", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("user_id", String(256), nullable=False),
    Column("comment", _long_text(), nullable=False),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    _version_fk("comments"),
    Index(None, "model_id", "version", "id"),
)

approval_requests = Table(
    "approval_requests",
    metadata,
    Column("id", _BIGINT_ID, primary_key=True, autoincrement=True),
    Column("model_id", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    # "stage" (target is a stage name) or "alias" (target is the alias).
    Column("kind", String(8), nullable=False),
    Column("target", _name(255), nullable=False),
    Column("creator", String(256), nullable=False),
    Column("comment", _long_text(), nullable=False),
    Column("from_stage", String(20), nullable=False),
    # open, approved, rejected or cancelled.
    Column("status", String(16), nullable=False),
    Column("resolved_by", String(256), nullable=True),
    Column("resolution_comment", _long_text(), nullable=True),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    _version_fk("approval_requests"),
    Index(None, "model_id", "version", "status"),
)

approvals = Table(
    "approvals",
    metadata,
    Column(
        "request_id",
        _BIGINT_ID,
        ForeignKey("approval_requests.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # The primary key makes "approved twice by the same person" impossible in the data.
    Column("approver", String(256), primary_key=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("comment", _long_text(), nullable=False),
)

promotion_policies = Table(
    "promotion_policies",
    metadata,
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # A stage name, or "@alias".
    Column("target", _name(256), primary_key=True),
    Column("required_approvals", Integer, nullable=False),
    # JSON: a list of approvers, an object of tags, a list of check names.
    Column("approvers", Text, nullable=False),
    Column("four_eyes", Boolean, nullable=False),
    Column("required_tags", Text, nullable=False),
    Column("required_checks", Text, nullable=False),
    Column("require_integrity", Boolean, nullable=False),
    Column("updated_by", String(256), nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
)

status_checks = Table(
    "status_checks",
    metadata,
    Column("id", _BIGINT_ID, primary_key=True, autoincrement=True),
    Column("model_id", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("check_name", _name(255), nullable=False),
    Column("state", String(16), nullable=False),
    Column("details_url", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("actor", String(256), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    _version_fk("status_checks"),
    Index(None, "model_id", "version", "check_name", "id"),
)
# ---- webhooks (begin)
# Subscriptions. ``events`` is a JSON array of modelreg event type names (the MLflow
# and Databricks names are mapped onto them by modelreg.webhooks.names); ``filters``
# and ``target`` are JSON objects (modelreg.webhooks.matching / .targets). Secrets
# (the signing secret, an Authorization header, an SMTP password) are stored
# encrypted (modelreg.webhooks.crypto), never in clear on a shared database.
webhooks = Table(
    "webhooks",
    metadata,
    Column("webhook_id", String(32), primary_key=True),
    Column("name", String(256), nullable=False),
    Column("description", Text, nullable=False),
    # How deliveries look on the wire: mlflow | databricks | http | slack | email.
    Column("kind", String(16), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("events", Text, nullable=False),
    # ACTIVE | DISABLED | TEST_MODE (Databricks: test endpoint only).
    Column("status", String(16), nullable=False),
    Column("model_name", _name(256), nullable=True),
    Column("filters", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("secret", Text, nullable=True),
    Column("authorization", Text, nullable=True),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("disabled_reason", Text, nullable=True),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    Index(None, "status"),
)

# One row per (event, matching webhook). ``delivery_id`` is what receivers de-duplicate
# on; it stays the same across retries and redeliveries.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", _BIGINT_ID, primary_key=True, autoincrement=True),
    Column("delivery_id", String(36), nullable=False, unique=True),
    Column(
        "webhook_id",
        String(32),
        ForeignKey("webhooks.webhook_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event_id", BigInteger, nullable=False),
    Column("event_type", String(64), nullable=False),
    # Deliveries of one webhook with the same key are sent in order (the model's name).
    Column("order_key", _name(256), nullable=False),
    # PENDING | SUCCEEDED | DEAD
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", BigInteger, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("completed_at", BigInteger, nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Index(None, "status", "next_attempt_at"),
    Index(None, "webhook_id", "order_key", "status", "id"),
    Index(None, "webhook_id", "id"),
)

# Every attempt: when, how it ended, how long it took, the start of the response.
webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", _BIGINT_ID, primary_key=True, autoincrement=True),
    Column(
        "delivery_row",
        _BIGINT_ID,
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("attempt", Integer, nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("latency_ms", Integer, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("succeeded", Boolean, nullable=False),
    Column("error", Text, nullable=True),
    Column("response_excerpt", Text, nullable=True),
    Column("worker", String(64), nullable=False),
    Index(None, "delivery_row", "id"),
)

# The matcher's durable position in the event log: events up to ``last_event_id``
# have their delivery rows. One row ("default"); workers lock it to match.
webhook_cursor = Table(
    "webhook_cursor",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("last_event_id", BigInteger, nullable=False),
)
# ---- webhooks (end)

# ---------------------------------------------------------------- authentication
# Users, API tokens, groups and per-resource grants (modelreg server --auth; docs/security.md).
# Grants reference the object's stable id with ON DELETE CASCADE: they die with the
# object and follow renames. A grant's subject is a user name or ``group:<name>``.

auth_users = Table(
    "auth_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", _name(256), nullable=False, unique=True),
    # argon2id, in the PHC string format (algorithm, parameters and salt included).
    Column("password_hash", String(255), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("creation_timestamp", BigInteger, nullable=False),
    # Bumped on every password or admin change: cached principals older than this die.
    Column("credentials_version", Integer, nullable=False, default=0),
)

auth_tokens = Table(
    "auth_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("auth_users.id", ondelete="CASCADE"), nullable=False),
    Column("name", _name(256), nullable=False),
    # Hex SHA-256 of the token's 32 random bytes; the token itself is never stored.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("expiry_timestamp", BigInteger, nullable=True),
    Column("revoked", Boolean, nullable=False, default=False),
    Index(None, "user_id"),
)

auth_groups = Table(
    "auth_groups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", _name(256), nullable=False, unique=True),
    Column("description", Text, nullable=True),
)

auth_group_members = Table(
    "auth_group_members",
    metadata,
    Column("group_id", Integer, ForeignKey("auth_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("auth_users.id", ondelete="CASCADE"), primary_key=True),
    Index(None, "user_id"),
)

auth_model_grants = Table(
    "auth_model_grants",
    metadata,
    Column(
        "model_id",
        Integer,
        ForeignKey("registered_models.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("subject", _name(262), primary_key=True),
    # modelreg.service.auth.levels.Level: DENY -1, NO_PERMISSIONS 0 … MANAGE 4.
    Column("level", Integer, nullable=False),
    Index(None, "subject", "model_id"),
)

auth_experiment_grants = Table(
    "auth_experiment_grants",
    metadata,
    Column(
        "experiment_id",
        BigInteger,
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("subject", _name(262), primary_key=True),
    Column("level", Integer, nullable=False),
    Index(None, "subject", "experiment_id"),
)

# ---------------------------------------------------------------- registry copies

# One row per registry copy (``_registry/<uuid>``) with the number of versions that
# reference it. A row with ``refs`` 0 is a copy being made (its registration has not
# committed yet); the last version released deletes the row, then the files. A copy
# with no row is an orphan that ``modelreg gc`` may sweep.
registry_copies = Table(
    "registry_copies",
    metadata,
    Column("location", String(200), primary_key=True),
    Column("refs", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

# What `modelreg import-mlflow` brought over from each source, with a fingerprint of
# what it read (modelreg.service.imports): reruns skip the unchanged, redo the changed.
import_state = Table(
    "import_state",
    metadata,
    Column("source", _name(255), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("key", _name(400), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("imported_at", BigInteger, nullable=False),
)
