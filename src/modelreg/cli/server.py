"""``modelreg server``: serve the registry over MLflow's REST API."""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import TYPE_CHECKING, cast

import click

from modelreg.cli._common import BACKEND_OPTION, friendly_errors
from modelreg.config import Settings, parse_source_schemes
from modelreg.errors import InvalidArgument

if TYPE_CHECKING:
    from modelreg.server.settings import LogFormat, LogLevel

# Databases several servers share: their files must not default to the cwd.
_SHARED_DATABASES = ("postgresql", "postgres", "mysql", "mariadb")


@click.command("server", short_help="Serve the registry over MLflow's REST API.")
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
@BACKEND_OPTION
@click.option(
    "--artifacts-destination",
    envvar="MODELREG_ARTIFACT_ROOT",
    default=None,
    help="Where artifacts are stored (folder or s3://bucket/prefix). "
    "Default: 'artifacts' beside a SQLite database, else ./.modelreg/artifacts.",
)
@click.option(
    "--allowed-source-schemes",
    envvar="MODELREG_ALLOWED_SOURCE_SCHEMES",
    default=None,
    metavar="SCHEMES",
    help="URI schemes (comma-separated, e.g. 's3,https') a model version's source may use "
    "when the server does not copy its files but stores the URI for clients to download "
    "from. Default: none (sources must be runs:/, models:/ or on this server).",
)
@click.option(
    "--auth",
    is_flag=True,
    help="Require credentials (HTTP Basic or a Bearer token) and enforce grants. "
    "The first admin comes from MODELREG_ADMIN_USERNAME/MODELREG_ADMIN_PASSWORD.",
)
@click.option(
    "--default-permission",
    type=click.Choice(["NO_PERMISSIONS", "READ", "USE", "EDIT", "MANAGE"]),
    default="NO_PERMISSIONS",
    show_default=True,
    help="With --auth: a user's level on a model or experiment they have no grant on.",
)
@click.option(
    "--allowed-hosts",
    envvar=["MODELREG_ALLOWED_HOSTS", "MLFLOW_SERVER_ALLOWED_HOSTS"],
    default=None,
    help="Host headers to answer, comma-separated (name, name:port, *.domain, or *); "
    "others get 403 (DNS rebinding). Default: localhost, 127.0.0.1 and [::1] on a "
    "loopback --host, any host otherwise.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
@click.option(
    "--webhook-worker/--no-webhook-worker",
    default=True,
    show_default=True,
    envvar="MODELREG_WEBHOOK_WORKER",
    help="Deliver webhooks from this server (turn off when `modelreg worker` runs).",
)
@click.option(
    "--log-format",
    type=click.Choice(["json", "text"]),
    default="json",
    show_default=True,
    help="JSON lines (one object per line, for log collectors) or plain text for people.",
)
@click.option(
    "--graceful-timeout",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    help="Seconds in-flight requests get to finish after SIGTERM/SIGINT before "
    "their connections are closed.",
)
@click.option(
    "--metrics/--no-metrics",
    default=True,
    show_default=True,
    help="Serve Prometheus metrics at GET /metrics.",
)
@friendly_errors
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
    allowed_source_schemes: str | None,
    auth: bool,
    default_permission: str,
    allowed_hosts: str | None,
    log_level: str,
    webhook_worker: bool,
    log_format: str,
    graceful_timeout: int,
    metrics: bool,
) -> None:
    """Serve the registry over MLflow's REST API (needs the server extra).

    With --auth, every request but /health and /version needs credentials and every
    change is attributed to the authenticated user. Without it (for a loopback-only
    or trusted setup), changes are attributed to the HTTP Basic username the client
    claims (unverified), else to "anonymous"; see docs/security.md.
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
    hosts = None
    if allowed_hosts is not None:
        from modelreg.server.hosts import parse_allowed_hosts

        try:
            hosts = parse_allowed_hosts(allowed_hosts)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--allowed-hosts") from None
    settings = Settings.from_env(backend_store_uri, artifacts_destination)
    if allowed_source_schemes is not None:
        settings = replace(
            settings,
            allowed_source_schemes=parse_source_schemes(
                allowed_source_schemes, "--allowed-source-schemes"
            ),
        )
    scheme = settings.tracking_uri.partition(":")[0].partition("+")[0].lower()
    if artifacts_destination is None and scheme in _SHARED_DATABASES:
        raise InvalidArgument(
            f"A {scheme} backend store needs "
            "--artifacts-destination (or MODELREG_ARTIFACT_ROOT): a folder or "
            "s3://bucket/prefix every server replica shares. Without it the files would "
            "land in ./.modelreg/artifacts of whichever folder this server started in."
        )
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
            webhook_worker=webhook_worker,
            auth=auth,
            default_permission=default_permission,
            allowed_hosts=hosts,
            log_format=cast("LogFormat", log_format),
            graceful_shutdown_seconds=graceful_timeout,
            metrics=metrics,
        ),
    )
