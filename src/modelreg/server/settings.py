"""Settings only the HTTP server needs (where to listen, how many workers, request limits).

Registry-wide settings (database, artifact root) stay in :class:`modelreg.config.Settings`;
these are built by the ``modelreg server`` command and passed down explicitly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from modelreg.server.hosts import default_allowed_hosts, parse_allowed_hosts

LogLevel = Literal["debug", "info", "warning", "error"]
LOG_LEVELS: tuple[LogLevel, ...] = ("debug", "info", "warning", "error")
LogFormat = Literal["json", "text"]
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
DEFAULT_MAX_JSON_BODY_BYTES = 16 * 1024 * 1024
# Worker processes by default: one per usable core, at most this many (each one holds
# its own copy of the app, ~65 MiB).
MAX_DEFAULT_WORKERS = 4


def default_workers() -> int:
    """One worker process per core this process may run on, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_WORKERS))


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """How ``modelreg server`` listens, what it accepts and how long it waits for clients.

    The defaults are documented in docs/server.md and docs/security.md ("Limits and
    timeouts").
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    # Worker processes sharing the port; None: default_workers().
    workers: int | None = None
    # Threads per process for blocking calls (writes, searches, artifact file I/O; reads
    # too when the database is not SQLite).
    threads: int = 8
    # JSON request bodies larger than this get 413 before they are read into memory.
    max_json_body_bytes: int = DEFAULT_MAX_JSON_BODY_BYTES
    # A request's line and headers must arrive within this many seconds of the
    # connection opening or of the previous response (else 408 and close).
    header_timeout_seconds: float = 10.0
    # While a request body is incomplete, some of it must arrive at least this often.
    body_idle_timeout_seconds: float = 30.0
    # Open connections per process; None: 1000, or fewer under a low descriptor limit.
    max_connections: int | None = None
    # Seconds in-flight requests get to finish after SIGTERM before connections are closed.
    graceful_shutdown_seconds: int = 30
    # An idle keep-alive connection is closed after this many seconds.
    keep_alive_seconds: int = 5
    # Responses of bounded SQLite reads kept per worker while nothing was committed
    # (server/read_cache.py); 0 turns the cache off.
    read_cache_entries: int = 10_000
    # /health answers 503 when a pool thread and the database do not answer within this.
    health_timeout_seconds: float = 5.0
    log_level: LogLevel = "info"
    access_log: bool = True
    # Deliver webhooks from this process (off when `modelreg worker` processes do it).
    webhook_worker: bool = True
    # ---- authentication (docs/security.md)
    # Every request but /health and /version needs credentials; grants are enforced.
    auth: bool = False
    # The level a user has on a model or experiment without a grant (MLflow's names).
    default_permission: str = "NO_PERMISSIONS"
    # Seconds a verified credential's principal is kept per worker.
    auth_cache_seconds: float = 10.0
    # JSON lines (the default, for collectors) or plain text (modelreg.server.logging).
    log_format: LogFormat = "json"
    # GET /metrics in Prometheus format (modelreg.server.metrics); who may read it is
    # decided by metrics.allowed.
    metrics: bool = True
    # With several workers: the folder their metric snapshots meet in (made and removed
    # by the supervisor, modelreg.server.main). None: one process, nothing written.
    metrics_dir: str | None = None
    # Host headers answered (modelreg.server.hosts: DNS rebinding). None: derived from
    # ``host``: the loopback names on a loopback bind, any host elsewhere.
    allowed_hosts: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be 0..65535, got {self.port}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers must be 1 or more, got {self.workers}")
        if self.threads < 1:
            raise ValueError(f"threads must be 1 or more, got {self.threads}")
        if self.max_json_body_bytes < 1:
            raise ValueError("max_json_body_bytes must be positive")
        if self.graceful_shutdown_seconds < 0:
            raise ValueError(
                f"graceful_shutdown_seconds must be 0 or more, got {self.graceful_shutdown_seconds}"
            )
        if self.read_cache_entries < 0:
            raise ValueError(f"read_cache_entries must be 0 or more, got {self.read_cache_entries}")
        if self.max_connections is not None and self.max_connections < 1:
            raise ValueError(f"max_connections must be 1 or more, got {self.max_connections}")
        if self.allowed_hosts is not None:
            # Normalised (lowercase, de-duplicated); ValueError naming a bad pattern.
            object.__setattr__(self, "allowed_hosts", parse_allowed_hosts(self.allowed_hosts))
        for name in (
            "header_timeout_seconds",
            "body_idle_timeout_seconds",
            "health_timeout_seconds",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")

    @property
    def host_patterns(self) -> tuple[str, ...]:
        """The allowed Host patterns: as configured, else the default for ``host``."""
        if self.allowed_hosts is not None:
            return self.allowed_hosts
        return default_allowed_hosts(self.host)

    @property
    def worker_count(self) -> int:
        return default_workers() if self.workers is None else self.workers
