"""The two transports the contract suites run against, for the registry and for tracking.

* ``embedded``: the ``RegistryService``/``TrackingService`` a server builds
  (``build_services`` with the server's settings), called in-process.
* ``http``: ``HttpRegistry``/``HttpTracking`` talking MLflow's REST API to
  ``create_app(...)`` in-process.

Both act as ``alice`` (the HTTP one through its Basic username), on a fresh SQLite file.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from modelreg.client.http import HttpRegistry
from modelreg.client.http_approvals import HttpApprovals
from modelreg.client.http_history import HttpHistory
from modelreg.client.http_tracking import HttpTracking
from modelreg.config import Settings
from modelreg.protocols import Approvals, History, Registry, Tracking
from modelreg.server import create_app
from modelreg.service.assembly import build_services
from tests.server.asgi import BASE_URL, asgi_client

ACTOR = "alice"
# The suites register s3:// sources the registry stores as references, not copies:
# a server stores those only for schemes it was configured to accept.
SOURCE_SCHEMES = frozenset({"s3"})


def _settings(database: Path, root: Path) -> Settings:
    return Settings(
        tracking_uri=f"sqlite:///{database}",
        artifact_root=str(root),
        allowed_source_schemes=SOURCE_SCHEMES,
    )


def _open(transport: str, settings: Settings) -> Iterator[Registry]:
    if transport == "embedded":
        services = build_services(settings.served())
        try:
            yield services.registry.as_actor(ACTOR)
        finally:
            services.db.dispose()
        return
    with asgi_client(create_app(settings)) as client:
        client.auth = (ACTOR, "not-checked-yet")
        with HttpRegistry(BASE_URL, http=client) as registry:
            yield registry


@pytest.fixture
def artifact_root(tmp_path: Path) -> Path:
    root = tmp_path / "artifacts"
    root.mkdir()
    return root


@pytest.fixture(params=["embedded", "http"])
def api(request: pytest.FixtureRequest, sqlite_uri: str, artifact_root: Path) -> Iterator[Registry]:
    settings = Settings(
        tracking_uri=sqlite_uri,
        artifact_root=str(artifact_root),
        allowed_source_schemes=SOURCE_SCHEMES,
    )
    yield from _open(request.param, settings)


@pytest.fixture
def both(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[Registry, Registry]]:
    """Both transports at once, each on its own copy of the migrated database."""
    opened = []
    for transport in ("embedded", "http"):
        folder = tmp_path / transport
        folder.mkdir()
        shutil.copy(sqlite_template, folder / "registry.db")
        opened.append(_open(transport, _settings(folder / "registry.db", folder / "artifacts")))
    embedded, http = (next(gen) for gen in opened)
    yield embedded, http
    for gen in opened:
        next(gen, None)


def _open_tracking(transport: str, settings: Settings) -> Iterator[Tracking]:
    if transport == "embedded":
        services = build_services(settings.served())
        try:
            yield services.tracking.as_actor(ACTOR)
        finally:
            services.db.dispose()
        return
    with asgi_client(create_app(settings)) as client:
        client.auth = (ACTOR, "not-checked-yet")
        with HttpTracking(BASE_URL, http=client) as tracking:
            yield tracking


@pytest.fixture(params=["embedded", "http"])
def tracking_api(
    request: pytest.FixtureRequest, sqlite_uri: str, artifact_root: Path
) -> Iterator[Tracking]:
    settings = Settings(
        tracking_uri=sqlite_uri,
        artifact_root=str(artifact_root),
        allowed_source_schemes=SOURCE_SCHEMES,
    )
    yield from _open_tracking(request.param, settings)


@pytest.fixture
def both_tracking(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[Tracking, Tracking]]:
    """Both tracking transports at once, each on its own copy of the migrated database."""
    opened = []
    for transport in ("embedded", "http"):
        folder = tmp_path / transport
        folder.mkdir()
        shutil.copy(sqlite_template, folder / "registry.db")
        settings = _settings(folder / "registry.db", folder / "artifacts")
        opened.append(_open_tracking(transport, settings))
    embedded, http = (next(gen) for gen in opened)
    yield embedded, http
    for gen in opened:
        next(gen, None)


# ---------------------------------------------------------------- approvals
@dataclass(frozen=True)
class Member:
    """One user's view of the registry: its registry, approvals and history transports."""

    name: str
    registry: Registry
    approvals: Approvals
    history: History


Team = Callable[[str], Member]


@pytest.fixture(params=["embedded", "http"])
def team(request: pytest.FixtureRequest, sqlite_uri: str, artifact_root: Path) -> Iterator[Team]:
    """``team("bob")``: the registry as ``bob`` sees it, on one database, per transport."""
    settings = Settings(
        tracking_uri=sqlite_uri,
        artifact_root=str(artifact_root),
        allowed_source_schemes=SOURCE_SCHEMES,
    )
    if request.param == "embedded":
        services = build_services(settings.served())
        try:
            yield lambda who: Member(
                who,
                services.registry.as_actor(who),
                services.approvals.as_actor(who),
                services.registry.as_actor(who),
            )
        finally:
            services.db.dispose()
        return
    app = create_app(settings)
    with asgi_client(app) as base:
        clients = {ACTOR: base}
        base.auth = (ACTOR, "not-checked-yet")

        def member(who: str) -> Member:
            if who not in clients:
                clients[who] = asgi_client(app)
                clients[who].auth = (who, "not-checked-yet")
            http = clients[who]
            return Member(
                who,
                HttpRegistry(BASE_URL, http=http),
                HttpApprovals(BASE_URL, http=http),
                HttpHistory(BASE_URL, http=http),
            )

        yield member
