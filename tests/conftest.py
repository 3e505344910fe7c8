"""Shared fixtures: a migrated SQLite file per test, copied from one migrated template."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from modelreg.client import MlflowClient, embedded
from modelreg.service import RegistryService
from modelreg.service.artifact_locations import ArtifactLocations
from modelreg.service.snapshots import open_snapshotter
from modelreg.service.tracking import TrackingService
from modelreg.store import migrations
from modelreg.store.database import Database, make_engine
from modelreg.store.tables import metadata
from tests.backends import enabled_backends, temporary_database

CLOCK_START = 1_700_000_000_000


class FakeClock:
    """A clock that advances one millisecond per reading, so timestamps are exact."""

    def __init__(self, start: int = CLOCK_START) -> None:
        self.now = start

    def __call__(self) -> int:
        self.now += 1
        return self.now


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrations.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def sqlite_uri(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "registry.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def _backend_params() -> list[object]:
    return ["sqlite", *[pytest.param(b, marks=pytest.mark.backend) for b in enabled_backends()]]


@pytest.fixture(scope="session")
def server_databases() -> Iterator[dict[str, str]]:
    """One migrated database per enabled server backend for this test run."""
    uris: dict[str, str] = {}
    contexts = []
    try:
        for backend in enabled_backends():
            ctx = temporary_database(backend)
            uris[backend] = ctx.__enter__()
            contexts.append(ctx)
            engine = make_engine(uris[backend])
            migrations.upgrade(engine)
            engine.dispose()
        yield uris
    finally:
        for ctx in reversed(contexts):
            ctx.__exit__(None, None, None)


def _truncate(uri: str) -> None:
    """Empty every table, then restore the rows migration 0002 seeds (experiment 0)."""
    engine = make_engine(uri)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(text(f"DELETE FROM {table.name}"))
        conn.execute(
            text(
                "INSERT INTO experiments (experiment_id, name, artifact_location, "
                "lifecycle_stage, creation_time, last_update_time) "
                "VALUES (0, 'Default', '0', 'active', 0, 0)"
            )
        )
        conn.execute(text("INSERT INTO counters (name, value) VALUES ('experiment_id', 0)"))
        # The webhook matcher's cursor (migration 0008_webhooks seeds it).
        conn.execute(text("INSERT INTO webhook_cursor (name, last_event_id) VALUES ('default', 0)"))
    engine.dispose()


@pytest.fixture(params=_backend_params())
def database_uri(request: pytest.FixtureRequest, sqlite_uri: str) -> str:
    """A clean, migrated database on each enabled backend (SQLite always)."""
    backend = request.param
    if backend == "sqlite":
        return sqlite_uri
    uri = request.getfixturevalue("server_databases")[backend]
    _truncate(uri)
    return uri


@pytest.fixture
def db(database_uri: str) -> Iterator[Database]:
    database = Database(database_uri)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(db: Database, clock: FakeClock) -> RegistryService:
    return RegistryService(db, actor="alice", clock=clock)


@pytest.fixture
def client(sqlite_uri: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[MlflowClient]:
    monkeypatch.setenv("MODELREG_USER", "alice")
    yield MlflowClient(tracking_uri=sqlite_uri)
    embedded.reset()


@pytest.fixture
def artifact_root(tmp_path: Path) -> Path:
    root = tmp_path / "artifacts"
    root.mkdir()
    return root


@pytest.fixture
def locations(artifact_root: Path) -> ArtifactLocations:
    return ArtifactLocations(root=str(artifact_root), allow_external=True)


@pytest.fixture
def tracking(db: Database, clock: FakeClock, locations: ArtifactLocations) -> TrackingService:
    return TrackingService(db, locations, actor="alice", clock=clock)


@pytest.fixture
def registry(
    db: Database, clock: FakeClock, locations: ArtifactLocations, artifact_root: Path
) -> RegistryService:
    """A registry that snapshots sources into ``artifact_root`` (as embedded and served)."""
    snapshotter = open_snapshotter(locations, str(artifact_root))
    return RegistryService(db, actor="alice", clock=clock, snapshotter=snapshotter)


@pytest.fixture
def tracking_uri(sqlite_uri: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the fluent API and every default client at a fresh embedded registry."""
    import modelreg
    from modelreg import fluent

    monkeypatch.setenv("MODELREG_USER", "alice")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    modelreg.set_tracking_uri(sqlite_uri)
    monkeypatch.setattr(fluent, "_experiment_id", None)
    try:
        yield sqlite_uri
    finally:
        while fluent.active_run() is not None:
            fluent.end_run()
        modelreg.set_tracking_uri(None)
        embedded.reset()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The real-client suites (``mlflow``: a separate ~850 MB virtualenv, servers of
    both kinds) count as slow: ``-m 'not slow'`` (the default of scripts/test) leaves
    them to ``MODELREG_TEST_SLOW=1`` and .ci/run, which runs them on every change."""
    for item in items:
        if item.get_closest_marker("mlflow") is not None:
            item.add_marker(pytest.mark.slow)
