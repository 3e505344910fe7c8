"""Running the app under uvicorn: one process, or N worker processes on one port.

With several workers, each listens on a socket of its own bound to the server's port
with ``SO_REUSEPORT`` (:func:`per_worker_listener`), so the kernel spreads connections
over them.

Workers get the app through a picklable factory, ``functools.partial(_worker_app,
settings, server, supervisor_pid)``, that uvicorn's supervisor hands to each spawned
process: the settings travel as arguments, never through environment variables.
(``uvicorn.run`` insists on an import string for workers, so its two building blocks
are used directly, exactly as ``uvicorn.run`` itself uses them.)

A worker asks the kernel to send it SIGTERM when the supervisor dies (Linux
``PR_SET_PDEATHSIG``), however the supervisor died: ``kill -9`` of the supervisor
leaves no worker serving on the port, so the server can be started again at once.
"""

from __future__ import annotations

import ctypes
import dataclasses
import errno
import functools
import inspect
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from modelreg._version import __version__
from modelreg.config import Settings, redact_uri
from modelreg.errors import RegistryError
from modelreg.server.auth_setup import exposure_warning
from modelreg.server.logging import log_config
from modelreg.server.preflight import check_in_child, check_services
from modelreg.server.protocol import ClientLimits, GuardedHttpProtocol, connection_cap
from modelreg.server.settings import ServerSettings

if TYPE_CHECKING:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from modelreg.server.app import ModelregApp

logger = logging.getLogger("modelreg.server")
_PR_SET_PDEATHSIG = 1


def serve(settings: Settings, server: ServerSettings) -> None:
    """Serve until SIGINT/SIGTERM, then finish in-flight requests and exit.

    The port is bound first, before anything else is done: a port in use is a
    one-line error naming ``--port``, never a database check followed by a bind error.
    The database and the artifacts destination are checked next, before anything
    listens, so a stale schema, an unusable URI or a destination the server may not
    write is a one-line error too, not a traceback from inside uvicorn (or a 5xx on
    every upload).
    """
    import uvicorn

    warning = exposure_warning(server.host, server.auth)
    if warning:
        logger.warning("%s", warning)
    listener = bind_listener(server.host, server.port)
    cleanups: list[Callable[[], object]] = [listener.close]
    try:
        workers = server.worker_count
        if workers == 1:
            # Served by this process: build the app once; its lifespan check then finds
            # the schema already verified.
            from modelreg.server.app import create_app

            app = create_app(settings, server)
            check_services(app.state.services, server, os.environ)
            config = _config(app, server, workers=1, factory=False)
            log_banner(settings, server, listener, workers=1)
            runner = uvicorn.Server(config)
            runner.run(sockets=[listener])
            if not runner.started:
                raise RegistryError(
                    f"modelreg server did not start on {server.host}:{server.port}; "
                    "see the log above."
                )
            return
        # Checked (and a brand-new SQLite file upgraded) once, before N workers race; in
        # a child process, so that this one never loads the service layer.
        check_in_child(settings, server)
        if server.metrics:
            # Where the workers' metric snapshots meet (modelreg.server.metrics).
            metrics_dir = tempfile.mkdtemp(prefix="modelreg-metrics-")
            cleanups.append(functools.partial(shutil.rmtree, metrics_dir, ignore_errors=True))
            server = dataclasses.replace(server, metrics_dir=metrics_dir)
        listener = per_worker_listener(listener)
        cleanups.append(listener.close)
        factory = functools.partial(_worker_app, settings, server, os.getpid())
        config = _config(factory, server, workers=workers, factory=True)
        log_banner(settings, server, listener, workers=workers)
        _supervisor(config, [listener]).run()
    finally:
        for cleanup in cleanups:
            cleanup()


def bind_listener(host: str, port: int) -> socket.socket:
    """The server's listening socket, bound (as uvicorn binds it); a one-line error if not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise RegistryError(
                f"Port {port} on {host} is already in use (another modelreg or MLflow "
                "server?): stop that one or pick another port with --port."
            ) from None
        if error.errno == errno.EACCES:
            raise RegistryError(
                f"Not allowed to listen on port {port} of {host} (ports below 1024 need "
                "privileges): pick another with --port."
            ) from None
        raise RegistryError(
            f"Cannot listen on {host}:{port}: {error.strerror or error}. Check --host and --port."
        ) from None
    sock.set_inheritable(True)  # worker processes serve on it
    return sock


# Linux and the BSDs; elsewhere the workers share one socket.
_REUSE_PORT: Final = getattr(socket, "SO_REUSEPORT", None)


class _PerWorkerListener(socket.socket):
    """A bound socket that arrives in each worker process as a new socket of its own,
    bound to the same address with ``SO_REUSEPORT``.

    Workers that share one socket race for each connection, and one that is awake
    accepts a whole burst: 8 connections opened at once often all went to one of two
    workers, which then served fewer writes than 1 connection did while the other
    idled. With a socket each, the kernel spreads connections over the workers by their
    addresses. This one, in the supervisor, stays bound and never listens: it holds the
    port, and only listening sockets receive connections.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        host, port = self.getsockname()[:2]
        return (_reuse_port_socket, (self.family, host, port))


def _reuse_port_socket(family: int, host: str, port: int) -> socket.socket:
    assert _REUSE_PORT is not None  # only pickled where there is one
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, _REUSE_PORT, 1)
    sock.bind((host, port))
    return sock


def per_worker_listener(listener: socket.socket) -> socket.socket:
    """The socket the supervisor hands its workers: ``listener`` itself where there is
    no ``SO_REUSEPORT``, else one bound to its address that gives each worker a socket
    of its own (:class:`_PerWorkerListener`).

    ``listener`` was bound without ``SO_REUSEPORT``, so a port in use was refused there
    with its one-line error; it is closed and its address bound again with the option.
    Any other server that tries this port later is refused as well: a socket without
    the option cannot join, and one with it must belong to the same user and set it too,
    which only these workers do.
    """
    if _REUSE_PORT is None:
        return listener
    host, port = listener.getsockname()[:2]
    sock = _PerWorkerListener(listener.family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, _REUSE_PORT, 1)
        listener.close()
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise RegistryError(
            f"Cannot listen on {host}:{port}: {error.strerror or error}. Check --host and --port."
        ) from None
    return sock


def log_banner(
    settings: Settings, server: ServerSettings, listener: socket.socket, *, workers: int
) -> None:
    """What runs where, once, before serving: version, URL, database, artifacts."""
    port = listener.getsockname()[1]
    host = f"[{server.host}]" if ":" in server.host else server.host
    url = f"http://{host}:{port}"
    store = redact_uri(settings.tracking_uri)
    logger.info(
        "modelreg %s serving %s (%d worker%s); backend store: %s; artifacts: %s",
        __version__,
        url,
        workers,
        "" if workers == 1 else "s",
        store,
        settings.artifact_root,
        extra={
            "version": __version__,
            "url": url,
            "workers": workers,
            "backend_store": store,
            "artifacts_destination": settings.artifact_root,
        },
    )


def _worker_app(settings: Settings, server: ServerSettings, supervisor: int) -> ModelregApp:
    """In a worker process: die with the supervisor, then build the app."""
    _die_with_parent()
    if os.getppid() != supervisor:
        # The supervisor died before the request above took effect.
        logger.error("modelreg server: the supervisor (pid %d) is gone; exiting", supervisor)
        sys.exit(1)
    from modelreg.server.app import create_app

    return create_app(settings, server)


def _die_with_parent() -> None:
    """Ask the kernel for SIGTERM when the parent process dies (Linux only)."""
    if not sys.platform.startswith("linux"):  # pragma: no cover
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:  # pragma: no cover
        error = ctypes.get_errno()
        logger.warning("modelreg server: prctl(PR_SET_PDEATHSIG) failed: %s", os.strerror(error))


def _supervisor(config: uvicorn.Config, sockets: list[socket.socket]) -> Multiprocess:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    if "target" in inspect.signature(Multiprocess).parameters:
        # Older uvicorn takes the function each worker runs; newer builds it itself.
        legacy: Any = Multiprocess
        return legacy(config, target=uvicorn.Server(config).run, sockets=sockets)  # type: ignore[no-any-return]
    return Multiprocess(config, sockets=sockets)


def _http_protocol(server: ServerSettings) -> Any:
    """uvicorn's httptools protocol with modelreg's client limits and one send per response."""
    limits = ClientLimits(
        header_timeout_seconds=server.header_timeout_seconds,
        body_idle_timeout_seconds=server.body_idle_timeout_seconds,
        max_connections=connection_cap(server.max_connections, server.threads),
    )
    return functools.partial(GuardedHttpProtocol, limits=limits)


# uvicorn 0.50+ kills a worker that has not answered its supervisor's health ping
# within this many seconds (5 by default) and starts another: a worker still importing
# on a loaded machine was killed and replaced forever, and the server never served.
WORKER_HEALTHCHECK_SECONDS: Final = 60


def _config(app: Any, server: ServerSettings, *, workers: int, factory: bool) -> uvicorn.Config:
    import uvicorn

    extra: dict[str, Any] = {}
    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters:
        extra["timeout_worker_healthcheck"] = WORKER_HEALTHCHECK_SECONDS
    return uvicorn.Config(
        app,
        factory=factory,
        host=server.host,
        port=server.port,
        workers=workers,
        # "auto" picks uvloop when installed (the server extra has it).
        loop="auto",
        http=_http_protocol(server),
        lifespan="on",
        ws="none",  # no WebSocket routes: do not load a WebSocket implementation
        log_config=log_config(server.log_level, server.access_log, server.log_format),
        access_log=False,  # modelreg.access replaces uvicorn's plain-text access log
        server_header=False,
        # Nothing reads the client address; the X-Forwarded-* rewrite is work per request.
        proxy_headers=False,
        timeout_keep_alive=server.keep_alive_seconds,
        timeout_graceful_shutdown=server.graceful_shutdown_seconds,
        **extra,
    )
