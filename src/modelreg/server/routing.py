"""The declarative route table, mounted as the app's routes.

Each route module lists its :class:`Endpoint` objects (method, paths, summary, request
fields, response schema, handler). The same table mounts the routes and generates the
OpenAPI document, so the two cannot drift apart.

A JSON API handler is a plain function ``(Call) -> dict``: parse the fields, make one
service call, render the result; :mod:`modelreg.server.api` serves it (read and check
the request, work out the caller, run the handler, encode). :func:`build_routes` puts
each fixed path whose methods are all JSON handlers in the API table, served without
Starlette, and mounts everything else as Starlette routes.

Routes whose bodies are not JSON (the artifact proxy streams raw bytes both ways) are
``bind`` endpoints: given the app's context, they build a Starlette endpoint of their
own, and the JSON body limit does not apply to them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, Router
from starlette.types import Lifespan, Receive, Scope, Send

from modelreg.server.api import Api, Handler, JsonCall
from modelreg.server.authz import Requirement
from modelreg.server.context import AppContext
from modelreg.server.schemas import Schema

__all__ = [
    "Binder",
    "Endpoint",
    "Field",
    "Handler",
    "RawEndpoint",
    "api_paths",
    "build_routes",
    "group",
]

RawEndpoint = Callable[[Request], Awaitable[Response]]
Binder = Callable[[AppContext], RawEndpoint]


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
    # An optional body field sent as JSON null is read as absent (as MLflow's proto
    # parsing does); False for the few fields where null means something else.
    nullable: bool = True


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
    # For non-JSON routes that need the app's context (the artifact proxy's byte
    # streams, /health).
    bind: Binder | None = None
    # A read of a fixed few indexed rows whatever the data size (get, get-by-alias, ...),
    # never a scan or a write: on SQLite it runs on the event loop (see _json_endpoint).
    bounded_read: bool = False
    # A read whose answer depends only on the request and the database's contents (a
    # search): it may scan, so it runs on a thread, but on SQLite the read cache keeps
    # its answer while nothing is committed (server/read_cache.py).
    pure_read: bool = False
    # Takes the database's writer lock (every POST, PATCH and DELETE that is not a read
    # unless it says otherwise): on SQLite it runs in a serial lane (server/runner.py).
    writes: bool | None = None
    response_media_type: str = "application/json"
    request_media_type: str = "application/json"
    tag: str = "registry"
    # Always answered 501 NOT_IMPLEMENTED (and documented so): the MLflow client probes
    # these and falls back.
    not_implemented: bool = False
    # What the caller must be allowed (modelreg.server.authz): enforced with --auth.
    # Every endpoint declares one; tests/server/test_auth_coverage.py fails otherwise.
    permission: Requirement | None = None

    def __post_init__(self) -> None:
        given = [f for f in (self.handler, self.raw, self.bind) if f is not None]
        if len(given) != 1:
            raise ValueError(f"{self.operation_id}: give exactly one of handler, raw and bind")
        if self.writes is None:
            reads = self.method == "GET" or self.bounded_read or self.pure_read
            object.__setattr__(self, "writes", not reads)


def group(
    *endpoints: Endpoint, tag: str, permission: Requirement | None = None
) -> tuple[Endpoint, ...]:
    """``endpoints`` filed under one OpenAPI ``tag``; ``permission`` for each that
    declares none (a module whose routes all need the same, e.g. admins only)."""
    return tuple(
        replace(e, tag=tag, permission=permission if e.permission is None else e.permission)
        for e in endpoints
    )


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


@dataclass(frozen=True, slots=True)
class Routes:
    """The mounted table: fixed JSON API paths for the API router, the rest for Starlette."""

    api: dict[str, dict[str, JsonCall]]
    starlette: list[BaseRoute]


def build_routes(endpoints: Iterable[Endpoint], context: AppContext, api: Api) -> Routes:
    """Each endpoint once per path and method; a path's methods share one route (405s)."""
    by_path: dict[str, dict[str, Endpoint]] = {}
    for endpoint in endpoints:
        for path in endpoint.paths:
            methods = by_path.setdefault(path, {})
            if endpoint.method in methods:
                raise ValueError(f"{endpoint.method} {path} is declared twice")
            methods[endpoint.method] = endpoint
    # SQLite reads are in-process and never wait for writers (WAL); other databases
    # are a network round trip away, so their reads take a thread too.
    sqlite = context.services.db.dialect == "sqlite"

    gate = api.gate

    def json_call(endpoint: Endpoint) -> JsonCall:
        assert endpoint.handler is not None
        inline = endpoint.bounded_read and sqlite
        cached = (endpoint.bounded_read or endpoint.pure_read) and sqlite
        serial = bool(endpoint.writes) and sqlite
        if gate is None:
            return JsonCall(endpoint.handler, inline, cached, serial)
        requirement = _required(endpoint)
        checked = gate.checked(requirement, endpoint.handler)
        return JsonCall(endpoint.handler, inline, cached, serial, requirement, checked)

    def raw(endpoint: Endpoint, inner: RawEndpoint) -> RawEndpoint:
        return inner if gate is None else gate.guard_raw(_required(endpoint), inner)

    table: dict[str, dict[str, JsonCall]] = {}
    routes: list[BaseRoute] = []
    for path, methods in by_path.items():
        all_json = all(e.handler is not None for e in methods.values())
        if all_json and "{" not in path:
            table[path] = {method: json_call(e) for method, e in methods.items()}
            # Mounted for Starlette too: an app mounted under a root path is served there.
        serve: dict[str, RawEndpoint] = {}
        for method, endpoint in methods.items():
            if endpoint.handler is not None:
                serve[method] = api.starlette_endpoint(json_call(endpoint))
            elif endpoint.bind is not None:
                serve[method] = raw(endpoint, endpoint.bind(context))
            else:
                assert endpoint.raw is not None
                serve[method] = raw(endpoint, endpoint.raw)
        routes.append(Route(path, _dispatcher(serve), methods=list(serve)))
    return Routes(table, routes)


def _required(endpoint: Endpoint) -> Requirement:
    """The endpoint's declared requirement; a server with --auth refuses to mount one
    without (fail closed, never an exceptions list to forget)."""
    if endpoint.permission is None:
        raise ValueError(
            f"{endpoint.operation_id}: declare permission= (modelreg.server.authz) "
            "so the endpoint can be served with --auth"
        )
    return endpoint.permission


class ExactPathRouter(Router):
    """Starlette's router, with one dict lookup instead of a scan for fixed paths.

    A linear regex scan over ~100 routes costs more than the rest of the routing.
    Anything not found here (paths with parameters such as ``/logged-models/{model_id}``
    or the artifact proxy, unknown paths) goes through Starlette's own matching, 404
    and 405 handling.
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
