"""A hand-made MLflow tracking database: MLflow 3's tables, as its SQL store creates them.

Only the tables and columns ``modelreg import-mlflow --from sqlite:///…`` reads (from
mlflow/store/tracking/dbmodels/models.py and mlflow/store/model_registry/dbmodels/
models.py), so the database source is covered in the default suite without mlflow.
test_import_mlflow_db.py checks the same reader against a database made by the real
mlflow.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
CREATE TABLE experiments (
    experiment_id INTEGER NOT NULL,
    name VARCHAR(256) NOT NULL UNIQUE,
    artifact_location VARCHAR(256),
    lifecycle_stage VARCHAR(32),
    creation_time BIGINT,
    last_update_time BIGINT,
    CONSTRAINT experiment_pk PRIMARY KEY (experiment_id)
);
CREATE TABLE experiment_tags (
    key VARCHAR(250) NOT NULL,
    value VARCHAR(5000),
    experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id),
    CONSTRAINT experiment_tag_pk PRIMARY KEY (key, experiment_id)
);
CREATE TABLE runs (
    run_uuid VARCHAR(32) NOT NULL,
    name VARCHAR(250),
    source_type VARCHAR(20),
    source_name VARCHAR(500),
    entry_point_name VARCHAR(50),
    user_id VARCHAR(256),
    status VARCHAR(9),
    start_time BIGINT,
    end_time BIGINT,
    deleted_time BIGINT,
    source_version VARCHAR(50),
    lifecycle_stage VARCHAR(20),
    artifact_uri VARCHAR(200),
    experiment_id INTEGER REFERENCES experiments (experiment_id),
    CONSTRAINT run_pk PRIMARY KEY (run_uuid)
);
CREATE TABLE params (
    key VARCHAR(250) NOT NULL,
    value VARCHAR(8000) NOT NULL,
    run_uuid VARCHAR(32) NOT NULL REFERENCES runs (run_uuid),
    CONSTRAINT param_pk PRIMARY KEY (key, run_uuid)
);
CREATE TABLE tags (
    key VARCHAR(250) NOT NULL,
    value VARCHAR(8000),
    run_uuid VARCHAR(32) NOT NULL REFERENCES runs (run_uuid),
    CONSTRAINT tag_pk PRIMARY KEY (key, run_uuid)
);
CREATE TABLE metrics (
    key VARCHAR(250) NOT NULL,
    value FLOAT NOT NULL,
    timestamp BIGINT NOT NULL,
    run_uuid VARCHAR(32) NOT NULL REFERENCES runs (run_uuid),
    step BIGINT DEFAULT '0' NOT NULL,
    is_nan BOOLEAN DEFAULT '0' NOT NULL,
    CONSTRAINT metric_pk PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan)
);
CREATE TABLE latest_metrics (
    key VARCHAR(250) NOT NULL,
    value FLOAT NOT NULL,
    timestamp BIGINT,
    step BIGINT NOT NULL,
    is_nan BOOLEAN NOT NULL,
    run_uuid VARCHAR(32) NOT NULL REFERENCES runs (run_uuid),
    CONSTRAINT latest_metric_pk PRIMARY KEY (key, run_uuid)
);
CREATE TABLE datasets (
    dataset_uuid VARCHAR(36) NOT NULL,
    experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
    name VARCHAR(500) NOT NULL,
    digest VARCHAR(36) NOT NULL,
    dataset_source_type VARCHAR(36) NOT NULL,
    dataset_source TEXT NOT NULL,
    dataset_schema TEXT,
    dataset_profile TEXT,
    CONSTRAINT dataset_pk PRIMARY KEY (experiment_id, name, digest)
);
CREATE TABLE inputs (
    input_uuid VARCHAR(36) NOT NULL,
    source_type VARCHAR(36) NOT NULL,
    source_id VARCHAR(36) NOT NULL,
    destination_type VARCHAR(36) NOT NULL,
    destination_id VARCHAR(36) NOT NULL,
    step BIGINT DEFAULT '0' NOT NULL,
    CONSTRAINT inputs_pk PRIMARY KEY (source_type, source_id, destination_type, destination_id)
);
CREATE TABLE input_tags (
    input_uuid VARCHAR(36) NOT NULL,
    name VARCHAR(255) NOT NULL,
    value VARCHAR(500) NOT NULL,
    CONSTRAINT input_tags_pk PRIMARY KEY (input_uuid, name)
);
CREATE TABLE logged_models (
    model_id VARCHAR(36) NOT NULL,
    experiment_id INTEGER NOT NULL,
    name VARCHAR(500) NOT NULL,
    artifact_location VARCHAR(1000) NOT NULL,
    creation_timestamp_ms BIGINT NOT NULL,
    last_updated_timestamp_ms BIGINT NOT NULL,
    status INTEGER NOT NULL,
    lifecycle_stage VARCHAR(32),
    model_type VARCHAR(500),
    source_run_id VARCHAR(32),
    status_message VARCHAR(1000),
    CONSTRAINT logged_models_pk PRIMARY KEY (model_id)
);
CREATE TABLE logged_model_params (
    model_id VARCHAR(36) NOT NULL,
    experiment_id INTEGER NOT NULL,
    param_key VARCHAR(255) NOT NULL,
    param_value TEXT NOT NULL,
    CONSTRAINT logged_model_params_pk PRIMARY KEY (model_id, param_key)
);
CREATE TABLE logged_model_tags (
    model_id VARCHAR(36) NOT NULL,
    experiment_id INTEGER NOT NULL,
    tag_key VARCHAR(255) NOT NULL,
    tag_value TEXT NOT NULL,
    CONSTRAINT logged_model_tags_pk PRIMARY KEY (model_id, tag_key)
);
CREATE TABLE registered_models (
    name VARCHAR(256) NOT NULL,
    creation_time BIGINT,
    last_updated_time BIGINT,
    description VARCHAR(5000),
    CONSTRAINT registered_model_pk PRIMARY KEY (name)
);
CREATE TABLE registered_model_tags (
    key VARCHAR(250) NOT NULL,
    value VARCHAR(5000),
    name VARCHAR(256) NOT NULL REFERENCES registered_models (name) ON UPDATE CASCADE,
    CONSTRAINT registered_model_tag_pk PRIMARY KEY (key, name)
);
CREATE TABLE registered_model_aliases (
    alias VARCHAR(256) NOT NULL,
    version INTEGER NOT NULL,
    name VARCHAR(256) NOT NULL REFERENCES registered_models (name),
    CONSTRAINT registered_model_alias_pk PRIMARY KEY (name, alias)
);
CREATE TABLE model_versions (
    name VARCHAR(256) NOT NULL REFERENCES registered_models (name) ON UPDATE CASCADE,
    version INTEGER NOT NULL,
    creation_time BIGINT,
    last_updated_time BIGINT,
    description VARCHAR(5000),
    user_id VARCHAR(256),
    current_stage VARCHAR(20),
    source VARCHAR(500),
    run_id VARCHAR(32),
    status VARCHAR(20),
    status_message VARCHAR(500),
    run_link VARCHAR(500),
    storage_location VARCHAR(500),
    CONSTRAINT model_version_pk PRIMARY KEY (name, version)
);
CREATE TABLE model_version_tags (
    key VARCHAR(250) NOT NULL,
    value TEXT,
    name VARCHAR(256) NOT NULL,
    version INTEGER NOT NULL,
    CONSTRAINT model_version_tag_pk PRIMARY KEY (key, name, version),
    FOREIGN KEY (name, version) REFERENCES model_versions (name, version) ON UPDATE CASCADE
);
"""


def create(path: Path) -> sqlite3.Connection:
    """An empty MLflow-schema database at ``path``; the caller fills and closes it."""
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    return conn
