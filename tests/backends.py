"""Throwaway databases for tests: a SQLite file, or a fresh PostgreSQL / MariaDB database.

PostgreSQL and MariaDB run when ``MODELREG_TEST_BACKENDS`` names them (comma-separated:
``postgresql,mysql``); ``.ci/run`` sets it. Each test run creates its own database and
drops it at the end, so parallel runs never share state.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from modelreg.config import sqlalchemy_url

PG_ADMIN_URI = os.environ.get("MODELREG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
MYSQL_ADMIN_URI = os.environ.get("MODELREG_TEST_MYSQL", "mysql://root@127.0.0.1:3306/test")


def enabled_backends() -> list[str]:
    raw = os.environ.get("MODELREG_TEST_BACKENDS", "")
    return [b.strip() for b in raw.split(",") if b.strip()]


def _with_database(admin_uri: str, name: str) -> str:
    base, _, _ = admin_uri.rpartition("/")
    return f"{base}/{name}"


@contextmanager
def temporary_database(backend: str) -> Iterator[str]:
    """Create an empty database on ``backend`` and yield its URI; drop it afterwards."""
    name = f"modelreg_t_{uuid.uuid4().hex[:12]}"
    if backend == "postgresql":
        admin = create_engine(sqlalchemy_url(PG_ADMIN_URI), isolation_level="AUTOCOMMIT")
        create, drop = f'CREATE DATABASE "{name}"', f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        uri = _with_database(PG_ADMIN_URI, name)
    elif backend == "mysql":
        admin = create_engine(sqlalchemy_url(MYSQL_ADMIN_URI), isolation_level="AUTOCOMMIT")
        create = f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        drop = f"DROP DATABASE IF EXISTS `{name}`"
        uri = _with_database(MYSQL_ADMIN_URI, name)
    else:
        raise ValueError(f"unknown backend {backend!r}")
    with admin.connect() as conn:
        conn.execute(text(create))
    try:
        yield uri
    finally:
        with admin.connect() as conn:
            conn.execute(text(drop))
        admin.dispose()
