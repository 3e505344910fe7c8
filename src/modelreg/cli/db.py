"""``modelreg db``: create and upgrade the schema of the registry database."""

from __future__ import annotations

import click

from modelreg.cli._common import BACKEND_OPTION, friendly_errors
from modelreg.config import Settings


@click.group()
def db() -> None:
    """Create and upgrade the registry database schema."""


@db.command("upgrade", short_help="Create or upgrade the schema.")
@BACKEND_OPTION
@click.option("--revision", default="head", show_default=True, help="Target schema revision.")
@friendly_errors
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


@db.command("current", short_help="Show the schema revision and the one needed.")
@BACKEND_OPTION
@friendly_errors
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
