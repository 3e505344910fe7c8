"""store/timeouts.py: every statement is bounded by the statement timeout, enforced by
the database itself, and a timeout is a clear error that says whether to retry.

The slow statements are deliberate (``pg_sleep``, ``SLEEP()``, an endless recursive
CTE on SQLite) against a short timeout; nothing here measures speed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, insert, select, text

from modelreg.config import sqlalchemy_url
from modelreg.errors import QueryTimeout, TemporarilyUnavailable
from modelreg.store.database import Database
from modelreg.store.tables import registered_models
from tests.backends import PG_ADMIN_URI

TIMEOUT_MS = 300

# A statement that runs far longer than the timeout on each backend.
SLOW = {
    "sqlite": (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"
    ),
    "postgresql": "SELECT pg_sleep(30)",
    "mysql": "SELECT SLEEP(30)",
}


def model(name: str) -> dict[str, object]:
    return {
        "name": name,
        "creation_timestamp": 1,
        "last_updated_timestamp": 1,
        "description": "",
        "last_version": 0,
    }


@pytest.fixture
def bounded(database_uri: str) -> Iterator[Database]:
    db = Database(database_uri, statement_timeout_ms=TIMEOUT_MS)
    yield db
    db.dispose()


def test_a_slow_read_is_cancelled_with_a_non_retryable_error(bounded: Database) -> None:
    with pytest.raises(QueryTimeout) as info, bounded.read() as conn:
        conn.exec_driver_sql(SLOW[bounded.dialect]).all()
    assert info.value.error_code == "DEADLINE_EXCEEDED"
    assert str(info.value) == (
        "The query ran longer than the 0.3 s statement timeout and was cancelled. It "
        "would take as long again: narrow the request (a more selective filter, fewer "
        "results per page) instead of retrying it."
    )
    # The connection went back to the pool in working order.
    with bounded.read() as conn:
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1


def test_a_slow_write_is_cancelled_as_retryable_and_writes_nothing(bounded: Database) -> None:
    with pytest.raises(TemporarilyUnavailable, match="0.3 s statement timeout") as info:
        with bounded.write() as conn:
            conn.execute(insert(registered_models).values(model("half")))
            conn.exec_driver_sql(SLOW[bounded.dialect]).all()
    assert "nothing was written" in str(info.value)
    with bounded.read() as conn:
        assert conn.execute(select(registered_models.c.name)).all() == []


def test_the_limit_is_per_statement_not_per_transaction(bounded: Database) -> None:
    # Time between statements (and before COMMIT) never counts against the limit.
    with bounded.write() as conn:
        conn.execute(insert(registered_models).values(model("a")))
        time.sleep(2 * TIMEOUT_MS / 1000)
        conn.execute(insert(registered_models).values(model("b")))
        time.sleep(2 * TIMEOUT_MS / 1000)
    with bounded.read() as conn:
        names = conn.execute(select(registered_models.c.name)).scalars().all()
        time.sleep(2 * TIMEOUT_MS / 1000)
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    assert sorted(names) == ["a", "b"]


def test_zero_means_no_limit(database_uri: str) -> None:
    db = Database(database_uri, statement_timeout_ms=0)
    try:
        with db.read() as conn:
            # Long enough to trip a short limit, short enough for the suite.
            if db.dialect == "sqlite":
                count = conn.exec_driver_sql(
                    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                    "WHERE x < 300000) SELECT count(*) FROM c"
                ).scalar()
                assert count == 300_000
            else:
                sleep = "pg_sleep" if db.dialect == "postgresql" else "SLEEP"
                conn.exec_driver_sql(f"SELECT {sleep}(0.5)").all()
    finally:
        db.dispose()


def test_migrations_run_without_the_limit(database_uri: str) -> None:
    db = Database(database_uri, statement_timeout_ms=1)
    try:
        before, after = db.upgrade_schema()
        assert before == after is not None
    finally:
        db.dispose()


# ------------------------------------------ PostgreSQL: the backend really stops

_CLIENT = textwrap.dedent(
    """
    import sys
    from modelreg.store.database import Database
    db = Database(sys.argv[1], statement_timeout_ms=int(sys.argv[2]))
    with db.read() as conn:
        print("started", flush=True)
        conn.exec_driver_sql("SELECT pg_sleep(60) /* modelreg-timeout-probe */").all()
    """
)


def _active_probes(admin_uri: str, database: str) -> int:
    engine = create_engine(sqlalchemy_url(admin_uri))
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND "
                        "state = 'active' AND query LIKE '%modelreg-timeout-probe%' "
                        "AND pid <> pg_backend_pid()"
                    ),
                    {"db": database},
                ).scalar_one()
            )
    finally:
        engine.dispose()


@pytest.mark.backend
def test_postgresql_cancels_the_query_when_the_client_is_gone(database_uri: str) -> None:
    if not database_uri.startswith("postgresql"):
        pytest.skip("PostgreSQL's pg_stat_activity")
    database = database_uri.rpartition("/")[2]
    for timeout_ms, expect_running in ((0, True), (1000, False)):
        client = subprocess.Popen(
            [sys.executable, "-c", _CLIENT, database_uri, str(timeout_ms)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert client.stdout is not None and client.stdout.readline().strip() == "started"
        time.sleep(0.3)  # the statement has reached the server
        assert _active_probes(PG_ADMIN_URI, database) == 1
        client.kill()  # the client leaves without a word, as a dropped HTTP request does
        client.wait(timeout=10)
        client.stdout.close()
        # Without a limit the backend sleeps on, alone, for the full minute; with one
        # it is cancelled within about a second. Polled for at most 15 s either way.
        deadline = time.monotonic() + 15
        while _active_probes(PG_ADMIN_URI, database) and time.monotonic() < deadline:
            if expect_running:
                break
            time.sleep(0.2)
        running = _active_probes(PG_ADMIN_URI, database)
        assert bool(running) is expect_running, (timeout_ms, running)
        if expect_running:
            _terminate_probes(database)


def _terminate_probes(database: str) -> None:
    engine = create_engine(sqlalchemy_url(PG_ADMIN_URI), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                    ":db AND query LIKE '%modelreg-timeout-probe%' AND pid <> pg_backend_pid()"
                ),
                {"db": database},
            )
    finally:
        engine.dispose()
