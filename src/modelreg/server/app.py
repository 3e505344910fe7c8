"""``create_app(settings)``: the ASGI application, built from explicit settings.

Nothing happens at import time. The database and services are built when the app is
created; the schema check runs at startup (lifespan), so a server pointed at a stale
database refuses to start with the message that says how to fix it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.middleware import Middleware
from starlette.types import Receive, Scope, Send

from modelreg.config import Settings
from modelreg.errors import RegistryError
from modelreg.server import metrics, openapi
from modelreg.server.api import Api, ApiRouter
from modelreg.server.auth_gate import Authenticator
from modelreg.server.authz import Authorizer
from modelreg.server.context import ANONYMOUS, AppContext
from modelreg.server.errors import EXCEPTION_HANDLERS, InternalErrorMiddleware, error_body
from modelreg.server.guard import Gate
from modelreg.server.hosts import HostCheck
from modelreg.server.logging import AccessLog, AccessLogMiddleware
from modelreg.server.read_cache import ReadCache
from modelreg.server.route_permissions import declared
from modelreg.server.routes import (
    approvals,
    artifacts,
    auth,
    databricks_meta,
    databricks_webhooks,
    experiments,
    history,
    logged_models,
    meta,
    registry,
    runs,
)
from modelreg.server.routes import metrics as metrics_routes
from modelreg.server.routes import webhooks as webhook_routes
from modelreg.server.routing import Endpoint, ExactPathRouter, build_routes
from modelreg.server.runner import Runner
from modelreg.server.settings import ServerSettings
from modelreg.server.ui import ui_routes
from modelreg.service.assembly import build_services
from modelreg.service.auth import GrantPolicy, parse_level
from modelreg.service.webhooks import DeliveryWorker

logger = logging.getLogger("modelreg.server")


def endpoints() -> list[Endpoint]:
    """Every endpoint the app serves, the OpenAPI document's own route included."""
    table: list[Endpoint] = declared(
        [
            *meta.ENDPOINTS,
            *registry.ENDPOINTS,
            *experiments.ENDPOINTS,
            *runs.ENDPOINTS,
            *logged_models.ENDPOINTS,
            *artifacts.ENDPOINTS,
            *approvals.ENDPOINTS,
            *history.ENDPOINTS,
            *webhook_routes.ENDPOINTS,
            *databricks_webhooks.ENDPOINTS,
            *databricks_meta.ENDPOINTS,
            *auth.ENDPOINTS,
            *metrics_routes.ENDPOINTS,
        ]
    )
    document = functools.cache(lambda: orjson.dumps(openapi.document(table)))
    table.append(meta.openapi_endpoint(document))
    return table


class ModelregApp:
    """The ASGI app: the JSON API router in front of the Starlette app for the rest.

    Before either, a request whose ``Host`` the server does not answer to gets 403
    (DNS rebinding; modelreg.server.hosts), except ``/health`` (probes address a
    replica by its IP).
    """

    def __init__(self, router: ApiRouter, inner: Starlette, hosts: HostCheck) -> None:
        self.router = router
        self.hosts = hosts
        # ``app.state.services``: the services this app serves (tests, the CLI).
        self.state: State = inner.state
        # Every route, the API router's paths included (mounted there too, for apps
        # mounted under a root path).
        self.routes = inner.routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.hosts.allows_any and scope["path"] != "/health":
            host = _host_header(scope)
            if not self.hosts.allows(host):
                assert host is not None
                body = error_body("PERMISSION_DENIED", self.hosts.refusal(host))
                await send(
                    {
                        "type": "http.response.start",
                        "status": 403,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"x-content-type-options", b"nosniff"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.router(scope, receive, send)


def _host_header(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"host":
            return str(value.decode("latin-1"))
    return None


def create_app(settings: Settings, server: ServerSettings | None = None) -> ModelregApp:
    """The modelreg server as an ASGI app: MLflow's REST API and artifact proxy."""
    server = server or ServerSettings()
    # With --auth, every search keeps only what its caller may read (in SQL).
    grants = GrantPolicy(parse_level(server.default_permission)) if server.auth else None
    # A server always serves artifacts through its proxy and refuses external paths
    # (Settings.served); only the embedded client runs with the settings as given.
    services = build_services(settings.served(actor=ANONYMOUS), grants=grants)
    runner = Runner(server.threads)
    access = AccessLog()
    gate = None
    if server.auth:
        authenticator = Authenticator(services.auth, runner, ttl_seconds=server.auth_cache_seconds)
        gate = Gate(authenticator, Authorizer(services.auth), runner)
    snapshots = metrics_routes.app_metrics(services, server.metrics_dir) if server.metrics else None
    snapshot_timer = SnapshotTimer(snapshots)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            services.db.ensure_schema()
        except RegistryError as error:
            logger.error("modelreg server cannot start: %s", error)
            raise
        # The webhook delivery worker runs in-process unless a separate
        # `modelreg worker` does the delivering (--no-webhook-worker).
        worker = (
            DeliveryWorker(services.db, services.webhooks.settings)
            if server.webhook_worker
            else None
        )
        if worker is not None:
            worker.start()
        snapshot_timer.start()
        yield
        snapshot_timer.stop()
        if worker is not None:
            worker.stop()
        access.flush()
        runner.close()
        services.db.dispose()

    context = AppContext(services, runner, server, snapshots)
    cache = ReadCache(server.read_cache_entries) if server.read_cache_entries else None
    api = Api(services, runner, server.max_json_body_bytes, cache, gate)
    routes = build_routes(endpoints(), context, api)
    inner = Starlette(
        middleware=[
            Middleware(AccessLogMiddleware, access=access, measure=server.metrics),
            Middleware(InternalErrorMiddleware),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    # Starlette builds a plain Router; ours adds the exact-path lookup (ExactPathRouter).
    # The web UI (modelreg.server.ui) serves "/" and its pages; the API keeps its paths.
    inner.router = ExactPathRouter([*routes.starlette, *ui_routes(context, gate=gate)], lifespan)
    inner.state.services = services
    inner.state.gate = gate
    router = ApiRouter(api, routes.api, inner, access, measure=server.metrics)
    return ModelregApp(router, inner, HostCheck(server.host_patterns))


class SnapshotTimer:
    """Writes this worker's metric snapshot once a second while the app runs
    (only with several workers; see modelreg.server.metrics)."""

    def __init__(self, snapshots: metrics.Snapshots | None) -> None:
        self.snapshots = snapshots if snapshots is not None and snapshots.folder else None
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        if self.snapshots is not None:
            self._tick()

    def _tick(self) -> None:
        assert self.snapshots is not None
        self.snapshots.write()
        loop = asyncio.get_running_loop()
        self._handle = loop.call_later(metrics.SNAPSHOT_SECONDS, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self.snapshots is not None:
            self.snapshots.write(alive=False)
