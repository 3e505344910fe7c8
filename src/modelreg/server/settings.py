"""Settings only the HTTP server needs (where to listen, how many workers, request limits).

Registry-wide settings (database, artifact root) stay in :class:`modelreg.config.Settings`;
these are built by the ``modelreg server`` command and passed down explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LogLevel = Literal["debug", "info", "warning", "error"]
LOG_LEVELS: tuple[LogLevel, ...] = ("debug", "info", "warning", "error")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
DEFAULT_MAX_JSON_BODY_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """How ``modelreg server`` listens and what it accepts."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = 1
    # JSON request bodies larger than this get 413 before they are read into memory.
    max_json_body_bytes: int = DEFAULT_MAX_JSON_BODY_BYTES
    # Seconds in-flight requests get to finish after SIGTERM before connections are closed.
    graceful_shutdown_seconds: int = 30
    keep_alive_seconds: int = 5
    log_level: LogLevel = "info"
    access_log: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be 0..65535, got {self.port}")
        if self.workers < 1:
            raise ValueError(f"workers must be 1 or more, got {self.workers}")
        if self.max_json_body_bytes < 1:
            raise ValueError("max_json_body_bytes must be positive")
