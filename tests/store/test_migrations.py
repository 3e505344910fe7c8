"""Alembic migrations are the only source of the schema, and they agree with ``tables``.

Each test gets an empty database of its own (SQLite file, or a fresh PostgreSQL /
MariaDB database when enabled), so migrations run from nothing every time.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, inspect, text

from modelreg.errors import RegistryError
from modelreg.service import RegistryService
from modelreg.store import migrations
from modelreg.store.database import Database, make_engine
from modelreg.store.tables import metadata, run_metrics, runs
from tests.backends import enabled_backends, temporary_database

UPGRADE_COMMAND = "modelreg db upgrade"
VERSION_TABLE = "alembic_version"


def _backends() -> list[object]:
    return [
        "sqlite",
        *[pytest.param(b, marks=pytest.mark.backend) for b in enabled_backends()],
    ]


@pytest.fixture(params=_backends())
def empty_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, on each enabled backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with temporary_database(request.param) as uri:
        yield uri


@pytest.fixture
def server_empty_uri(empty_uri: str) -> str:
    if empty_uri.startswith("sqlite"):
        pytest.skip("SQLite is the one backend that may be upgraded automatically")
    return empty_uri


@pytest.fixture
def engine(empty_uri: str) -> Iterator[Engine]:
    engine = make_engine(empty_uri)
    yield engine
    engine.dispose()


def revisions_in_order() -> list[str]:
    """Every revision from the first to the head (one linear history)."""
    script = ScriptDirectory.from_config(migrations.alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


# ------------------------------------------------------------------ history
def test_single_head_and_linear_history() -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config())
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1
    order = revisions_in_order()
    assert order[-1] == migrations.head_revision()
    for previous, revision in pairwise(order):
        assert script.get_revision(revision).down_revision == previous


# ---------------------------------------------------------- upgrade / downgrade
def test_upgrade_creates_exactly_the_metadata_tables(engine: Engine) -> None:
    assert tables(engine) == set()
    migrations.upgrade(engine)

    assert tables(engine) == set(metadata.tables) | {VERSION_TABLE}
    assert migrations.current_revision(engine) == migrations.head_revision()


def test_migrated_schema_matches_metadata(engine: Engine) -> None:
    migrations.upgrade(engine)

    assert schema_differences(engine) == []


def test_downgrade_to_base_then_upgrade_again(engine: Engine) -> None:
    migrations.upgrade(engine)
    migrations.downgrade(engine, "base")

    assert tables(engine) - {VERSION_TABLE} == set()
    assert migrations.current_revision(engine) is None

    migrations.upgrade(engine)
    assert tables(engine) == set(metadata.tables) | {VERSION_TABLE}
    assert schema_differences(engine) == []


def test_every_revision_downgrades_and_upgrades_again(engine: Engine) -> None:
    previous = "base"
    for revision in revisions_in_order():
        migrations.upgrade(engine, revision)
        after_upgrade = tables(engine)
        migrations.downgrade(engine, previous)
        assert migrations.current_revision(engine) == (None if previous == "base" else previous)
        migrations.upgrade(engine, revision)
        assert tables(engine) == after_upgrade, revision
        assert migrations.current_revision(engine) == revision
        previous = revision
    assert schema_differences(engine) == []


def test_events_written_before_0003_read_as_schema_version_1(engine: Engine) -> None:
    migrations.upgrade(engine, "0002")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO events (timestamp, actor, type, model_name, version, payload) "
                "VALUES (1, 'alice', 'registered_model.created', 'm', NULL, '{}')"
            )
        )
    migrations.upgrade(engine, "0003")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT schema_version FROM events")).scalar_one() == 1


def test_metrics_logged_before_0004_have_no_dataset(engine: Engine) -> None:
    migrations.upgrade(engine, "0003")
    with engine.begin() as conn:  # only columns 0003 has: Core inserts name no others
        run = {"run_name": "r", "status": "RUNNING", "start_time": 1, "artifact_uri": "a"}
        conn.execute(
            insert(runs).values(run_id="r1", experiment_id=0, lifecycle_stage="active", **run)
        )
        point = {"key": "acc", "value": 0.5, "is_nan": False, "timestamp": 1, "step": 0}
        conn.execute(insert(run_metrics).values(run_id="r1", **point))
    migrations.upgrade(engine)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT value, dataset_name, dataset_digest FROM run_metrics"))
        assert found.one() == (0.5, None, None)
    migrations.downgrade(engine, "0003")  # and back again: the values stay
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM run_metrics")).scalar_one() == 0.5


# ------------------------------------------------------------- schema check
def test_fresh_sqlite_file_is_upgraded_on_first_use(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "registry.db"
    db = Database(f"sqlite:///{path}")
    try:
        db.ensure_schema()
        assert migrations.current_revision(db.engine) == migrations.head_revision()
        assert tables(db.engine) == set(metadata.tables) | {VERSION_TABLE}

        service = RegistryService(db, actor="alice")
        service.create_registered_model("churn")
        assert service.get_registered_model("churn").name == "churn"
    finally:
        db.dispose()


def test_fresh_sqlite_file_is_left_alone_without_auto_upgrade(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'r.db'}", auto_upgrade_sqlite=False)
    try:
        with pytest.raises(RegistryError, match=UPGRADE_COMMAND):
            db.ensure_schema()
        assert tables(db.engine) == set()
    finally:
        db.dispose()


@pytest.mark.parametrize("revision", ["previous", "unknown"])
def test_sqlite_file_at_another_revision_is_refused(tmp_path: Path, revision: str) -> None:
    uri = f"sqlite:///{tmp_path / 'old.db'}"
    setup = make_engine(uri)
    order = revisions_in_order()
    if revision == "previous":
        if len(order) < 2:
            pytest.skip("only one revision exists so far")
        migrations.upgrade(setup, order[-2])
    else:
        migrations.upgrade(setup)
        with setup.begin() as conn:
            conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = 'f00dfeedbeef'"))
    before = migrations.current_revision(setup)
    setup.dispose()

    db = Database(uri)
    try:
        with pytest.raises(RegistryError, match=UPGRADE_COMMAND) as raised:
            db.ensure_schema()
        assert str(before) in str(raised.value)
        with pytest.raises(RegistryError, match=UPGRADE_COMMAND):
            RegistryService(db).search_registered_models()
        assert migrations.current_revision(db.engine) == before  # untouched
    finally:
        db.dispose()


def test_non_empty_unversioned_database_is_refused(empty_uri: str, engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE someone_elses (id INTEGER PRIMARY KEY)"))

    db = Database(empty_uri)
    try:
        with pytest.raises(RegistryError, match=UPGRADE_COMMAND):
            db.ensure_schema()
    finally:
        db.dispose()
    assert tables(engine) == {"someone_elses"}


@pytest.mark.backend
def test_empty_server_database_is_not_migrated_automatically(
    server_empty_uri: str, engine: Engine
) -> None:
    db = Database(server_empty_uri)
    try:
        with pytest.raises(RegistryError, match=UPGRADE_COMMAND) as raised:
            db.ensure_schema()
        assert "no modelreg schema" in str(raised.value)
        assert tables(engine) == set()

        # Once an operator runs the upgrade, the same Database works.
        migrations.upgrade(engine)
        db.ensure_schema()
        RegistryService(db).create_registered_model("churn")
    finally:
        db.dispose()


_KILLED_MID_UPGRADE = """
import os, sys
from sqlalchemy import event
from modelreg.store import migrations
from modelreg.store.database import Database

real_upgrade = migrations.upgrade

def dying_upgrade(engine, revision="head"):
    @event.listens_for(engine, "before_cursor_execute")
    def _die(conn, cursor, statement, *args):
        # The second revision's first table: revision 0001 is done by now.
        if "CREATE TABLE counters" in statement:
            os._exit(9)
    real_upgrade(engine, revision)

migrations.upgrade = dying_upgrade
Database(sys.argv[1]).ensure_schema()
"""


def test_a_first_start_killed_mid_upgrade_leaves_nothing_half_done(tmp_path: Path) -> None:
    """The embedded auto-upgrade is one transaction: the next start builds it all."""
    uri = f"sqlite:///{tmp_path / 'r.db'}"
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_MID_UPGRADE, uri], capture_output=True, timeout=120
    )
    assert killed.returncode == 9, killed.stderr.decode()[-2000:]
    first = Database(uri)
    try:
        assert first.schema_revisions()[0] is None  # nothing of revision 0001 was kept
        first.ensure_schema()
        current, head = first.schema_revisions()
        assert current == head
    finally:
        first.dispose()
