"""``modelreg events``: the event log's hash chains, checked from the command line."""

from __future__ import annotations

import sys

import click

from modelreg.cli._common import BACKEND_OPTION, friendly_errors
from modelreg.config import Settings


@click.group()
def events() -> None:
    """The event log: verify its tamper-evident hash chains."""


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
