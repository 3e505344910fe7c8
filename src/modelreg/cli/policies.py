"""``modelreg policies``: promotion policies per stage or alias (docs/approvals.md)."""

from __future__ import annotations

from typing import Any

import click

from modelreg.cli._output import Output, client_command, parse_tags
from modelreg.codec.approvals import policy_json

POLICY_COLUMNS = [
    ("TARGET", "target"),
    ("APPROVALS", "required_approvals"),
    ("APPROVERS", "approvers"),
    ("FOUR_EYES", "four_eyes"),
    ("TAGS", "required_tags"),
    ("CHECKS", "required_checks"),
    ("INTEGRITY", "require_integrity"),
    ("UPDATED_BY", "updated_by"),
]


@click.group()
def policies() -> None:
    """Promotion policies: what a stage or alias requires before a version gets there."""


@policies.command("set")
@click.argument("name")
@click.argument("target")
@click.option("--required-approvals", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--approver", "approvers", multiple=True, help="User or group:NAME; repeatable.")
@click.option("--four-eyes", is_flag=True, help="The requester may not approve.")
@click.option(
    "--required-tag", "required_tags", multiple=True, metavar="KEY=VALUE", help="Repeatable."
)
@click.option("--required-check", "required_checks", multiple=True, help="Repeatable.")
@click.option("--require-integrity", is_flag=True, help="The version's files must verify.")
@client_command
def policies_set(
    client: Any,
    out: Output,
    name: str,
    target: str,
    required_approvals: int,
    approvers: tuple[str, ...],
    four_eyes: bool,
    required_tags: tuple[str, ...],
    required_checks: tuple[str, ...],
    require_integrity: bool,
) -> None:
    """Set (replace) the policy of TARGET (a stage, or an alias) on model NAME."""
    policy = client.set_promotion_policy(
        name,
        target,
        required_approvals,
        list(approvers),
        four_eyes,
        parse_tags(required_tags),
        list(required_checks),
        require_integrity,
    )
    body = policy_json(policy)
    out.record({"policy": body}, body)


@policies.command("get")
@click.argument("name")
@click.argument("target")
@client_command
def policies_get(client: Any, out: Output, name: str, target: str) -> None:
    """Show the policy of TARGET on model NAME (exit 3 when there is none)."""
    body = policy_json(client.get_promotion_policy(name, target))
    out.record({"policy": body}, body)


@policies.command("list")
@click.argument("name")
@client_command
def policies_list(client: Any, out: Output, name: str) -> None:
    """List the policies of model NAME."""
    found = [policy_json(p) for p in client.list_promotion_policies(name)]
    out.rows({"policies": found}, found, POLICY_COLUMNS)


@policies.command("delete")
@click.argument("name")
@click.argument("target")
@client_command
def policies_delete(client: Any, out: Output, name: str, target: str) -> None:
    """Delete the policy of TARGET on model NAME."""
    client.delete_promotion_policy(name, target)
    out.done({}, f"Deleted the policy of {target!r} on model {name!r}.")
