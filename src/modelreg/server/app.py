"""``create_app(settings)``: the ASGI application, built from explicit settings.

Nothing happens at import time. The database and services are built when the app is
created; the schema check runs at startup (lifespan), so a server pointed at a stale
database refuses to start with the message that says how to fix it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware

from modelreg.config import Settings, is_http_uri
from modelreg.errors import InvalidArgument, RegistryError
from modelreg.server import openapi
from modelreg.server.context import ANONYMOUS, Services
from modelreg.server.errors import EXCEPTION_HANDLERS, InternalErrorMiddleware
from modelreg.server.logging import AccessLogMiddleware
from modelreg.server.routes import artifacts, experiments, logged_models, meta, registry, runs
from modelreg.server.routing import Endpoint, ExactPathRouter, build_routes
from modelreg.server.settings import ServerSettings
from modelreg.service import RegistryService
from modelreg.service.artifact_locations import PROXY_ROOT, ArtifactLocations
from modelreg.service.artifact_proxy import ArtifactProxy
from modelreg.service.snapshots import open_snapshotter
from modelreg.service.tracking import TrackingService
from modelreg.store.database import Database

logger = logging.getLogger("modelreg.server")


def build_services(settings: Settings) -> Services:
    if is_http_uri(settings.tracking_uri):
        raise InvalidArgument(
            f"A modelreg server stores its metadata in a database, not at {settings.tracking_uri}:"
            " give --backend-store-uri sqlite:///…, postgresql://… or mysql://…."
        )
    db = Database(
        settings.tracking_uri,
        auto_upgrade_sqlite=settings.auto_upgrade_sqlite,
        statement_timeout_ms=settings.statement_timeout_ms,
        filter_limits=settings.filter_limits,
    )
    # Served, locations are artifact-proxy URIs (mlflow-artifacts:/…) that clients read
    # and write through this server; nothing outside the artifacts destination may be
    # registered from the server's disk (T-05), and experiments cannot point their
    # artifacts at other places the server could be made to fetch from (T-06, T-12).
    locations = ArtifactLocations(root=PROXY_ROOT, allow_external=False)
    snapshotter = open_snapshotter(locations, settings.artifact_root)
    return Services(
        db=db,
        registry=RegistryService(db, actor=ANONYMOUS, snapshotter=snapshotter),
        tracking=TrackingService(db, locations, actor=ANONYMOUS),
        # The proxy serves the store the registry copies into: one destination.
        artifacts=ArtifactProxy(snapshotter.store),
    )


def endpoints() -> list[Endpoint]:
    """Every endpoint the app serves, the OpenAPI document's own route included."""
    table: list[Endpoint] = [
        *meta.ENDPOINTS,
        *registry.ENDPOINTS,
        *experiments.ENDPOINTS,
        *runs.ENDPOINTS,
        *logged_models.ENDPOINTS,
        *artifacts.ENDPOINTS,
    ]
    document = functools.cache(lambda: orjson.dumps(openapi.document(table)))
    table.append(meta.openapi_endpoint(document))
    return table


def create_app(settings: Settings, server: ServerSettings | None = None) -> Starlette:
    """The modelreg server as an ASGI app: MLflow's REST API and artifact proxy."""
    server = server or ServerSettings()
    services = build_services(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            services.db.ensure_schema()
        except RegistryError as error:
            logger.error("modelreg server cannot start: %s", error)
            raise
        yield
        services.db.dispose()

    app = Starlette(
        middleware=[Middleware(AccessLogMiddleware), Middleware(InternalErrorMiddleware)],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    # Starlette builds a plain Router; ours adds the exact-path lookup (ExactPathRouter).
    app.router = ExactPathRouter(build_routes(endpoints(), services, server), lifespan)
    app.state.services = services
    return app
