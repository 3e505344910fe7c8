"""Structured logs: JSON lines, and one access-log line per request on ``modelreg.access``.

An access line carries ``method``, ``path``, ``status``, ``duration_ms`` and ``bytes``
(response body size). Tracebacks of unexpected errors appear here, in the server's own
log, and never in a response.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Final

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOGGER: Final = "modelreg.access"
# Attributes every LogRecord has, plus uvicorn's ANSI-coloured duplicate of the message.
_STANDARD_ATTRIBUTES: Final = frozenset(
    [*vars(logging.makeLogRecord({})), "message", "asctime", "color_message"]
)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, then any ``extra`` fields."""

    def __init__(self) -> None:
        super().__init__()
        self._second = -1
        self._second_text = ""

    def _timestamp(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if second != self._second:  # strftime once per second, not once per line
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._second_text}.{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self._timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        attributes = vars(record)
        if attributes.keys() - _STANDARD_ATTRIBUTES:  # ``extra`` fields, in the order given
            for key, value in attributes.items():
                if key not in _STANDARD_ATTRIBUTES:
                    line.setdefault(key, value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def log_config(level: str = "info", access_log: bool = True) -> dict[str, Any]:
    """A ``logging.dictConfig`` for the server process (uvicorn applies it in each worker)."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
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


class AccessLogMiddleware:
    """Log one line per HTTP request once the response is complete (or failed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.logger = logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.logger.isEnabledFor(logging.INFO):
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
            method, path = scope["method"], scope["path"]
            fields = {
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": round((time.perf_counter() - start) * 1000, 3),
                "bytes": size,
            }
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
