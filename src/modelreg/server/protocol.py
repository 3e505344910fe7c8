"""The HTTP protocol the server runs: uvicorn's httptools protocol, with limits on clients.

uvicorn closes a keep-alive connection that stays idle after a response, and nothing
else: a connection that never sends a request, sends its head a byte at a time, or
stops sending a body it announced stays open for ever, holding a file descriptor
(and, before bodies were read on the event loop, a thread). Enough of them and the
process runs out of descriptors and refuses every connection. So, per connection:

* **Request head timeout.** A request's line and headers must be complete within
  ``header_timeout_seconds`` of the connection opening or of the previous response.
  Arriving slowly does not extend it. A connection that sent part of a head is answered
  ``408`` and closed; a silent one is closed.
* **Idle body timeout.** While a request body is incomplete, the client must send some
  of it at least every ``body_idle_timeout_seconds``. Only waiting on the client counts:
  not the time the server itself pauses reading (a slow disk behind an upload) nor the
  wait before a ``100 Continue``. The handler sees the client disconnect (an upload is
  discarded); the client gets ``408`` if no response has started.
* **Connection cap.** At most ``max_connections`` connections are open per process
  (:func:`connection_cap`), below the descriptor limit. A new connection over the cap
  closes the connection that has been idle longest (no request in progress) or, if every
  connection is busy, is itself closed: a flood of idle sockets cannot lock clients out.

Each response's head and body still leave in one write (:mod:`modelreg.server.one_send`).
"""

from __future__ import annotations

import asyncio
import resource
import time
from dataclasses import dataclass
from typing import Any, Final

from modelreg.server.one_send import OneSendHttpToolsProtocol

_TIMEOUT_BODY: Final = b"The request was not received in time.\n"
_REQUEST_TIMEOUT: Final = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: %d\r\n"
    b"connection: close\r\n"
    b"\r\n" % len(_TIMEOUT_BODY)
) + _TIMEOUT_BODY
# Descriptors kept free beyond the connection cap: the listening socket, the event
# loop, log files, and for each thread its database connection (SQLite: the database,
# its WAL, its shared memory) and an artifact file it may have open.
_RESERVED_BASE: Final = 32
_RESERVED_PER_THREAD: Final = 4
_DEFAULT_CAP: Final = 1000


def connection_cap(requested: int | None, threads: int) -> int:
    """The connection cap: ``requested``, else 1000; never closer than the reserve to
    the process's descriptor limit (``RLIMIT_NOFILE``)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = _DEFAULT_CAP if requested is None else requested
    if soft == resource.RLIM_INFINITY:
        return wanted
    reserved = _RESERVED_BASE + _RESERVED_PER_THREAD * threads
    return max(1, min(wanted, soft - reserved))


@dataclass(frozen=True, slots=True)
class ClientLimits:
    """How long clients may take, and how many may be connected (see the module doc)."""

    header_timeout_seconds: float
    body_idle_timeout_seconds: float
    max_connections: int


class GuardedHttpProtocol(OneSendHttpToolsProtocol):
    """uvicorn's httptools protocol with a request-head timeout, an idle-body timeout and
    a connection cap (see the module docstring)."""

    def __init__(self, *args: Any, limits: ClientLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._head_started = False  # bytes of the next request's head have arrived
        self.idle_since = time.monotonic()

    # --------------------------------------------------------------- connections
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()
        if len(self.connections) > self.limits.max_connections:
            self._make_room()

    def _make_room(self) -> None:
        """Over the cap: close the longest-idle connection, or this one if none is idle."""
        idle = [
            other
            for other in self.connections
            if other is not self
            and isinstance(other, GuardedHttpProtocol)
            and other.is_idle()
            and not other.transport.is_closing()
        ]
        victim = min(idle, key=lambda other: other.idle_since) if idle else self
        victim.transport.close()

    def is_idle(self) -> bool:
        """No request in progress: between requests, or before the first one."""
        return not self._head_started and (self.cycle is None or self.cycle.response_complete)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        self._cancel_body_timer()
        super().connection_lost(exc)

    # ------------------------------------------------------------- request head
    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_started = False
        self.idle_since = time.monotonic()
        self._head_timer = self.loop.call_later(
            self.limits.header_timeout_seconds, self._head_timed_out
        )

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self._head_started:
            self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self._head_timer is not None:
            self._head_started = True
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._cancel_head_timer()
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.more_body and self._expects_body():
            self._arm_body_timer()

    def _expects_body(self) -> bool:
        for name, value in self.headers:
            if name == b"content-length":
                return value.strip() not in (b"", b"0")
            if name == b"transfer-encoding":
                return True
        return False

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._arm_head_timer()

    # ---------------------------------------------------------------- body
    def _arm_body_timer(self) -> None:
        self._cancel_body_timer()
        self._body_timer = self.loop.call_later(
            self.limits.body_idle_timeout_seconds, self._body_timed_out
        )

    def _cancel_body_timer(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _body_timed_out(self) -> None:
        self._body_timer = None
        cycle = self.cycle
        if self.transport.is_closing() or cycle is None or not cycle.more_body:
            return
        if self.flow.read_paused or cycle.waiting_for_100_continue:
            # The server, not the client, is what is slow (or has not asked for the
            # body yet): keep waiting.
            self._arm_body_timer()
            return
        if not cycle.response_started:
            self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()  # the handler's receive() sees the client disconnect

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        if self._body_timer is not None:
            self._arm_body_timer()

    def on_message_complete(self) -> None:
        self._cancel_body_timer()
        super().on_message_complete()
