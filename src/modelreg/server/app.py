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

from modelreg.config import Settings
from modelreg.errors import RegistryError
from modelreg.server import openapi
from modelreg.server.context import ANONYMOUS
from modelreg.server.errors import EXCEPTION_HANDLERS, InternalErrorMiddleware
from modelreg.server.logging import AccessLogMiddleware
from modelreg.server.routes import artifacts, experiments, logged_models, meta, registry, runs
from modelreg.server.routing import Endpoint, ExactPathRouter, build_routes
from modelreg.server.settings import ServerSettings
from modelreg.service.assembly import build_services

logger = logging.getLogger("modelreg.server")


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
    # A server always serves artifacts through its proxy and refuses external paths
    # (Settings.served); only the embedded client runs with the settings as given.
    services = build_services(settings.served(actor=ANONYMOUS))

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
