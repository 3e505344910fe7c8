"""``modelreg users``: manage the users of a server with ``--auth``, on its database.

Works directly on the database (as ``modelreg db`` does), so the first admin can be
created before the server ever starts. Passwords are read from a prompt (hidden) or
from standard input with ``--password-stdin``, never from the command line.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from modelreg.cli._common import BACKEND_OPTION, friendly_errors
from modelreg.cli._output import JSON_OPTION, Output, exit_codes
from modelreg.config import Settings

if TYPE_CHECKING:
    from modelreg.service.auth.service import AuthService

PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input."
)


@contextmanager
def auth_service(backend_store_uri: str | None) -> Iterator[AuthService]:
    """The auth service over the configured database (schema checked), disposed after."""
    from modelreg.service.auth.service import AuthService
    from modelreg.store.database import Database

    database = Database(Settings.from_env(backend_store_uri).tracking_uri)
    try:
        database.ensure_schema()
        yield AuthService(database)
    finally:
        database.dispose()


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@click.group()
def users() -> None:
    """Users of a server with --auth (on its database)."""


@users.command("create")
@click.argument("username")
@click.option("--admin", is_flag=True, help="Make the user an admin.")
@PASSWORD_STDIN
@BACKEND_OPTION
@friendly_errors
@exit_codes
def create(username: str, admin: bool, password_stdin: bool, backend_store_uri: str | None) -> None:
    """Create a user."""
    password = read_password(password_stdin)
    with auth_service(backend_store_uri) as auth:
        user = auth.create_user(username, password, is_admin=admin)
    click.echo(f"Created user {user.username}{' (admin)' if user.is_admin else ''}.")


@users.command("list")
@BACKEND_OPTION
@friendly_errors
@exit_codes
def list_(backend_store_uri: str | None) -> None:
    """List users."""
    with auth_service(backend_store_uri) as auth:
        for user in auth.list_users():
            click.echo(f"{user.username}{'  admin' if user.is_admin else ''}")


@users.command("get")
@click.argument("username")
@JSON_OPTION
@BACKEND_OPTION
@friendly_errors
@exit_codes
def get(username: str, as_json: bool, backend_store_uri: str | None) -> None:
    """Show a user: admin or not, and their grants on models and experiments."""
    with auth_service(backend_store_uri) as auth:
        user = auth.get_user(username)
        grants = auth.grants_of(user.username)
    # MLflow's users/get shape, with the grants its permission lists name.
    data = {
        "user": {
            "id": user.id,
            "username": user.username,
            "is_admin": user.is_admin,
            "permissions": [
                {"resource_type": kind, "resource_id": resource, "permission": level.name}
                for kind, resource, level in grants
            ],
        }
    }
    out = Output(as_json)
    if as_json:
        out.json(data)
        return
    out.record(data, {"username": user.username, "admin": "yes" if user.is_admin else "no"})
    if grants:
        out.rows(
            data,
            [{"type": k, "id": r, "level": lvl.name} for k, r, lvl in grants],
            [("RESOURCE TYPE", "type"), ("RESOURCE", "id"), ("PERMISSION", "level")],
        )


@users.command("set-password")
@click.argument("username")
@PASSWORD_STDIN
@BACKEND_OPTION
@friendly_errors
@exit_codes
def set_password(username: str, password_stdin: bool, backend_store_uri: str | None) -> None:
    """Set a user's password."""
    password = read_password(password_stdin)
    with auth_service(backend_store_uri) as auth:
        auth.update_password(username, password)
    click.echo(f"Password of {username} changed.")


@users.command("set-admin")
@click.argument("username")
@click.option("--admin/--no-admin", required=True, help="Admin or not.")
@BACKEND_OPTION
@friendly_errors
@exit_codes
def set_admin(username: str, admin: bool, backend_store_uri: str | None) -> None:
    """Make a user an admin, or not."""
    with auth_service(backend_store_uri) as auth:
        auth.set_admin(username, admin)
    click.echo(f"{username} is {'now' if admin else 'no longer'} an admin.")


@users.command("delete")
@click.argument("username")
@BACKEND_OPTION
@friendly_errors
@exit_codes
def delete(username: str, backend_store_uri: str | None) -> None:
    """Delete a user with their tokens and grants."""
    with auth_service(backend_store_uri) as auth:
        auth.delete_user(username)
    click.echo(f"Deleted user {username}.")


_RESOURCE = click.option(
    "--resource-type",
    type=click.Choice(["registered_model", "experiment"]),
    required=True,
)


@users.command("grant", short_help="Set a user's or group's level on a model or experiment.")
@click.argument("subject")
@_RESOURCE
@click.option("--resource-id", required=True, help="Model name or experiment id.")
@click.option(
    "--permission",
    type=click.Choice(["NO_PERMISSIONS", "READ", "USE", "EDIT", "MANAGE", "DENY"]),
    required=True,
)
@BACKEND_OPTION
@friendly_errors
@exit_codes
def grant(
    subject: str,
    resource_type: str,
    resource_id: str,
    permission: str,
    backend_store_uri: str | None,
) -> None:
    """Set SUBJECT's level (a user name, or group:<name>) on a model or experiment."""
    from modelreg.service.auth.levels import parse_level

    with auth_service(backend_store_uri) as auth:
        auth.grant(subject, resource_type, resource_id, parse_level(permission))
    click.echo(f"{subject}: {permission} on {resource_type} {resource_id}.")


@users.command("revoke")
@click.argument("subject")
@_RESOURCE
@click.option("--resource-id", required=True, help="Model name or experiment id.")
@BACKEND_OPTION
@friendly_errors
@exit_codes
def revoke(
    subject: str, resource_type: str, resource_id: str, backend_store_uri: str | None
) -> None:
    """Remove SUBJECT's grant on a model or experiment."""
    with auth_service(backend_store_uri) as auth:
        auth.revoke(subject, resource_type, resource_id)
    click.echo(f"{subject}: grant on {resource_type} {resource_id} removed.")
