"""The ``modelreg`` command: database management and, with the server extra, ``server``.

Errors print one line and exit 1; ``--traceback`` shows the Python stack instead.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from modelreg._version import __version__
from modelreg.config import Settings
from modelreg.errors import RegistryError

if TYPE_CHECKING:
    from modelreg.server.settings import LogLevel

F = TypeVar("F", bound=Callable[..., Any])

_BACKEND_OPTION = click.option(
    "--backend-store-uri",
    envvar="MODELREG_TRACKING_URI",
    default=None,
    help="Database URI (sqlite:///…, postgresql://…, mysql://…) or folder. "
    "Default: the embedded ./.modelreg/modelreg.db.",
)


def _friendly_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RegistryError as error:
            if click.get_current_context().find_root().params.get("traceback"):
                raise
            click.echo(f"Error: {error}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group()
@click.version_option(__version__, prog_name="modelreg")
@click.option("--traceback", is_flag=True, help="Show the full Python traceback on errors.")
def main(traceback: bool) -> None:
    """modelreg: a fast, MLflow-compatible model registry."""


@main.group()
def db() -> None:
    """Create and upgrade the registry database schema."""


@db.command("upgrade")
@_BACKEND_OPTION
@click.option("--revision", default="head", show_default=True, help="Target schema revision.")
@_friendly_errors
def db_upgrade(backend_store_uri: str | None, revision: str) -> None:
    """Create or upgrade the schema (the only way a shared database is migrated)."""
    from modelreg.store.database import Database

    database = Database(Settings.from_env(backend_store_uri).tracking_uri)
    try:
        before, after = database.upgrade_schema(revision)
    finally:
        database.dispose()
    if before == after:
        click.echo(f"Schema already at revision {after}.")
    else:
        click.echo(f"Upgraded schema from {before or 'empty'} to {after}.")


@db.command("current")
@_BACKEND_OPTION
@_friendly_errors
def db_current(backend_store_uri: str | None) -> None:
    """Print the schema revision of the database and the one this modelreg needs."""
    from modelreg.store.database import Database

    database = Database(Settings.from_env(backend_store_uri).tracking_uri)
    try:
        current, head = database.schema_revisions()
    finally:
        database.dispose()
    state = "up to date" if current == head else "needs `modelreg db upgrade`"
    click.echo(f"current: {current or 'empty'}  head: {head}  ({state})")


@main.command("server")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=5000, show_default=True, help="TCP port."
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes sharing the port (each with its own connection pool). "
    "Default: one per CPU core, at most 4.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Threads per worker for blocking calls (writes, searches, artifact I/O).",
)
@click.option(
    "--header-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds a client has to send a request's line and headers.",
)
@click.option(
    "--body-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds a request body may stall (no bytes arriving) before the request is dropped.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(min=1),
    default=None,
    help="Open connections per worker; default 1000, fewer under a low descriptor limit.",
)
@click.option(
    "--read-cache",
    type=click.IntRange(min=0),
    default=10_000,
    show_default=True,
    help="Responses of bounded reads kept per worker on SQLite while nothing is committed "
    "(0: off).",
)
@click.option(
    "--health-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=5.0,
    show_default=True,
    help="/health answers 503 if a worker thread and the database take longer than this.",
)
@_BACKEND_OPTION
@click.option(
    "--artifacts-destination",
    envvar="MODELREG_ARTIFACT_ROOT",
    default=None,
    help="Where artifacts are stored (folder or s3://bucket/prefix). "
    "Default: 'artifacts' beside a SQLite database, else ./.modelreg/artifacts.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
@_friendly_errors
def server(
    host: str,
    port: int,
    workers: int | None,
    threads: int,
    header_timeout: float,
    body_timeout: float,
    max_connections: int | None,
    read_cache: int,
    health_timeout: float,
    backend_store_uri: str | None,
    artifacts_destination: str | None,
    log_level: str,
) -> None:
    """Serve the registry over MLflow's REST API (needs the ``server`` extra).

    Until authentication exists, every change is attributed to the HTTP Basic
    username the client sends (unverified), else to "anonymous".
    """
    try:
        from modelreg.server.main import serve
        from modelreg.server.settings import ServerSettings
    except ImportError as error:
        click.echo(
            f"Error: the server needs the 'server' extra ({error.name} is missing): "
            "pip install 'modelreg[server]'",
            err=True,
        )
        sys.exit(1)
    settings = Settings.from_env(backend_store_uri, artifacts_destination)
    serve(
        settings,
        ServerSettings(
            host=host,
            port=port,
            workers=workers,
            threads=threads,
            header_timeout_seconds=header_timeout,
            body_idle_timeout_seconds=body_timeout,
            max_connections=max_connections,
            read_cache_entries=read_cache,
            health_timeout_seconds=health_timeout,
            log_level=cast("LogLevel", log_level),
        ),
    )


if __name__ == "__main__":  # pragma: no cover
    main()
