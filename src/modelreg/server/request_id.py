"""Request ids: ``X-Request-Id`` accepted from the client (or a proxy), made up when
absent, echoed on the response and carried by every log line of the request.

A client's id is kept when it is 1 to 128 characters of ``A-Z a-z 0-9 . _ : - / + = @``
(what tracing headers and UUIDs use); anything else (too long, spaces, control
characters that could forge log lines) is replaced by a generated id rather than
rejected: an id is for correlation, never a reason to fail a request. Generated ids are
a random per-process prefix and a counter (``3f9a1c0b7e21-1a``): unique across workers
and restarts, and a few hundred nanoseconds to make, unlike a UUID.

The id of the request being served lives in a context variable (:data:`REQUEST_ID`);
the log formatters read it, so any log line written while serving a request (also on
the server's thread pool, which copies the context) names the request.
"""

from __future__ import annotations

import itertools
import os
import re
from contextvars import ContextVar
from typing import Final

from starlette.types import Message, Send

HEADER: Final = b"x-request-id"
MAX_LENGTH: Final = 128
REQUEST_ID: ContextVar[str | None] = ContextVar("modelreg_request_id", default=None)

_VALID: Final = re.compile(rb"[A-Za-z0-9._:/+=@-]{1,128}")
_PREFIX: Final = os.urandom(6).hex()
_counter = itertools.count(1)


def request_id(given: bytes | None) -> str:
    """The client's id if it is acceptable, else a new one; set for this request's logs."""
    if given is not None and len(given) <= MAX_LENGTH and _VALID.fullmatch(given):
        found = given.decode("ascii")
    else:
        found = f"{_PREFIX}-{next(_counter):x}"
    REQUEST_ID.set(found)
    return found


def header_value(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    for name, value in headers:
        if name == HEADER:
            return value
    return None


def echoing(send: Send, found: str) -> Send:
    """``send`` that adds ``X-Request-Id: found`` to the response head."""
    value = found.encode("ascii")

    async def send_with_id(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), (HEADER, value)]}
        await send(message)

    return send_with_id
