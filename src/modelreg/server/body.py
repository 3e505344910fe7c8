"""Reading a request's fields: query string for GET, a bounded JSON object otherwise.

Rules (mlflow-wire.md §1, security-checklist.md T-19/T-22):

* POST and PATCH must say ``Content-Type: application/json``; so must a DELETE that
  carries a body. Anything else is 400, which also keeps cross-site form posts out.
* Bodies larger than the limit are refused with 413 before they are buffered: at once
  from ``Content-Length``, or as soon as a streamed body crosses the limit.
* A body that is not JSON, or not a JSON object, is 400. An empty body is ``{}``.
* A DELETE without a body reads its fields from the query string (curl-friendly; the
  MLflow client always sends a JSON body).
"""

from __future__ import annotations

from typing import Any, Final

import orjson
from starlette.requests import Request

from modelreg.errors import InvalidArgument
from modelreg.server.errors import PayloadTooLarge
from modelreg.server.wire import Params

_BODY_METHODS: Final = frozenset({"POST", "PATCH", "PUT"})


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than the {limit}-byte limit.")


def _not_json(content_type: str | None) -> InvalidArgument:
    shown = "none" if content_type is None else repr(content_type[:100])
    return InvalidArgument(f"Bad request: Content-Type must be application/json, got {shown}.")


def _is_json(content_type: str | None) -> bool:
    if content_type is None:
        return False
    return content_type.partition(";")[0].strip().lower() == "application/json"


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


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


async def read_params(request: Request, limit: int) -> Params:
    """The request's fields, checked against the method's encoding rules."""
    method = request.method
    if method in ("GET", "HEAD"):
        return Params(query=request.query_params)
    content_type = request.headers.get("content-type")
    if method in _BODY_METHODS and not _is_json(content_type):
        raise _not_json(content_type)
    body = await read_body(request, limit)
    if not body:
        if method == "DELETE":
            return Params(query=request.query_params)
        return Params(body={})
    if not _is_json(content_type):
        raise _not_json(content_type)
    return Params(body=parse_json_object(body))
