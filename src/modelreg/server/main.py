"""Running the app under uvicorn: one process, or N worker processes sharing one socket.

Workers get the app through a picklable factory, ``functools.partial(create_app,
settings, server)``, that uvicorn's supervisor hands to each spawned process: the
settings travel as arguments, never through environment variables. (``uvicorn.run``
insists on an import string for workers, so its two building blocks are used
directly, exactly as ``uvicorn.run`` itself uses them.)
"""

from __future__ import annotations

import functools
import inspect
import socket
from typing import TYPE_CHECKING, Any

from modelreg.config import Settings
from modelreg.errors import RegistryError
from modelreg.server.app import create_app
from modelreg.server.logging import log_config
from modelreg.server.settings import ServerSettings
from modelreg.service.assembly import build_services

if TYPE_CHECKING:
    import uvicorn
    from uvicorn.supervisors import Multiprocess


def serve(settings: Settings, server: ServerSettings) -> None:
    """Serve until SIGINT/SIGTERM, then finish in-flight requests and exit.

    The database is checked before the port is bound, so a stale schema or an unusable
    URI is a one-line error, not a traceback from inside uvicorn.
    """
    import uvicorn

    if server.workers == 1:
        # Served by this process: build the app once; its lifespan check then finds
        # the schema already verified.
        app = create_app(settings, server)
        app.state.services.db.ensure_schema()
        config = _config(app, server, factory=False)
        runner = uvicorn.Server(config)
        runner.run()
        if not runner.started:
            raise RegistryError(
                f"modelreg server did not start on {server.host}:{server.port}; see the log above."
            )
        return
    # Checked (and a brand-new SQLite file upgraded) once here, before N workers race.
    services = build_services(settings)
    try:
        services.db.ensure_schema()
    finally:
        services.db.dispose()
    config = _config(functools.partial(create_app, settings, server), server, factory=True)
    _supervisor(config, [config.bind_socket()]).run()


def _supervisor(config: uvicorn.Config, sockets: list[socket.socket]) -> Multiprocess:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    if "target" in inspect.signature(Multiprocess).parameters:
        # Older uvicorn takes the function each worker runs; newer builds it itself.
        legacy: Any = Multiprocess
        return legacy(config, target=uvicorn.Server(config).run, sockets=sockets)  # type: ignore[no-any-return]
    return Multiprocess(config, sockets=sockets)


def _http_protocol() -> Any:
    """httptools with one write per response when installed (the server extra), else auto."""
    try:
        from modelreg.server.one_send import OneSendHttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools missing: uvicorn picks h11
        return "auto"
    return OneSendHttpToolsProtocol


def _config(app: Any, server: ServerSettings, *, factory: bool) -> uvicorn.Config:
    import uvicorn

    return uvicorn.Config(
        app,
        factory=factory,
        host=server.host,
        port=server.port,
        workers=server.workers,
        # "auto" picks uvloop and httptools when installed (the server extra has both).
        loop="auto",
        http=_http_protocol(),
        lifespan="on",
        ws="none",  # no WebSocket routes: do not load a WebSocket implementation
        log_config=log_config(server.log_level, server.access_log),
        access_log=False,  # modelreg.access replaces uvicorn's plain-text access log
        server_header=False,
        timeout_keep_alive=server.keep_alive_seconds,
        timeout_graceful_shutdown=server.graceful_shutdown_seconds,
    )
