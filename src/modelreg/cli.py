"""The ``modelreg`` command: database management (and, with the server extra, ``server``).

Errors print one line and exit 1; ``--traceback`` shows the Python stack instead.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from modelreg._version import __version__
from modelreg.config import Settings
from modelreg.errors import RegistryError

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


if __name__ == "__main__":  # pragma: no cover
    main()
