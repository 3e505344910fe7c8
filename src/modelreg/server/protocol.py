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
    a connection cap (see the module docstring).

    Both timeouts share one timer per connection that is never cancelled on the way:
    the request and body events only move deadlines, and the timer, when it fires,
    looks at them and sets itself again for the nearest one. A keep-alive connection
    thus costs no timer work per request (arming and cancelling two timers for each
    was about 5 µs of a 100 µs request).
    """

    def __init__(self, *args: Any, limits: ClientLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        # Loop time by which the next request's head must be complete; None while a
        # request is in progress.
        self._head_deadline: float | None = None
        self._head_started = False  # bytes of the next request's head have arrived
        # While a request body is incomplete: when its bytes last arrived.
        self._body_waiting = False
        self._body_activity = 0.0
        self.idle_since = time.monotonic()

    # --------------------------------------------------------------- connections
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()
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
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    # ------------------------------------------------------------------ the timer
    def _wake_by(self, when: float) -> None:
        """Make sure the timer fires no later than loop time ``when``."""
        timer = self._timer
        if timer is not None:
            if self._timer_at <= when:
                return  # it fires first and sets itself again for ``when``
            timer.cancel()
        self._timer_at = when
        self._timer = self.loop.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        now = self.loop.time()
        if self._head_deadline is not None:
            if now >= self._head_deadline:
                self._head_timed_out()
            else:
                self._wake_by(self._head_deadline)
        elif self._body_waiting:
            deadline = self._body_activity + self.limits.body_idle_timeout_seconds
            if now >= deadline:
                self._body_timed_out(now)
            else:
                self._wake_by(deadline)

    # ------------------------------------------------------------- request head
    def _await_head(self) -> None:
        self._head_started = False
        self.idle_since = time.monotonic()
        self._head_deadline = self.loop.time() + self.limits.header_timeout_seconds
        self._wake_by(self._head_deadline)

    def _head_timed_out(self) -> None:
        if self._head_started:
            self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self._head_deadline is not None:
            self._head_started = True
        elif self._body_waiting:
            self._body_activity = self.loop.time()
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._head_deadline = None
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.more_body and self._expects_body():
            self._body_waiting = True
            self._body_activity = self.loop.time()
            self._wake_by(self._body_activity + self.limits.body_idle_timeout_seconds)

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
            self._await_head()

    # ---------------------------------------------------------------- body
    def _body_timed_out(self, now: float) -> None:
        cycle = self.cycle
        if cycle is None or not cycle.more_body:
            self._body_waiting = False
            return
        if self.flow.read_paused or cycle.waiting_for_100_continue:
            # The server, not the client, is what is slow (or has not asked for the
            # body yet): keep waiting.
            self._body_activity = now
            self._wake_by(now + self.limits.body_idle_timeout_seconds)
            return
        if not cycle.response_started:
            self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()  # the handler's receive() sees the client disconnect

    def on_message_complete(self) -> None:
        self._body_waiting = False
        super().on_message_complete()
