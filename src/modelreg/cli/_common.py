"""What every ``modelreg`` command shares: one-line errors and the backend option."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from modelreg.errors import RegistryError

F = TypeVar("F", bound=Callable[..., Any])

BACKEND_OPTION = click.option(
    "--backend-store-uri",
    envvar="MODELREG_TRACKING_URI",
    default=None,
    help="Database URI (sqlite:///…, postgresql://…, mysql://…) or folder. "
    "Default: the embedded ./.modelreg/modelreg.db.",
)


def friendly_errors(func: F) -> F:
    """A RegistryError as one ``Error: …`` line and exit status 1 (``--traceback``: the stack)."""

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


def spell_out_short_help(group: click.Group) -> None:
    """Give every command of ``group`` (recursively) its whole first sentence as the
    line ``--help`` lists it with: click would cut a long one with "...", and a
    listing of cut sentences tells a newcomer little."""
    for command in group.commands.values():
        if command.short_help is None and command.help:
            first = command.help.strip().split("\n\n", 1)[0]
            sentence = first.split(". ", 1)[0].rstrip(".")
            command.short_help = " ".join(sentence.split()).replace("``", "") + "."
        if isinstance(command, click.Group):
            spell_out_short_help(command)
