"""Reading a request's fields: query string for GET, a bounded JSON object otherwise.

Rules (mlflow-wire.md §1, security-checklist.md T-19/T-22):

* POST and PATCH must say ``Content-Type: application/json``; so must a DELETE that
  carries a body. Anything else is 400, which also keeps cross-site form posts out.
* Bodies larger than the limit are refused with 413 before they are buffered: at once
  from ``Content-Length``, or as soon as a streamed body crosses the limit.
* A body that is not JSON, or not a JSON object, is 400. An empty body is ``{}``.
* A DELETE without a body reads its fields from the query string (curl-friendly; the
  MLflow client always sends a JSON body).

Everything works on the raw ASGI scope and ``receive``: this is on every API request,
and Starlette's ``Request``, ``Headers`` and ``QueryParams`` cost more than the rest of
the parsing together. The body is read on the event loop, so a slow client never holds
a thread; the HTTP protocol closes a connection whose body stalls (see ``protocol``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Final
from urllib.parse import unquote_plus

import orjson
from starlette.types import Receive

from modelreg.errors import InvalidArgument
from modelreg.server.errors import PayloadTooLarge
from modelreg.server.nul import body_may_hold_nul, nul_error, query_may_hold_nul, refuse_nul
from modelreg.server.wire import Params

_BODY_METHODS: Final = frozenset({"POST", "PATCH", "PUT"})


class ClientGone(Exception):
    """The client disconnected before its request body was complete."""


class RequestHeaders:
    """The few request headers the API reads, found in one pass over the scope's list."""

    __slots__ = ("authorization", "content_length", "content_type", "request_id")

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        self.content_type: str | None = None
        self.content_length: str | None = None
        self.authorization: str | None = None
        self.request_id: bytes | None = None  # raw X-Request-Id (server/request_id.py)
        for name, value in raw:
            if name == b"content-type":
                self.content_type = value.decode("latin-1")
            elif name == b"content-length":
                self.content_length = value.decode("latin-1")
            elif name == b"authorization":
                self.authorization = value.decode("latin-1")
            elif name == b"x-request-id":
                self.request_id = value


class QueryFields:
    """A parsed query string: ``get`` (last occurrence wins), ``getlist``, ``in``.

    The same pairs as ``urllib.parse.parse_qsl(..., keep_blank_values=True)`` gives (and
    so Starlette's ``QueryParams``): ``+`` is a space, ``%XX`` is decoded as UTF-8, a key
    without ``=`` has the value ``""``.
    """

    __slots__ = ("_last", "_pairs")

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs
        self._last = dict(pairs)

    def get(self, name: str, default: Any = None) -> Any:
        return self._last.get(name, default)

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name]

    def __contains__(self, name: object) -> bool:
        return name in self._last

    def __iter__(self) -> Iterator[str]:
        return iter(self._last)

    def __len__(self) -> int:
        return len(self._last)


def _decode(text: str) -> str:
    return unquote_plus(text) if "%" in text or "+" in text else text


def parse_query(query_string: bytes) -> QueryFields:
    pairs: list[tuple[str, str]] = []
    if query_string:
        for piece in query_string.decode("latin-1").split("&"):
            if not piece:
                continue
            name, _, value = piece.partition("=")
            pairs.append((_decode(name), _decode(value)))
        if query_may_hold_nul(query_string):
            for name, value in pairs:
                if "\x00" in name or "\x00" in value:
                    raise nul_error(name)
    return QueryFields(pairs)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than the {limit}-byte limit.")


def _not_json(content_type: str | None) -> InvalidArgument:
    shown = "none" if content_type is None else repr(content_type[:100])
    return InvalidArgument(f"Bad request: Content-Type must be application/json, got {shown}.")


def _is_json(content_type: str | None) -> bool:
    if content_type is None:
        return False
    if content_type == "application/json":
        return True
    return content_type.partition(";")[0].strip().lower() == "application/json"


async def read_body(receive: Receive, declared: str | None, limit: int) -> bytes:
    """The whole body, refused with 413 once it is (or is declared to be) over ``limit``."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientGone
    body: bytes = message.get("body", b"")
    if len(body) > limit:
        raise _too_large(limit)
    if not message.get("more_body", False):
        return body
    chunks = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def parse_json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = orjson.loads(body)
        if isinstance(data, str):
            # Old MLflow clients double-encode the body as a JSON string; MLflow's server
            # decodes it a second time, and so do we (once, never recursively).
            data = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise InvalidArgument(f"Malformed JSON in the request body: {error}.") from None
    if not isinstance(data, dict):
        raise InvalidArgument("The request body must be a JSON object.")
    return data


async def read_request(
    method: str, headers: RequestHeaders, query_string: bytes, receive: Receive, limit: int
) -> tuple[Params, bytes]:
    """The request's fields, checked against the method's encoding rules, and the bytes
    they were read from (the query string, or the body)."""
    if method in ("GET", "HEAD"):
        return Params(query=parse_query(query_string)), query_string
    content_type = headers.content_type
    if method in _BODY_METHODS and not _is_json(content_type):
        raise _not_json(content_type)
    body = await read_body(receive, headers.content_length, limit)
    return parse_body(method, content_type, query_string, body)


def json_body_method(method: str, content_type: str | None) -> bool:
    """Whether a request with this method and content type has its fields in a JSON body
    (so the body alone decides them, and can be read before they are parsed)."""
    return method in _BODY_METHODS and _is_json(content_type)


def parse_body(
    method: str, content_type: str | None, query_string: bytes, body: bytes
) -> tuple[Params, bytes]:
    """The fields of a request whose body has been read (see :func:`read_request`)."""
    if not body:
        if method == "DELETE":
            return Params(query=parse_query(query_string)), query_string
        return Params(body={}), body
    if not _is_json(content_type):
        raise _not_json(content_type)
    fields = parse_json_object(body)
    if body_may_hold_nul(body):
        refuse_nul(fields)
    return Params(body=fields), body


async def read_params(
    method: str, headers: RequestHeaders, query_string: bytes, receive: Receive, limit: int
) -> Params:
    """The request's fields, checked against the method's encoding rules."""
    return (await read_request(method, headers, query_string, receive, limit))[0]
