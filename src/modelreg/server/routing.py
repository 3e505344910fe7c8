"""The declarative route table and the one code path every JSON API request takes.

Each route module lists its :class:`Endpoint` objects (method, paths, summary, request
fields, response schema, handler). The same table mounts the Starlette routes and
generates the OpenAPI document, so the two cannot drift apart.

A JSON API handler is a plain function ``(Call) -> dict``: parse the fields, make one
service call, render the result. :func:`build_routes` wraps it: read and check the
request, work out the caller, run the handler (in the threadpool, or on the event loop
for bounded SQLite reads), encode with orjson.

Routes whose bodies are not JSON (the artifact proxy streams raw bytes both ways) are
``bind`` endpoints: given the services, they build a Starlette endpoint of their own,
and the JSON body limit does not apply to them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, Router
from starlette.types import Lifespan, Receive, Scope, Send

from modelreg.server.body import read_params
from modelreg.server.context import Call, actor_from_authorization
from modelreg.server.errors import JsonResponse
from modelreg.server.schemas import Schema
from modelreg.server.settings import ServerSettings
from modelreg.service.assembly import Services

Handler = Callable[[Call], Mapping[str, Any]]
RawEndpoint = Callable[[Request], Awaitable[Response]]
Binder = Callable[[Services], RawEndpoint]

_EMPTY: Final = b"{}"


def api_paths(path: str, since: str = "2.0") -> tuple[str, ...]:
    """Where MLflow serves an endpoint: under ``/api/<v>`` and the UI's ``/ajax-api/<v>``."""
    return (f"/api/{since}{path}", f"/ajax-api/{since}{path}")


@dataclass(frozen=True, slots=True)
class Field:
    """One request field: a JSON body member, or a query parameter for GET."""

    name: str
    schema: Schema
    required: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One operation (method + paths) with everything needed to serve and document it."""

    method: str
    paths: tuple[str, ...]
    operation_id: str
    summary: str
    response: Schema
    fields: tuple[Field, ...] = ()
    handler: Handler | None = None
    # For the few routes that are not JSON API calls (/health, the OpenAPI document).
    raw: RawEndpoint | None = None
    # For non-JSON routes that need the services (the artifact proxy's byte streams).
    bind: Binder | None = None
    # A read of a fixed few indexed rows whatever the data size (get, get-by-alias, ...),
    # never a scan or a write: on SQLite it runs on the event loop (see _json_endpoint).
    bounded_read: bool = False
    response_media_type: str = "application/json"
    request_media_type: str = "application/json"
    tag: str = "registry"

    def __post_init__(self) -> None:
        given = [f for f in (self.handler, self.raw, self.bind) if f is not None]
        if len(given) != 1:
            raise ValueError(f"{self.operation_id}: give exactly one of handler, raw and bind")


def json_response(content: Mapping[str, Any]) -> Response:
    return JsonResponse(orjson.dumps(content) if content else _EMPTY)


def _json_endpoint(
    handler: Handler, services: Services, limit: int, *, inline: bool
) -> RawEndpoint:
    """Wrap a handler: read the fields, find the caller, call, encode.

    The service is synchronous (SQLAlchemy). By default it runs in the threadpool, so
    a long search, a writer waiting for a lock or a database round trip never stalls
    the event loop. ``inline`` handlers run on the loop itself: the hop to a thread and
    back costs more than it protects for a bounded SQLite read (measured on a 2-core
    box: ~20 µs of server overhead inline against ~85 µs through the pool, next to a
    service call of several hundred µs; ~20% lower p50 over a socket).
    """

    async def endpoint(request: Request) -> Response:
        params = (await read_params(request, limit)).with_path(request.path_params)
        actor = actor_from_authorization(request.headers.get("authorization"))
        call = Call(services, actor, params)
        if inline:
            return json_response(handler(call))
        return json_response(await run_in_threadpool(handler, call))

    return endpoint


def _dispatcher(by_method: Mapping[str, RawEndpoint]) -> RawEndpoint:
    if len(by_method) == 1:
        return next(iter(by_method.values()))
    get = by_method.get("GET")

    async def dispatch(request: Request) -> Response:
        # The Route only lets listed methods (and HEAD with GET) through to here.
        found = by_method.get(request.method) or get
        assert found is not None
        return await found(request)

    return dispatch


def build_routes(
    endpoints: Iterable[Endpoint], services: Services, settings: ServerSettings
) -> list[BaseRoute]:
    """One Starlette route per path, dispatching on the method (so 405 lists them all)."""
    by_path: dict[str, dict[str, RawEndpoint]] = {}
    for endpoint in endpoints:
        if endpoint.handler is not None:
            # SQLite reads are in-process and never wait for writers (WAL); other
            # databases are a network round trip away, so they keep the threadpool.
            inline = endpoint.bounded_read and services.db.dialect == "sqlite"
            serve = _json_endpoint(
                endpoint.handler, services, settings.max_json_body_bytes, inline=inline
            )
        elif endpoint.bind is not None:
            serve = endpoint.bind(services)
        else:
            assert endpoint.raw is not None
            serve = endpoint.raw
        for path in endpoint.paths:
            methods = by_path.setdefault(path, {})
            if endpoint.method in methods:
                raise ValueError(f"{endpoint.method} {path} is declared twice")
            methods[endpoint.method] = serve
    return [
        Route(path, _dispatcher(by_method), methods=list(by_method))
        for path, by_method in by_path.items()
    ]


class ExactPathRouter(Router):
    """Starlette's router, with one dict lookup instead of a scan for fixed paths.

    Nearly every API path is parameter-free, and a linear regex scan over ~100 routes
    costs more than the rest of the routing. Anything not found here (paths with
    parameters such as ``/logged-models/{model_id}`` or the artifact proxy, unknown
    paths) goes through Starlette's own matching, 404 and 405 handling.
    """

    def __init__(self, routes: list[BaseRoute], lifespan: Lifespan[Any]) -> None:
        # No redirect from "/x/" to "/x": an unknown path is a JSON 404, never a 307.
        super().__init__(routes, lifespan=lifespan, redirect_slashes=False)
        self._exact = {
            route.path: route
            for route in routes
            if isinstance(route, Route) and not route.param_convertors
        }

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self._exact.get(scope["path"]) if scope["type"] == "http" else None
        if route is None or scope.get("root_path"):
            await super().app(scope, receive, send)
            return
        scope.setdefault("router", self)
        scope["route"] = route
        scope["endpoint"] = route.endpoint
        scope["path_params"] = {}
        await route.handle(scope, receive, send)  # answers 405 for a method it lacks
