"""Searches filter by permission in SQL: 10 readable models among 10,000 (100,000
versions) page through 10, with as many statements as an unfiltered page.

Runs on SQLite, and on PostgreSQL/MariaDB with MODELREG_TEST_BACKENDS (``backend``
marker through the ``db`` fixture). Rows are inserted in bulk with plain SQL; the
searches go through the service as a principal under a ``GrantPolicy``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, insert

from modelreg.principal import Principal
from modelreg.service import RegistryService
from modelreg.service.auth import GrantPolicy, Level
from modelreg.store.database import Database
from modelreg.store.tables import auth_model_grants, model_versions, registered_models

MODELS = 10_000
VERSIONS_PER_MODEL = 10
READABLE = range(0, MODELS, MODELS // 10)  # models 0, 1000, 2000, …: ten of them
BOB = Principal("bob", authenticated=True)


@contextmanager
def counted(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def populate(db: Database, count: int) -> Database:
    """``count`` models of 10 versions each; bob may read ten of them (READABLE)."""
    models = [
        {
            "id": i + 1,
            "name": f"model-{i:05d}",
            "creation_timestamp": i,
            "last_updated_timestamp": i,
            "description": "",
            "user_id": "alice",
            "last_version": VERSIONS_PER_MODEL,
        }
        for i in range(count)
    ]
    versions = [
        {
            "model_id": i + 1,
            "version": v,
            "creation_timestamp": i * 100 + v,
            "last_updated_timestamp": i * 100 + v,
            "current_stage": "None",
            "description": "",
            "source": "s3://bucket/x",
            "status": "READY",
        }
        for i in range(count)
        for v in range(1, VERSIONS_PER_MODEL + 1)
    ]
    with db.write() as conn:
        conn.execute(insert(registered_models), models)
        for start in range(0, len(versions), 20_000):
            conn.execute(insert(model_versions), versions[start : start + 20_000])
        conn.execute(
            insert(auth_model_grants),
            [
                {"model_id": i + 1, "subject": "bob", "level": int(Level.READ)}
                for i in READABLE
                if i < count
            ],
        )
    return db


@pytest.fixture
def big_registry(db: Database) -> Database:
    return populate(db, MODELS)


def _service(db: Database, default: Level = Level.NO_PERMISSIONS) -> RegistryService:
    return RegistryService(db, actor=BOB, grants=GrantPolicy(default))


def test_ten_readable_among_ten_thousand_models_and_100k_versions(
    big_registry: Database,
) -> None:
    service = _service(big_registry)
    found = service.search_registered_models(max_results=100)
    assert [m.name for m in found] == sorted(f"model-{i:05d}" for i in READABLE)
    assert found.token is None
    pages, token, names = 0, None, set()
    while True:
        page = service.search_model_versions(max_results=40, page_token=token)
        names |= {v.name for v in page}
        pages += 1
        token = page.token
        if token is None:
            break
    assert pages == 3  # 100 readable versions, 40 per page
    assert names == {f"model-{i:05d}" for i in READABLE}
    filtered = service.search_model_versions("name = 'model-00001'")
    assert list(filtered) == []

    # A filtered page costs the statements of an unfiltered one.
    bob = service
    admin = RegistryService(
        big_registry,
        actor=Principal("root", authenticated=True, is_admin=True),
        grants=GrantPolicy(),
    )
    bob.search_registered_models(max_results=10)  # compiled once
    admin.search_registered_models(max_results=10)
    with counted(big_registry) as filtered:
        assert len(bob.search_registered_models(max_results=10)) == 10
    with counted(big_registry) as unfiltered:
        assert len(admin.search_registered_models(max_results=10)) == 10
    assert len(filtered) == len(unfiltered) <= 4
    with counted(big_registry) as versions:
        assert len(bob.search_model_versions(max_results=10)) == 10
    assert len(versions) <= 3


def test_a_read_default_hides_only_what_is_explicitly_withheld(db: Database) -> None:
    big_registry = populate(db, 100)
    with big_registry.write() as conn:
        conn.execute(
            insert(auth_model_grants),
            [{"model_id": 2, "subject": "bob", "level": int(Level.NO_PERMISSIONS)}],
        )
    service = _service(big_registry, Level.READ)
    first = service.search_registered_models(max_results=3)
    assert [m.name for m in first] == ["model-00000", "model-00002", "model-00003"]
