"""Structured logs: JSON lines, and one access-log line per request on ``modelreg.access``.

An access line carries ``method``, ``path``, ``status``, ``duration_ms`` and ``bytes``
(response body size). Tracebacks of unexpected errors appear here, in the server's own
log, and never in a response.

Access lines are on every request, and a ``logging`` record costs more than serving a
registry read (record, formatter, a flush per line). When ``modelreg.access`` is set
up as :func:`log_config` sets it up (one JSON stream handler), :class:`AccessLog` writes
the same line itself, and writes the lines of up to 50 ms together; with any other
set-up (handlers or filters of your own) each line goes through ``logging`` as usual.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Final, cast

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelreg.server.metrics import REQUESTS, UNMATCHED_ROUTE
from modelreg.server.request_id import REQUEST_ID

ACCESS_LOGGER: Final = "modelreg.access"
# Attributes every LogRecord has, plus uvicorn's ANSI-coloured duplicate of the message.
_STANDARD_ATTRIBUTES: Final = frozenset(
    [*vars(logging.makeLogRecord({})), "message", "asctime", "color_message"]
)


class _Timestamps:
    """ISO-8601 UTC timestamps with milliseconds; strftime once per second, not per line."""

    def __init__(self) -> None:
        self._second = -1
        self._second_text = ""

    def format(self, created: float, msecs: float) -> str:
        second = int(created)
        if second != self._second:
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._second_text}.{int(msecs):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, then any ``extra`` fields."""

    def __init__(self) -> None:
        super().__init__()
        self.timestamps = _Timestamps()

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.timestamps.format(record.created, record.msecs),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        found = getattr(record, "request_id", None) or REQUEST_ID.get()
        if found is not None:
            line["request_id"] = found
        attributes = vars(record)
        if attributes.keys() - _STANDARD_ATTRIBUTES:  # ``extra`` fields, in the order given
            for key, value in attributes.items():
                if key not in _STANDARD_ATTRIBUTES:
                    line.setdefault(key, value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    """One line for people: time, level, logger, message, then ``key=value`` extras."""

    def __init__(self) -> None:
        super().__init__()
        self.timestamps = _Timestamps()

    def format(self, record: logging.LogRecord) -> str:
        stamp = self.timestamps.format(record.created, record.msecs)
        line = f"{stamp} {record.levelname:<7} {record.name}: {record.getMessage()}"
        found = getattr(record, "request_id", None) or REQUEST_ID.get()
        if found is not None:
            line += f"  [{found}]"
        attributes = vars(record)
        extras = [
            f"{key}={value}"
            for key, value in attributes.items()
            if key not in _STANDARD_ATTRIBUTES and key not in _SHOWN_IN_MESSAGE
        ]
        if extras:
            line += "  " + " ".join(extras)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


# Extra fields the text line leaves out: its message already says them.
_SHOWN_IN_MESSAGE: Final = frozenset(
    ["method", "path", "status", "version", "url", "workers", "backend_store"]
    + ["artifacts_destination", "request_id"]
)
_FORMATTERS: Final = {"json": JsonFormatter, "text": TextFormatter}


def log_config(level: str = "info", access_log: bool = True, fmt: str = "json") -> dict[str, Any]:
    """A ``logging.dictConfig`` for the server process (uvicorn applies it in each worker).

    ``fmt`` is ``json`` (one object per line) or ``text`` (for people).
    """
    if fmt not in _FORMATTERS:
        raise ValueError(f"log format must be one of {sorted(_FORMATTERS)}, got {fmt!r}")
    handler = {"class": "logging.StreamHandler", "formatter": fmt, "stream": "ext://sys.stderr"}
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {name: {"()": cls} for name, cls in _FORMATTERS.items()},
        "handlers": {"default": handler},
        "loggers": {
            "modelreg": {"handlers": ["default"], "level": upper, "propagate": False},
            ACCESS_LOGGER: {
                "handlers": ["default"],
                "level": "INFO" if access_log else "WARNING",
                "propagate": False,
            },
            "uvicorn": {"handlers": ["default"], "level": upper, "propagate": False},
            # Ours replaces uvicorn's access log, which is plain text.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


# Direct access lines are written at the latest this long after the first one waiting,
# or as soon as this much is waiting.
FLUSH_AFTER_SECONDS: Final = 0.05
FLUSH_AT_BYTES: Final = 64 * 1024
_DIRECT_HANDLERS: Final = (logging.StreamHandler, logging.FileHandler)


class AccessLog:
    """Writes the access line of each request (see the module docstring).

    Direct lines wait in memory and are written together at the latest
    ``FLUSH_AFTER_SECONDS`` after the first of them (or once ``FLUSH_AT_BYTES`` are
    waiting, or at shutdown): one write per batch instead of one per request. Off an
    event loop each line is written at once.
    """

    def __init__(self) -> None:
        self.logger = logging.getLogger(ACCESS_LOGGER)
        self._pending: list[str] = []
        self._pending_bytes = 0
        self._pending_handler: logging.StreamHandler[Any] | None = None
        self._timer: asyncio.TimerHandle | None = None
        # The handler last found fit for direct writes, and what it was checked with.
        self._checked: tuple[Any, ...] = ()

    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)

    def _direct_handler(self) -> logging.StreamHandler[Any] | None:
        """The one JSON stream handler log_config installs, if that is all there is."""
        logger = self.logger
        handlers = logger.handlers
        if logger.propagate or logger.filters or len(handlers) != 1:
            return None
        handler: Any = handlers[0]
        state = (handler, handler.formatter, getattr(handler, "stream", None), handler.level)
        if state == self._checked:
            return cast("logging.StreamHandler[Any]", handler)
        if (
            # Exactly these classes: subclasses may do more per record (rotation, say).
            type(handler) not in _DIRECT_HANDLERS
            or state[2] is None
            or type(handler.formatter) is not JsonFormatter
            or handler.filters
            or handler.level > logging.INFO
        ):
            return None
        self._checked = state
        return cast("logging.StreamHandler[Any]", handler)

    def write(
        self,
        method: str,
        path: str,
        status: int,
        duration_s: float,
        size: int,
        request_id: str | None = None,
    ) -> None:
        duration_ms = round(duration_s * 1000, 3)
        handler = self._direct_handler()
        if handler is None:
            fields = {
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
                "bytes": size,
            }
            if request_id is not None:
                fields["request_id"] = request_id
            # makeRecord + handle is logger.info without the caller lookup (a stack walk
            # per request that says nothing here: the caller is always this line).
            record = self.logger.makeRecord(
                ACCESS_LOGGER,
                logging.INFO,
                "",
                0,
                "%s %s %d",
                (method, path, status),
                None,
                extra=fields,
            )
            self.logger.handle(record)
            return
        now = time.time()
        formatter: Any = handler.formatter
        stamp = formatter.timestamps.format(now, (now - int(now)) * 1000)
        # The same keys, order and encoding as JsonFormatter's line for this record.
        quoted_path = orjson.dumps(path).decode()
        quoted_method = orjson.dumps(method).decode()
        # request_id is plain ASCII without quotes or backslashes (server/request_id.py).
        line = (
            f'{{"time":"{stamp}","level":"INFO","logger":"{ACCESS_LOGGER}",'
            f'"message":{quoted_method[:-1]} {quoted_path[1:-1]} {status}",'
            + (f'"request_id":"{request_id}",' if request_id is not None else "")
            + f'"method":{quoted_method},"path":{quoted_path},"status":{status},'
            f'"duration_ms":{orjson.dumps(duration_ms).decode()},"bytes":{size}}}'
        )
        self._pending.append(line)
        self._pending_bytes += len(line)
        self._pending_handler = handler
        if self._pending_bytes >= FLUSH_AT_BYTES:
            self.flush()
            return
        if self._timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on an event loop: write now
            self.flush()
            return
        self._timer = loop.call_later(FLUSH_AFTER_SECONDS, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        handler = self._pending_handler
        if not self._pending or handler is None:
            return
        lines, self._pending, self._pending_bytes = self._pending, [], 0
        text = handler.terminator.join(lines) + handler.terminator
        handler.acquire()
        try:
            handler.stream.write(text)
            handler.flush()
        except Exception:  # a log that cannot be written must not fail the request
            handler.handleError(logging.makeLogRecord({"msg": text}))
        finally:
            handler.release()


class AccessLogMiddleware:
    """Log one line per HTTP request once the response is complete (or failed), and
    count it for /metrics under its route template (``measure``)."""

    def __init__(self, app: ASGIApp, access: AccessLog, measure: bool = False) -> None:
        self.app = app
        self.access = access
        self.measure = measure
        self._templates: dict[Any, str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not (self.measure or self.access.enabled()):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        size = 0

        async def counting_send(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            duration = time.perf_counter() - start
            if self.measure:
                REQUESTS.observe((scope["method"], self._template(scope), status), duration)
            if self.access.enabled():
                self.access.write(
                    scope["method"], scope["path"], status, duration, size, REQUEST_ID.get()
                )

    def _template(self, scope: Scope) -> str:
        """The route template that served ``scope`` (never the raw path: bounded labels)."""
        route = scope.get("route")
        if route is not None and hasattr(route, "path"):
            return str(route.path)
        endpoint = scope.get("endpoint")
        if endpoint is None:
            return UNMATCHED_ROUTE
        if self._templates is None:
            router = scope.get("router")
            routes = getattr(router, "routes", ())
            self._templates = {}
            for candidate in routes:
                found = getattr(candidate, "endpoint", None)
                if found is not None:
                    self._templates.setdefault(found, candidate.path)
        return self._templates.get(endpoint, UNMATCHED_ROUTE)
