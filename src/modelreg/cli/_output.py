"""What the client-side groups (models, versions, aliases, …) share.

Every such command talks to the registry through modelreg's own ``MlflowClient``, so
the embedded store and a server behave the same. It builds the REST JSON shape of its
answer once; ``--json`` prints that, otherwise a plain aligned table is drawn from it.

Exit codes scripts can rely on (docs/cli.md): 0 ok, 1 error, 2 usage error (click's
own, and arguments the registry rejects as invalid), 3 not found.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from modelreg.cli._common import friendly_errors
from modelreg.errors import InvalidArgument, NotFound

if TYPE_CHECKING:
    from modelreg.client.registry_client import MlflowClient

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3

TRACKING_URI_OPTION = click.option(
    "--tracking-uri",
    envvar="MODELREG_TRACKING_URI",
    default=None,
    help="http(s):// server, database URI or folder. "
    "Default: MODELREG_TRACKING_URI, else the embedded ./.modelreg store.",
)
JSON_OPTION = click.option(
    "--json", "as_json", is_flag=True, help="Print the REST JSON shape instead of a table."
)


class Output:
    """Prints one answer: its JSON shape with ``--json``, else a table or key/value lines."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def json(self, data: Any) -> None:
        click.echo(json.dumps(data, indent=2, sort_keys=True))

    def json_line(self, data: Any) -> None:
        click.echo(json.dumps(data, sort_keys=True))

    def rows(
        self,
        data: Mapping[str, Any],
        items: Sequence[Mapping[str, Any]],
        columns: Sequence[tuple[str, str]],
    ) -> None:
        """``data`` with ``--json``; otherwise ``items`` as a table of ``columns``."""
        if self.as_json:
            self.json(data)
        else:
            click.echo(table(items, columns))

    def record(self, data: Mapping[str, Any], item: Mapping[str, Any]) -> None:
        """``data`` with ``--json``; otherwise ``item`` as aligned ``key: value`` lines."""
        if self.as_json:
            self.json(data)
        else:
            click.echo(key_values(item))

    def done(self, data: Mapping[str, Any], message: str) -> None:
        """``data`` with ``--json``; otherwise one line saying what happened."""
        if self.as_json:
            self.json(data)
        else:
            click.echo(message)


def cell(value: Any) -> str:
    """A value as one table cell: lists joined, mappings as k=v, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return ",".join(f"{k}={cell(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ",".join(cell(v) for v in value)
    # One line per row, whatever the description holds.
    return str(value).replace("\n", " ")


def shown(key: str, value: Any) -> str:
    """A cell for people: millisecond timestamps as UTC times (``--json`` keeps the ms)."""
    if key.endswith("timestamp") and isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    return cell(value)


def table(items: Iterable[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
    """Rows under upper-case headers, each column as wide as its widest cell."""
    headers = [header for header, _ in columns]
    body = [[shown(key, item.get(key)) for _, key in columns] for item in items]
    widths = [max([len(h), *(len(row[i]) for row in body)]) for i, h in enumerate(headers)]
    lines = [headers, *body]
    return "\n".join(
        "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def key_values(item: Mapping[str, Any]) -> str:
    width = max((len(key) for key in item), default=0)
    return "\n".join(f"{key.ljust(width)}  {shown(key, value)}" for key, value in item.items())


def parse_tags(pairs: Sequence[str]) -> dict[str, str]:
    """``--tag k=v`` options as a dict; a pair without ``=`` is a usage error."""
    tags: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE.", param_hint="'--tag'")
        tags[key] = value
    return tags


def exit_codes(func: F) -> F:
    """NotFound exits 3 and a rejected argument 2, each as one ``Error: …`` line."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (NotFound, InvalidArgument) as error:
            if click.get_current_context().find_root().params.get("traceback"):
                raise
            click.echo(f"Error: {error}", err=True)
            sys.exit(EXIT_NOT_FOUND if isinstance(error, NotFound) else EXIT_USAGE)

    return wrapper  # type: ignore[return-value]


def client_command(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command ``--tracking-uri`` and ``--json``; call it with ``client`` and ``out``.

    Other registry errors (an unreachable server, permission denied) go through
    :func:`friendly_errors`: one line, exit 1.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, tracking_uri: str | None, as_json: bool, **kwargs: Any) -> Any:
        return func(*args, client=make_client(tracking_uri), out=Output(as_json), **kwargs)

    return TRACKING_URI_OPTION(JSON_OPTION(friendly_errors(exit_codes(wrapper))))


def make_client(tracking_uri: str | None) -> MlflowClient:
    # Loaded per call so ``modelreg --help`` stays fast and server-only installs work.
    from modelreg.client.registry_client import MlflowClient

    return MlflowClient(tracking_uri)
