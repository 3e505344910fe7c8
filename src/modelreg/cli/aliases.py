"""``modelreg aliases``: a model's aliases (list, set, delete, rollback)."""

from __future__ import annotations

from typing import Any

import click

from modelreg.cli._output import Output, client_command
from modelreg.codec.registry import model_version_json, registered_model_json


@click.group()
def aliases() -> None:
    """Model aliases: list, point at a version, delete, roll back to the previous version."""


@aliases.command("list")
@click.argument("name")
@client_command
def aliases_list(client: Any, out: Output, name: str) -> None:
    """List the aliases of model NAME and the version each points to."""
    found = registered_model_json(client.get_registered_model(name)).get("aliases", [])
    out.rows({"aliases": found}, found, [("ALIAS", "alias"), ("VERSION", "version")])


@aliases.command("set")
@click.argument("name")
@click.argument("alias")
@click.argument("version")
@client_command
def aliases_set(client: Any, out: Output, name: str, alias: str, version: str) -> None:
    """Point ALIAS of model NAME at VERSION (subject to the model's promotion policy)."""
    client.set_registered_model_alias(name, alias, version)
    mv = model_version_json(client.get_model_version_by_alias(name, alias))
    out.done({"model_version": mv}, f"{name}@{alias} -> version {mv['version']}")


@aliases.command("delete")
@click.argument("name")
@click.argument("alias")
@client_command
def aliases_delete(client: Any, out: Output, name: str, alias: str) -> None:
    """Delete ALIAS of model NAME."""
    client.delete_registered_model_alias(name, alias)
    out.done({}, f"Deleted alias {alias!r} of model {name!r}.")


@aliases.command("rollback")
@click.argument("name")
@click.argument("alias")
@click.option(
    "--at",
    "timestamp",
    type=int,
    default=None,
    help="Point back where the alias was at this time (ms since the epoch); "
    "default: before its last move.",
)
@client_command
def aliases_rollback(
    client: Any, out: Output, name: str, alias: str, timestamp: int | None
) -> None:
    """Point ALIAS back where it was before its last move (docs/history.md)."""
    version = client.rollback_alias(name, alias, timestamp)
    out.done({"version": version}, f"{name}@{alias} -> version {version}")
