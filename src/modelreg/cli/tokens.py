"""``modelreg tokens``: API tokens of a server's users, on its database.

A token is printed once, when it is created; only its SHA-256 is stored.
"""

from __future__ import annotations

import datetime

import click

from modelreg.cli._common import BACKEND_OPTION, friendly_errors
from modelreg.cli._output import exit_codes
from modelreg.cli.users import auth_service

USER = click.option("--user", "username", required=True, help="Whose tokens.")


def _when(ms: int | None) -> str:
    if ms is None:
        return "never"
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).strftime("%Y-%m-%d %H:%M")


@click.group()
def tokens() -> None:
    """API tokens (Bearer) of a server with --auth."""


@tokens.command("create")
@USER
@click.option("--name", required=True, help="What the token is for.")
@click.option(
    "--expires-in-days", type=click.IntRange(1, 3650), default=None, help="Default: never."
)
@BACKEND_OPTION
@friendly_errors
@exit_codes
def create(
    username: str, name: str, expires_in_days: int | None, backend_store_uri: str | None
) -> None:
    """Create a token and print it (the only time it is shown)."""
    with auth_service(backend_store_uri) as auth:
        token, info = auth.create_token(username, name, expires_in_days)
    click.echo(token)
    click.echo(f"token {info.id} ({info.name}) expires: {_when(info.expiry_timestamp)}", err=True)


@tokens.command("list")
@USER
@BACKEND_OPTION
@friendly_errors
@exit_codes
def list_(username: str, backend_store_uri: str | None) -> None:
    """List a user's tokens (never their secrets)."""
    with auth_service(backend_store_uri) as auth:
        for info in auth.list_tokens(username):
            state = "revoked" if info.revoked else f"expires {_when(info.expiry_timestamp)}"
            click.echo(f"{info.id}\t{info.name}\t{state}")


@tokens.command("revoke")
@USER
@click.argument("token_id", type=int)
@BACKEND_OPTION
@friendly_errors
@exit_codes
def revoke(username: str, token_id: int, backend_store_uri: str | None) -> None:
    """Revoke a token by its id."""
    with auth_service(backend_store_uri) as auth:
        auth.revoke_token(username, token_id)
    click.echo(f"Token {token_id} revoked.")
