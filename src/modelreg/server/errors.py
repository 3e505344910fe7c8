"""Errors at the HTTP edge: one JSON envelope, statuses mapped by exception class.

Every error body is ``{"error_code": "...", "message": "..."}`` (mlflow-wire.md §1),
whatever went wrong: a :class:`~modelreg.errors.RegistryError` from the service, an
unknown route, a wrong method, a malformed or oversized request, or a bug. Statuses
follow MLflow's table, except that no deterministic error is ever a 5xx: the MLflow
client retries 5xx responses for minutes, so only "try again later" may be one.
"""

from __future__ import annotations

import logging
from typing import Final

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelreg.errors import (
    AlreadyExists,
    Conflict,
    IntegrityFailure,
    InvalidArgument,
    InvalidState,
    Misconfigured,
    NotFound,
    PermissionDenied,
    QueryTimeout,
    RegistryError,
    TemporarilyUnavailable,
    Unauthenticated,
)

logger = logging.getLogger("modelreg.server")


class PayloadTooLarge(InvalidArgument):
    """The request body is larger than the server accepts (HTTP 413)."""


# Looked up along type(exc).__mro__, so a subclass inherits its parent's status unless
# it is listed itself. The base class is the only 5xx for a deterministic outcome: it
# means "a bug or an unclassified database failure", which is what 500 is for.
STATUS_BY_CLASS: Final[dict[type[RegistryError], int]] = {
    PayloadTooLarge: 413,
    NotFound: 404,
    # MLflow's client expects 400 (not 409) for "already exists" and branches on it.
    AlreadyExists: 400,
    # INVALID_STATE is a 500 in MLflow's table; it is deterministic, so 400 like its parent.
    InvalidState: 400,
    InvalidArgument: 400,
    Conflict: 409,
    PermissionDenied: 403,
    Unauthenticated: 401,
    TemporarilyUnavailable: 503,
    # DEADLINE_EXCEEDED is a 504 in MLflow's table, which its client retries; a read
    # cancelled by the statement timeout would only time out again, so it is a 400.
    QueryTimeout: 400,
    # DATA_LOSS is a 500 in MLflow's table, but files that no longer match their manifest
    # stay that way: retrying cannot help, so it is reported as a conflict with stored state.
    IntegrityFailure: 409,
    # The server's setup is wrong: a 500 (never a 503 the client would retry for minutes).
    Misconfigured: 500,
    RegistryError: 500,
}

_ENDPOINT_NOT_FOUND: Final = "ENDPOINT_NOT_FOUND"
_INTERNAL_MESSAGE: Final = "The server hit an unexpected error; the details are in its log."
_JSON: Final = b"application/json"


def status_for(error: RegistryError) -> int:
    for cls in type(error).__mro__:
        status = STATUS_BY_CLASS.get(cls)
        if status is not None:
            return status
    return 500  # pragma: no cover - RegistryError itself is in the table


def error_body(error_code: str, message: str) -> bytes:
    return orjson.dumps({"error_code": error_code, "message": message})


INTERNAL_ERROR_BODY: Final = error_body("INTERNAL_ERROR", _INTERNAL_MESSAGE)
# The client may retry a 503; tell it not to hammer the server while it does.
_RETRY_AFTER: Final = [(b"retry-after", b"1")]


def registry_error_parts(
    error: RegistryError,
) -> tuple[int, bytes, list[tuple[bytes, bytes]] | None]:
    """Status, JSON body and extra headers of the response for ``error``.

    Every 5xx is logged here with its cause (the chained exception's traceback), on the
    raw-ASGI fast path and through Starlette alike: an operator must see why.
    """
    status = status_for(error)
    if status >= 500:
        logger.error("%d %s: %s", status, error.error_code, error.message, exc_info=error)
    return (
        status,
        error_body(error.error_code, error.message),
        _RETRY_AFTER if status == 503 else None,
    )


class JsonResponse(Response):
    """An encoded JSON body with its headers built directly (this is on every request).

    ``nosniff`` keeps browsers from rendering a JSON body that echoes user-supplied
    names as HTML (security-checklist T-21).
    """

    media_type = "application/json"

    def __init__(
        self, body: bytes, status_code: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", _JSON),
            (b"x-content-type-options", b"nosniff"),
        ]
        if headers:
            self.raw_headers += [(k.lower().encode(), v.encode()) for k, v in headers.items()]


def error_response(
    status: int, error_code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    return JsonResponse(error_body(error_code, message), status, headers)


def registry_error_response(error: RegistryError) -> Response:
    status, body, extra = registry_error_parts(error)
    response = JsonResponse(body, status)
    if extra:
        response.raw_headers += extra
    return response


async def handle_registry_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RegistryError)
    return registry_error_response(exc)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's routing errors (unknown path, wrong method) in the JSON envelope."""
    assert isinstance(exc, HTTPException)
    method, path = request.method, request.url.path
    if exc.status_code == 404:
        # A JSON ENDPOINT_NOT_FOUND is what MLflow's client looks for before it falls back
        # to another endpoint (call_endpoints), so unknown routes must say exactly that.
        message = f"No API endpoint at {path[:200]}."
        return error_response(404, _ENDPOINT_NOT_FOUND, message)
    if exc.status_code == 405:
        headers = dict(exc.headers or {})
        allowed = headers.get("Allow", "none")
        message = f"{path[:200]} does not accept {method}; allowed: {allowed}."
        # ENDPOINT_NOT_FOUND again: for MLflow's client a (method, path) pair this server
        # does not serve is a missing endpoint, and that code triggers its fallbacks.
        return error_response(405, _ENDPOINT_NOT_FOUND, message, headers)
    code = "BAD_REQUEST" if exc.status_code < 500 else "INTERNAL_ERROR"
    return error_response(exc.status_code, code, exc.detail, dict(exc.headers or {}))


EXCEPTION_HANDLERS = {
    RegistryError: handle_registry_error,
    HTTPException: handle_http_exception,
}


class InternalErrorMiddleware:
    """Turn any exception that escapes a handler into a JSON 500 with a generic message.

    The traceback goes to the ``modelreg.server`` log only, never into the response.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            logger.exception("Unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                # Headers are on the wire already: all that is left is to drop the
                # connection, which the server does when the exception reaches it.
                raise
            body = INTERNAL_ERROR_BODY
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", _JSON),
                        (b"content-length", str(len(body)).encode()),
                        (b"x-content-type-options", b"nosniff"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
