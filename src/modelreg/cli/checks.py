"""``modelreg checks``: a version's status checks, as CI reports them (docs/approvals.md)."""

from __future__ import annotations

from typing import Any

import click

from modelreg.approval_entities import CHECK_STATES
from modelreg.cli._output import Output, client_command
from modelreg.codec.approvals import check_json

CHECK_COLUMNS = [
    ("CHECK", "check_name"),
    ("STATE", "state"),
    ("ACTOR", "actor"),
    ("TIMESTAMP", "timestamp"),
    ("DETAILS_URL", "details_url"),
    ("DESCRIPTION", "description"),
]


@click.group()
def checks() -> None:
    """Status checks on a model version: set one, list them."""


@checks.command("set")
@click.argument("name")
@click.argument("version")
@click.argument("check_name")
@click.argument("state", type=click.Choice(CHECK_STATES, case_sensitive=False))
@click.option("--details-url", default=None, help="Where the check's run can be seen.")
@click.option("--description", default=None)
@client_command
def checks_set(
    client: Any,
    out: Output,
    name: str,
    version: str,
    check_name: str,
    state: str,
    details_url: str | None,
    description: str | None,
) -> None:
    """Report CHECK_NAME as STATE on a version (a new report replaces the latest)."""
    check = check_json(
        client.set_status_check(name, version, check_name, state, details_url, description)
    )
    out.done({"check": check}, f"{check_name}: {check['state']} on {name} version {version}.")


@checks.command("list")
@click.argument("name")
@click.argument("version")
@click.option("--history", is_flag=True, help="Every report, not only each check's latest.")
@client_command
def checks_list(client: Any, out: Output, name: str, version: str, history: bool) -> None:
    """List the status checks of VERSION of model NAME."""
    found = [check_json(c) for c in client.list_status_checks(name, version, history)]
    out.rows({"checks": found}, found, CHECK_COLUMNS)
