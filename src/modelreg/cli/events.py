"""``modelreg events``: the event log's hash chains, checked from the command line."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click

from modelreg.cli._common import BACKEND_OPTION, friendly_errors
from modelreg.cli._output import Output, client_command
from modelreg.codec.history import event_json
from modelreg.config import Settings
from modelreg.limits import SEARCH_EVENTS_DEFAULT, SEARCH_EVENTS_MAX


@click.group()
def events() -> None:
    """The event log: list it, follow it, verify its tamper-evident hash chains."""


@events.command("verify", short_help="Check every model's event hash chain; name broken links.")
@click.option("--name", default=None, help="Check this registered model's chain only.")
@BACKEND_OPTION
@friendly_errors
def events_verify(name: str | None, backend_store_uri: str | None) -> None:
    """Recompute every model's event hash chain and name each first broken link.

    Exits 0 when every chain verifies, 2 when a link is broken (docs/history.md).
    """
    from modelreg.service import RegistryService
    from modelreg.store.database import Database

    database = Database(Settings.from_env(backend_store_uri).tracking_uri)
    try:
        database.ensure_schema()
        report = RegistryService(database).verify_events(name)
    finally:
        database.dispose()
    click.echo(f"Checked {report.events} events in {report.chains} chains.")
    for broken in report.breaks:
        where = f"event {broken.event_id}" if broken.event_id is not None else "the chain's end"
        click.echo(
            f"BROKEN: model {broken.model_name!r} (id {broken.model_id}) at {where}: "
            f"{broken.problem}"
        )
    if not report.ok:
        sys.exit(2)
    click.echo("All chains verify.")


EVENT_COLUMNS = [
    ("ID", "id"),
    ("TIMESTAMP", "timestamp"),
    ("ACTOR", "actor"),
    ("TYPE", "type"),
    ("MODEL", "model_name"),
    ("VERSION", "version"),
    ("PAYLOAD", "payload"),
]
# Polling bounds: a tight loop would hammer a shared server, a long one looks stuck.
MIN_INTERVAL = 0.1
MAX_INTERVAL = 60.0


def _filters(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option("--name", default=None, help="Only this registered model's events."),
            click.option("--version", default=None, help="Only this version (needs --name)."),
            click.option("--type", "type_", default=None, help="e.g. model_version.created."),
            click.option("--actor", default=None, help="Only events caused by this user."),
            click.option("--since", type=int, default=None, help="From this time (ms)."),
            click.option("--until", type=int, default=None, help="Up to this time (ms)."),
        ]
    ):
        func = option(func)
    return func


@events.command("list")
@_filters
@click.option(
    "--max-results", type=click.IntRange(1, SEARCH_EVENTS_MAX), default=SEARCH_EVENTS_DEFAULT
)
@click.option("--page-token", default=None, help="Continue after this event id.")
@client_command
def events_list(
    client: Any,
    out: Output,
    name: str | None,
    version: str | None,
    type_: str | None,
    actor: str | None,
    since: int | None,
    until: int | None,
    max_results: int,
    page_token: str | None,
) -> None:
    """List events in id order, filtered (the pull feed of docs/history.md)."""
    page = client.search_events(name, version, type_, actor, since, until, max_results, page_token)
    found = [event_json(e) for e in page]
    data: dict[str, Any] = {"events": found}
    if page.token:
        data["next_page_token"] = page.token
    out.rows(data, found, EVENT_COLUMNS)
    if page.token and not out.as_json:
        click.echo(f"(more: --page-token {page.token})", err=True)


@events.command("tail")
@_filters
@click.option(
    "-n",
    "--lines",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="How many past events to show first.",
)
@click.option("-f", "--follow", is_flag=True, help="Keep printing new events as they happen.")
@click.option(
    "--interval",
    type=click.FloatRange(MIN_INTERVAL, MAX_INTERVAL),
    default=2.0,
    show_default=True,
    help="Seconds between polls when following.",
)
@click.option(
    "--max-events",
    type=click.IntRange(min=1),
    default=None,
    help="Stop after printing this many events.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=None,
    help="Stop following after this many seconds.",
)
@client_command
def events_tail(
    client: Any,
    out: Output,
    name: str | None,
    version: str | None,
    type_: str | None,
    actor: str | None,
    since: int | None,
    until: int | None,
    lines: int,
    follow: bool,
    interval: float,
    max_events: int | None,
    timeout: float | None,
) -> None:
    """Print the last events, then with --follow every new one (Ctrl-C stops).

    With --json each event is one JSON line, in the REST shape.
    """

    def fetch(after: str | None) -> list[Any]:
        found: list[Any] = []
        while True:
            page = client.search_events(
                name, version, type_, actor, since, until, SEARCH_EVENTS_MAX, after
            )
            found += page
            if not page.token:
                return found
            after = page.token

    tail = _Tail(out, max_events)
    try:
        backlog = fetch(None)
        last = str(backlog[-1].id) if backlog else "0"
        tail.print(backlog[len(backlog) - lines :] if lines else [])
        deadline = None if timeout is None else time.monotonic() + timeout
        while follow and not tail.full:
            if deadline is not None and time.monotonic() >= deadline:
                break
            time.sleep(interval)
            new = fetch(last)
            if new:
                last = str(new[-1].id)
                tail.print(new)
    except KeyboardInterrupt:
        # Ctrl-C is how a follower is meant to stop: no traceback, a clean exit.
        return


class _Tail:
    """Prints events as log lines or JSON lines, up to ``max_events``."""

    def __init__(self, out: Output, max_events: int | None) -> None:
        self.out = out
        self.left = max_events

    @property
    def full(self) -> bool:
        return self.left is not None and self.left <= 0

    def print(self, found: list[Any]) -> None:
        if self.left is not None:
            found = found[: self.left]
            self.left -= len(found)
        for event in found:
            body = event_json(event)
            if self.out.as_json:
                self.out.json_line(body)
            else:
                click.echo(log_line(body))
        sys.stdout.flush()


def log_line(body: dict[str, Any]) -> str:
    """One event as a fixed-width line, so a followed stream stays aligned."""
    when = datetime.fromtimestamp(body["timestamp"] / 1000, tz=UTC).isoformat(
        timespec="milliseconds"
    )
    subject = body["model_name"] or ""
    if body["version"] is not None:
        subject += f"/{body['version']}"
    payload = json.dumps(body["payload"], sort_keys=True, separators=(",", ":"))
    return (
        f"{body['id']:>8}  {when}  {body['actor']:<16}  {body['type']:<32}  "
        f"{subject:<24}  {payload}"
    ).rstrip()
