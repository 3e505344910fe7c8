"""Every read is a fixed few statements, whatever the number of versions or models.

DESIGN.md, "Performance budget": no Python loops over all versions, no N+1 queries.
The statements a read executes are counted with SQLAlchemy's ``before_cursor_execute``
event and compared between a small and a large data set; on SQLite the query plans of
the main reads are checked to search an index rather than scan a registry table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, insert

from modelreg.entities import STAGE_ARCHIVED, STAGE_NONE, STAGE_PRODUCTION, STAGE_STAGING
from modelreg.service import RegistryService
from modelreg.store.database import Database
from modelreg.store.registry import KEYS_PER_STATEMENT, RegistryStore
from modelreg.store.tables import model_version_tags, model_versions
from tests.runs import insert_runs

# The most statements any registry read may execute (transaction control excluded).
MAX_STATEMENTS = 5
SMALL, LARGE = 3, 60
FEW_MODELS, MANY_MODELS, VERSIONS_PER_MODEL = 5, 50, 3

_TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)

Read = Callable[[RegistryService], object]


class StatementLog:
    """The SQL statements (and their parameters) an engine executes while recording."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def queries(self) -> list[str]:
        return [s for s, _ in self.statements if not _TRANSACTION_CONTROL.match(s)]


@contextmanager
def recorded(db: Database) -> Iterator[StatementLog]:
    log = StatementLog()

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        log.statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield log
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def statement_count(service: RegistryService, read: Read) -> int:
    with recorded(service.db) as log:
        read(service)
    return len(log.queries())


def populate_model(service: RegistryService, name: str, versions: int) -> None:
    """A model with tags, ``versions`` tagged versions (the last three staged), aliases."""
    group = name.split("-")[0]
    insert_runs(service.db, *(f"{name}-run-{n}" for n in range(1, versions + 1)))
    service.create_registered_model(name, tags={"team": group, "x": "1"})
    for number in range(1, versions + 1):
        service.create_model_version(
            name,
            f"s3://bucket/{name}/{number}",
            run_id=f"{name}-run-{number}",
            tags={"build": f"{name}-build-{number}", "group": group},
        )
    stages = [STAGE_ARCHIVED, STAGE_STAGING, STAGE_PRODUCTION]
    for number, stage in zip(range(versions - 2, versions + 1), stages, strict=True):
        service.transition_model_version_stage(name, number, stage)
    service.set_registered_model_alias(name, "champion", versions)
    service.set_registered_model_alias(name, "challenger", 1)


def version_reads(name: str) -> dict[str, Read]:
    """The model-level reads, all aimed at model ``name``."""
    return {
        "get_registered_model": lambda s: s.get_registered_model(name),
        "get_model_version": lambda s: s.get_model_version(name, 2),
        "get_latest_versions": lambda s: s.get_latest_versions(name),
        "get_latest_versions[Production]": lambda s: s.get_latest_versions(
            name, [STAGE_PRODUCTION]
        ),
        "get_model_version_by_alias": lambda s: s.get_model_version_by_alias(name, "champion"),
        "search_model_versions[name]": lambda s: s.search_model_versions(f"name = '{name}'"),
        "search_model_versions[name, page of 2]": lambda s: s.search_model_versions(
            f"name = '{name}'", max_results=2
        ),
        "search_model_versions[run_id]": lambda s: s.search_model_versions(
            f"run_id = '{name}-run-2'"
        ),
        "search_model_versions[tag]": lambda s: s.search_model_versions(
            f"tag.build = '{name}-build-2'"
        ),
    }


def search_reads(prefix: str) -> dict[str, Read]:
    """Searches whose page holds every model (and version) named ``prefix-*``."""
    return {
        "search_registered_models[name LIKE]": lambda s: s.search_registered_models(
            f"name LIKE '{prefix}-%'", max_results=100
        ),
        "search_registered_models[tag]": lambda s: s.search_registered_models(
            f"tag.team = '{prefix}'", max_results=100
        ),
        "search_model_versions[name LIKE]": lambda s: s.search_model_versions(
            f"name LIKE '{prefix}-%'"
        ),
        "search_model_versions[tag, many models]": lambda s: s.search_model_versions(
            f"tag.group = '{prefix}'"
        ),
    }


# ---------------------------------------------------------------- counts
def test_model_reads_do_not_grow_with_versions(service: RegistryService) -> None:
    populate_model(service, "small", SMALL)
    populate_model(service, "large", LARGE)

    small = {k: statement_count(service, r) for k, r in version_reads("small").items()}
    large = {k: statement_count(service, r) for k, r in version_reads("large").items()}

    assert large == small
    assert max(small.values()) <= MAX_STATEMENTS, small
    # The reads did read what they were asked for.
    big = service.get_registered_model("large")
    assert {mv.current_stage: mv.number for mv in big.latest_versions} == {
        STAGE_NONE: LARGE - 3,
        STAGE_ARCHIVED: LARGE - 2,
        STAGE_STAGING: LARGE - 1,
        STAGE_PRODUCTION: LARGE,
    }
    assert len(service.search_model_versions("name = 'large'")) == LARGE
    assert service.get_model_version_by_alias("large", "champion").number == LARGE


def test_searches_do_not_grow_with_models(service: RegistryService) -> None:
    for i in range(FEW_MODELS):
        populate_model(service, f"few-{i:02d}", VERSIONS_PER_MODEL)
    for i in range(MANY_MODELS):
        populate_model(service, f"many-{i:02d}", VERSIONS_PER_MODEL)

    few = {k: statement_count(service, r) for k, r in search_reads("few").items()}
    many = {k: statement_count(service, r) for k, r in search_reads("many").items()}

    assert many == few
    assert max(few.values()) <= MAX_STATEMENTS, few
    page = service.search_registered_models("name LIKE 'many-%'", max_results=100)
    assert len(page) == MANY_MODELS
    assert all(len(model.latest_versions) == 3 for model in page)
    assert all(model.aliases for model in page)


# The exact statement count of the hottest reads: a small search costs what a get
# costs. A version's or a page's tags and aliases come in one statement.
EXACT_STATEMENTS = {
    "get_model_version": 2,  # the row; its tags and aliases
    "get_model_version_by_alias": 4,  # model id; alias; the row; tags and aliases
    "get_registered_model": 4,  # the row; tags and aliases; latest per stage; their tags
    "search_model_versions[name]": 2,  # the page; its tags and aliases
    "search_model_versions[tag]": 2,
    "search_model_versions[name OR tag]": 2,
    "search_registered_models[name LIKE]": 3,  # the page; tags and aliases; latest
    "search_registered_models[tag OR tag]": 3,
}


def test_small_reads_cost_a_fixed_few_statements(service: RegistryService) -> None:
    for i in range(3):
        populate_model(service, f"exact-{i}", SMALL)
    reads: dict[str, Read] = {
        **version_reads("exact-0"),
        "search_model_versions[name OR tag]": lambda s: s.search_model_versions(
            "name = 'exact-0' OR tag.build = 'exact-1-build-2'"
        ),
        "search_registered_models[name LIKE]": lambda s: s.search_registered_models(
            "name LIKE 'exact-%'"
        ),
        "search_registered_models[tag OR tag]": lambda s: s.search_registered_models(
            "tag.team = 'exact' OR tag.x = '2'"
        ),
    }
    counts = {label: statement_count(service, reads[label]) for label in EXACT_STATEMENTS}
    assert counts == EXACT_STATEMENTS
    (version,) = service.search_model_versions("name = 'exact-0' AND version_number = 3")
    assert version.tags == {"build": "exact-0-build-3", "group": "exact"}
    assert version.aliases == ["champion"]
    found = service.search_model_versions("name = 'exact-0' OR tag.build = 'exact-1-build-2'")
    assert len(found) == SMALL + 1
    (model, *_) = service.search_registered_models("name LIKE 'exact-%'")
    assert (model.tags, model.aliases) == (
        {"team": "exact", "x": "1"},
        {"champion": "3", "challenger": "1"},
    )


def test_a_page_of_the_search_costs_the_same_as_the_whole(
    service: RegistryService,
) -> None:
    populate_model(service, "large", LARGE)
    whole = statement_count(service, lambda s: s.search_model_versions("name='large'"))
    first_page = statement_count(
        service, lambda s: s.search_model_versions("name='large'", max_results=10)
    )
    assert whole == first_page <= MAX_STATEMENTS


def test_a_huge_page_binds_a_bounded_number_of_parameters(service: RegistryService) -> None:
    """Tags and aliases of a page are read in chunks: no statement's parameter count
    grows with the page size (SQLite allows 32,766 by default, PostgreSQL 65,535)."""
    versions = 2 * KEYS_PER_STATEMENT + 100
    service.create_registered_model("huge")
    with service.db.write() as conn:  # seeded in bulk: only the read is under test
        model_id = RegistryStore(conn).model_id("huge")
        conn.execute(
            insert(model_versions),
            [
                {
                    "model_id": model_id,
                    "version": v,
                    "creation_timestamp": v,
                    "last_updated_timestamp": v,
                    "current_stage": STAGE_NONE,
                    "description": "",
                    "source": f"s3://bucket/huge/{v}",
                    "status": "READY",
                }
                for v in range(1, versions + 1)
            ],
        )
        conn.execute(
            insert(model_version_tags),
            [
                {
                    "model_id": model_id,
                    "version": v,
                    "key": "n",
                    "value": str(v),
                    "value_prefix": str(v),
                }
                for v in range(1, versions + 1)
            ],
        )
    service.set_registered_model_alias("huge", "first", 1)

    with recorded(service.db) as log:
        page = service.search_model_versions("name = 'huge'", max_results=versions)

    assert len(page) == versions
    assert all(mv.tags == {"n": str(mv.version)} for mv in page)
    assert [mv.aliases for mv in page if mv.aliases] == [["first"]]
    chunks = -(-(versions + 1) // KEYS_PER_STATEMENT)  # the page reads one row ahead
    assert len(log.queries()) <= 1 + 2 * chunks
    most = max(len(params or ()) for _, params in log.statements)
    assert most <= 4 * KEYS_PER_STATEMENT + 10


# ------------------------------------------------------------ query plans
# SQLite reports "SCAN <table>" for a full table scan and "SEARCH <table> USING ..."
# for an index lookup. The version, tag and alias tables must never be scanned.
_SCANNED = re.compile(
    r"^SCAN (model_versions|model_version_tags|model_aliases|registered_model_tags)\b"
    r"|^SCAN registered_models$"
)


def query_plans(db: Database, log: StatementLog) -> list[tuple[str, list[str]]]:
    plans = []
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement in log.queries():
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", _params(log, statement))
            plans.append((statement, [str(row[-1]) for row in cursor.fetchall()]))
        cursor.close()
    finally:
        raw.close()
    return plans


def _params(log: StatementLog, statement: str) -> Any:
    return next(params for s, params in log.statements if s == statement)


@pytest.fixture
def sqlite_service(sqlite_uri: str) -> Iterator[RegistryService]:
    db = Database(sqlite_uri)
    yield RegistryService(db, actor="alice")
    db.dispose()


def test_main_reads_use_indexes_on_sqlite(sqlite_service: RegistryService) -> None:
    service = sqlite_service
    populate_model(service, "small", SMALL)
    populate_model(service, "large", LARGE)
    reads: dict[str, Read] = {
        **version_reads("large"),
        "search_registered_models[tag]": lambda s: s.search_registered_models("tag.team = 'large'"),
        "search_model_versions[name IN]": lambda s: s.search_model_versions(
            "name IN ('small', 'large')"
        ),
    }

    scans: dict[str, tuple[list[str], str]] = {}
    for label, read in reads.items():
        with recorded(service.db) as log:
            read(service)
        assert log.queries(), label
        for statement, plan in query_plans(service.db, log):
            bad = [step for step in plan if _SCANNED.search(step.strip())]
            if bad:
                scans[label] = (bad, " ".join(statement.split())[:300])
    assert scans == {}
