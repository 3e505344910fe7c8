"""``modelreg requests``: stage-transition and alias requests (docs/approvals.md)."""

from __future__ import annotations

from typing import Any

import click

from modelreg.cli._output import Output, client_command
from modelreg.codec.approvals import request_json
from modelreg.entities import STAGES

REQUEST_COLUMNS = [
    ("ID", "id"),
    ("VERSION", "version"),
    ("KIND", "kind"),
    ("TARGET", "target"),
    ("STATUS", "status"),
    ("CREATOR", "creator"),
    ("APPROVALS", "approvers"),
    ("COMMENT", "comment"),
]

STAGE_ARGUMENT = click.argument(
    "stage", required=False, type=click.Choice(STAGES, case_sensitive=False)
)
ALIAS_OPTION = click.option("--alias", default=None, help="An alias request instead of a stage.")
COMMENT_OPTION = click.option("--comment", default=None)


def _target(stage: str | None, alias: str | None) -> tuple[str | None, str | None]:
    """Exactly one of STAGE and --alias: a request is for one or the other."""
    if (stage is None) == (alias is None):
        raise click.UsageError("Give either STAGE or --alias ALIAS (exactly one).")
    return stage, alias


def _row(request: dict[str, Any]) -> dict[str, Any]:
    return {**request, "approvers": [a["approver"] for a in request.get("approvals", [])]}


def _show(out: Output, request: Any, message: str) -> None:
    body = request_json(request)
    out.done({"request": body}, f"{message}: request {body['id']} ({body['status']}).")


@click.group()
def requests() -> None:
    """Transition and alias requests: list, create, approve, reject, withdraw."""


@requests.command("list")
@click.argument("name")
@click.argument("version", required=False)
@client_command
def requests_list(client: Any, out: Output, name: str, version: str | None) -> None:
    """List requests of model NAME (every version, or only VERSION), oldest first."""
    if version is None:
        client.get_registered_model(name)  # NotFound (exit 3) when the model is missing
        filter_string = "name = '" + name.replace("'", "''") + "'"
        numbers = [mv.version for mv in client.search_model_versions(filter_string, 10000)]
    else:
        numbers = [version]
    found: list[Any] = []
    for number in sorted(numbers, key=int):
        found += client.list_transition_requests(name, number)
        found += client.list_alias_requests(name, number)
    bodies = [request_json(r) for r in found]
    out.rows({"requests": bodies}, [_row(b) for b in bodies], REQUEST_COLUMNS)


@requests.command("create")
@click.argument("name")
@click.argument("version")
@STAGE_ARGUMENT
@ALIAS_OPTION
@COMMENT_OPTION
@client_command
def requests_create(
    client: Any,
    out: Output,
    name: str,
    version: str,
    stage: str | None,
    alias: str | None,
    comment: str | None,
) -> None:
    """Ask for VERSION to move to STAGE, or for --alias ALIAS to point at it."""
    stage, alias = _target(stage, alias)
    if alias is not None:
        made = client.create_alias_request(name, version, alias, comment)
    else:
        made = client.create_transition_request(name, version, stage, comment)
    _show(out, made, "Created")


@requests.command("approve")
@click.argument("name")
@click.argument("version")
@STAGE_ARGUMENT
@ALIAS_OPTION
@click.option(
    "--archive-existing", is_flag=True, help="Archive the versions now in STAGE when it applies."
)
@COMMENT_OPTION
@client_command
def requests_approve(
    client: Any,
    out: Output,
    name: str,
    version: str,
    stage: str | None,
    alias: str | None,
    archive_existing: bool,
    comment: str | None,
) -> None:
    """Approve the open request; it applies once the policy's approvals are in."""
    stage, alias = _target(stage, alias)
    if alias is not None:
        done = client.approve_alias_request(name, version, alias, comment)
    else:
        done = client.approve_transition_request(name, version, stage, archive_existing, comment)
    _show(out, done, "Approved")


@requests.command("reject")
@click.argument("name")
@click.argument("version")
@STAGE_ARGUMENT
@ALIAS_OPTION
@COMMENT_OPTION
@client_command
def requests_reject(
    client: Any,
    out: Output,
    name: str,
    version: str,
    stage: str | None,
    alias: str | None,
    comment: str | None,
) -> None:
    """Reject the open request."""
    stage, alias = _target(stage, alias)
    if alias is not None:
        done = client.reject_alias_request(name, version, alias, comment)
    else:
        done = client.reject_transition_request(name, version, stage, comment)
    _show(out, done, "Rejected")


@requests.command("delete")
@click.argument("name")
@click.argument("version")
@STAGE_ARGUMENT
@ALIAS_OPTION
@click.option(
    "--creator",
    envvar="MLFLOW_TRACKING_USERNAME",
    required=True,
    help="Who opened the request (default: MLFLOW_TRACKING_USERNAME).",
)
@COMMENT_OPTION
@client_command
def requests_delete(
    client: Any,
    out: Output,
    name: str,
    version: str,
    stage: str | None,
    alias: str | None,
    creator: str,
    comment: str | None,
) -> None:
    """Withdraw an open request."""
    stage, alias = _target(stage, alias)
    if alias is not None:
        done = client.delete_alias_request(name, version, alias, creator, comment)
    else:
        done = client.delete_transition_request(name, version, stage, creator, comment)
    _show(out, done, "Withdrew")
