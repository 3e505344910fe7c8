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
