"""The one code path of every JSON API request, from the ASGI scope to the response bytes.

A request for a fixed API path (nearly all of them) is served by :class:`ApiRouter`
straight from the ASGI scope: find the handler by path and method, read and check the
fields (:mod:`modelreg.server.body`), work out the caller, run the handler, encode with
orjson, send head and body, write the access line. None of Starlette's per-request
machinery (middleware chain, ``Request``, ``Response``, routing scan) is on that path:
on a registry read served from SQLite it cost more than the read itself. Anything
else (paths with parameters, the artifact proxy, ``/health``, unknown paths and their
JSON 404) goes to the Starlette app behind it.

Where the handler runs: bounded SQLite reads (``Endpoint.bounded_read``) run on the
event loop itself, because the hop to a thread and back costs more than the read;
everything else runs on the server's thread pool (:class:`~modelreg.server.runner.Runner`)
so a long search, a writer waiting for the lock or a database round trip never stalls
the loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from modelreg.errors import RegistryError
from modelreg.server.auth_gate import AuthFailure
from modelreg.server.body import (
    ClientGone,
    RequestHeaders,
    json_body_method,
    parse_body,
    read_body,
    read_request,
)
from modelreg.server.context import Call, principal_from_authorization
from modelreg.server.errors import (
    INTERNAL_ERROR_BODY,
    JsonResponse,
    error_body,
    registry_error_parts,
)
from modelreg.server.logging import AccessLog
from modelreg.server.metrics import REQUESTS
from modelreg.server.nul import refuse_nul
from modelreg.server.read_cache import ReadCache
from modelreg.server.request_id import HEADER as REQUEST_ID_HEADER
from modelreg.server.request_id import echoing, header_value, request_id

if TYPE_CHECKING:
    from modelreg.server.guard import Gate
from modelreg.server.runner import Runner
from modelreg.service.assembly import Services

logger = logging.getLogger("modelreg.server")

Handler = Callable[[Call], Mapping[str, Any]]

_EMPTY: Final = b"{}"
_CONTENT_TYPE: Final = (b"content-type", b"application/json")
# Browsers never render a JSON body that echoes user-supplied names as HTML (T-21).
_NOSNIFF: Final = (b"x-content-type-options", b"nosniff")
Headers = list[tuple[bytes, bytes]]


def _encoded(result: Mapping[str, Any]) -> bytes:
    return orjson.dumps(result) if result else _EMPTY


# eq=False: a call is its own identity (a read-cache key part, hashed on every request).
@dataclass(frozen=True, slots=True, eq=False)
class JsonCall:
    """One JSON endpoint as served: its handler and where it runs."""

    handler: Handler
    # Runs on the event loop (a bounded SQLite read) rather than on a pool thread.
    inline: bool
    # Its 200 responses may be kept by the read cache (pure SQLite reads).
    cached: bool
    # A write on SQLite: runs in one of the runner's serial lanes (Runner.run_serial).
    serial: bool = False
    # With --auth (modelreg.server.guard): the endpoint's declared requirement, and the
    # handler preceded by its check.
    requirement: Any = None
    checked: Handler | None = None


class Api:
    """Runs JSON calls for one app: fields in, one handler call, encoded result out.

    Cached calls (bounded SQLite reads, run inline, and registry searches, run on a
    thread) go through ``cache`` when there is one (:mod:`modelreg.server.read_cache`).
    """

    def __init__(
        self,
        services: Services,
        runner: Runner,
        limit: int,
        cache: ReadCache | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.services = services
        self.runner = runner
        self.limit = limit
        self.cache = cache
        # Set with --auth: every call is authenticated and checked (modelreg.server.guard).
        self.gate = gate

    async def respond(
        self,
        call: JsonCall,
        method: str,
        headers: RequestHeaders,
        query_string: bytes,
        path_params: Mapping[str, str] | None,
        receive: Receive,
        client: str | None = None,
    ) -> tuple[int, bytes, Headers | None]:
        """Status, body and extra headers; :class:`ClientGone` if the client left."""
        try:
            gate = self.gate
            cache = self.cache
            # Taken before the read: a commit between the two makes the kept response
            # look older than it is (a miss later), never newer.
            token = (
                self.services.db.change_token()
                if cache is not None and call.cached and not path_params
                else None
            )
            # Without --auth a GET's answer depends on nothing but these bytes, and a kept
            # one was parsed and validated when it was computed: no need to do it again.
            # The same for a POST's JSON body (get-latest-versions): looked up by its bytes
            # before they are parsed.
            looked = False
            body: bytes | None = None
            if cache is not None and token is not None and gate is None:
                if method == "GET":
                    looked_up = query_string
                elif json_body_method(method, headers.content_type):
                    body = looked_up = await read_body(receive, headers.content_length, self.limit)
                else:
                    looked_up = None
                if looked_up is not None:
                    key = (call, method, looked_up, headers.content_type, headers.authorization)
                    kept = cache.get(key, token)
                    if kept is not None:
                        return 200, kept, None
                    looked = True
            if gate is None:
                principal = principal_from_authorization(headers.authorization)
            else:
                # Before the body is read: a caller without credentials sends nothing more.
                principal = await gate.principal(call.requirement, headers.authorization, client)
            if body is not None:
                params, raw = parse_body(method, headers.content_type, query_string, body)
            else:
                params, raw = await read_request(method, headers, query_string, receive, self.limit)
            if path_params:
                refuse_nul(path_params)
                params = params.with_path(path_params)
            request = Call(self.services, principal, params)
            handler = call.handler
            if gate is not None:
                if call.cached or call.checked is None:
                    # Decided on the loop, before any kept response is served.
                    gate.authorizer.check_inline(call.requirement, principal, params)
                else:
                    handler = call.checked  # the check runs on the handler's thread
            if cache is None or token is None:
                return 200, _encoded(await self._run(call, handler, request)), None
            key = (call, method, raw, headers.content_type, headers.authorization)
            body = None if looked else cache.get(key, token)
            if body is None:
                body = _encoded(await self._run(call, handler, request))
                cache.put(key, token, body)
            return 200, body, None
        except RegistryError as error:
            return registry_error_parts(error)
        except AuthFailure as failure:
            return failure.status, failure.body, failure.headers

    async def _run(self, call: JsonCall, handler: Handler, request: Call) -> Mapping[str, Any]:
        if call.inline:
            return handler(request)
        if call.serial:
            return await self.runner.run_serial(handler, request)
        return await self.runner.run(handler, request)

    def starlette_endpoint(self, call: JsonCall) -> Callable[[Request], Any]:
        """The same call as a Starlette endpoint, for paths with parameters."""

        async def endpoint(request: Request) -> Response:
            scope = request.scope
            try:
                status, body, extra = await self.respond(
                    call,
                    scope["method"],
                    RequestHeaders(scope["headers"]),
                    scope["query_string"],
                    request.path_params,
                    request.receive,
                    scope["client"][0] if scope.get("client") else None,
                )
            except ClientGone:
                return Response(status_code=400)  # nobody is there to read it
            response = JsonResponse(body, status)
            if extra:
                response.raw_headers += extra
            return response

        return endpoint


def _response_headers(body: bytes, extra: Headers | None) -> Headers:
    headers = [(b"content-length", b"%d" % len(body)), _CONTENT_TYPE, _NOSNIFF]
    if extra:
        headers += extra
    return headers


class ApiRouter:
    """Serves the fixed JSON API paths itself; hands every other request to ``fallback``."""

    def __init__(
        self,
        api: Api,
        table: Mapping[str, Mapping[str, JsonCall]],
        fallback: ASGIApp,
        access: AccessLog,
        measure: bool = True,
    ) -> None:
        self.api = api
        self.table = table
        self.fallback = fallback
        self.access = access
        # Requests counted for /metrics (modelreg.server.metrics): a fixed path here is
        # its own route template.
        self.observe = REQUESTS.observe if measure else None
        self._allowed = {
            path: ", ".join(sorted({*methods, *(("HEAD",) if "GET" in methods else ())}))
            for path, methods in table.items()
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        by_method = self.table.get(scope["path"]) if scope["type"] == "http" else None
        if by_method is None or scope.get("root_path"):
            if scope["type"] == "http":
                found = request_id(header_value(scope["headers"]))
                send = echoing(send, found)
            await self.fallback(scope, receive, send)
            return
        start = time.perf_counter()
        method: str = scope["method"]
        headers = RequestHeaders(scope["headers"])
        found = request_id(headers.request_id)
        call = by_method.get(method)
        if call is None and method == "HEAD":
            call = by_method.get("GET")
        extra: Headers | None
        if call is None:
            status, body, extra = self._not_allowed(scope["path"], method)
        else:
            try:
                status, body, extra = await self.api.respond(
                    call,
                    method,
                    headers,
                    scope["query_string"],
                    None,
                    receive,
                    scope["client"][0] if scope.get("client") else None,
                )
            except ClientGone:
                return
            except Exception:
                logger.exception("Unhandled error in %s %s", method, scope["path"])
                status, body, extra = 500, INTERNAL_ERROR_BODY, None
        response_headers = _response_headers(body, extra)
        response_headers.append((REQUEST_ID_HEADER, found.encode("ascii")))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": response_headers,
            }
        )
        await send({"type": "http.response.body", "body": body})
        elapsed = time.perf_counter() - start
        if self.observe is not None:
            self.observe((method, scope["path"], status), elapsed)
        if self.access.enabled():
            self.access.write(method, scope["path"], status, elapsed, len(body), found)

    def _not_allowed(self, path: str, method: str) -> tuple[int, bytes, Headers]:
        allowed = self._allowed[path]
        # ENDPOINT_NOT_FOUND: for MLflow's client a (method, path) pair this server does
        # not serve is a missing endpoint, and that code triggers its fallbacks.
        message = f"{path[:200]} does not accept {method}; allowed: {allowed}."
        return (
            405,
            error_body("ENDPOINT_NOT_FOUND", message),
            [(b"allow", allowed.encode())],
        )
