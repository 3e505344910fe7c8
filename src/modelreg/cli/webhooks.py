"""``modelreg webhooks``: list, get, create, update, delete, test, deliveries, redeliver.

Works on the embedded registry (a database URI or folder) and against a server
(``--tracking-uri http://…``), through :mod:`modelreg.client.webhooks`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from modelreg.cli._common import friendly_errors
from modelreg.cli._output import exit_codes
from modelreg.client.webhooks import EmbeddedWebhooks, HttpWebhooks, WebhooksApi
from modelreg.config import Settings, get_tracking_uri, is_http_uri, normalize_tracking_uri
from modelreg.errors import InvalidArgument
from modelreg.webhooks.model import STATUSES

TRACKING_OPTION = click.option(
    "--tracking-uri",
    envvar="MODELREG_TRACKING_URI",
    default=None,
    help="A modelreg server (http://…) or a database URI/folder. Default: the environment's, "
    "else the embedded ./.modelreg.",
)


def _api(tracking_uri: str | None) -> WebhooksApi:
    uri = normalize_tracking_uri(tracking_uri) if tracking_uri else get_tracking_uri()
    if is_http_uri(uri):
        return HttpWebhooks(uri)
    from modelreg.service.assembly import build_services

    return EmbeddedWebhooks(build_services(Settings.from_env(uri)).webhooks)


def _echo(body: Any) -> None:
    click.echo(json.dumps(body, indent=2, sort_keys=True))


@click.group("webhooks")
def webhooks() -> None:
    """Manage webhook subscriptions and their deliveries."""


@webhooks.command("list")
@TRACKING_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the JSON the API returns.")
@friendly_errors
@exit_codes
def list_webhooks(tracking_uri: str | None, as_json: bool) -> None:
    """List webhooks: id, status, kind, events, url."""
    api = _api(tracking_uri)
    token: str | None = None
    found: list[dict[str, Any]] = []
    while True:
        page = api.list(page_token=token)
        found += page.get("webhooks", [])
        token = page.get("next_page_token")
        if not token:
            break
    if as_json:
        _echo({"webhooks": found})
        return
    for hook in found:
        click.echo(
            f"{hook['webhook_id']}  {hook['status']:<9} {hook['kind']:<10} "
            f"{hook['name']}  {','.join(hook['events'])}  {hook['url']}"
        )


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    found = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise InvalidArgument(f"{what} must look like KEY=VALUE, got {value!r}.")
        found[key] = rest
    return found


@webhooks.command("create", short_help="Create a webhook delivering events to a URL.")
@click.argument("name")
@click.argument("url")
@click.option(
    "--event",
    "events",
    multiple=True,
    required=True,
    help="An event type to deliver (repeat; docs/events.md).",
)
@click.option(
    "--kind",
    type=click.Choice(["http", "mlflow", "slack", "email"]),
    default="http",
    show_default=True,
    help="The shape of what is sent (docs/webhooks.md).",
)
@click.option("--description", default=None)
@click.option("--secret", default=None, help="Signing secret (stored encrypted).")
@click.option(
    "--authorization",
    default=None,
    help="Authorization header to send (an SMTP password for email); encrypted.",
)
@click.option("--model-name", default=None, help="Only this model's events.")
@click.option("--name-pattern", default=None, help="Only models matching this glob.")
@click.option("--stage", "stages", multiple=True, help="Only transitions to this stage.")
@click.option("--alias", "aliases", multiple=True, help="Only events about this alias.")
@click.option("--template", default=None, help="JSON payload template (http kind), or @file.json.")
@click.option("--header", "headers", multiple=True, help="Extra header KEY=VALUE (http kind).")
@click.option("--to", "recipients", multiple=True, help="Email recipient (repeat).")
@click.option("--from", "sender", default=None, help="Email sender.")
@click.option("--username", default=None, help="SMTP login.")
@click.option("--subject", default=None, help="Email subject template.")
@click.option("--body", default=None, help="Email body template.")
@TRACKING_OPTION
@friendly_errors
@exit_codes
def create(
    name: str,
    url: str,
    events: tuple[str, ...],
    kind: str,
    description: str | None,
    secret: str | None,
    authorization: str | None,
    model_name: str | None,
    name_pattern: str | None,
    stages: tuple[str, ...],
    aliases: tuple[str, ...],
    template: str | None,
    headers: tuple[str, ...],
    recipients: tuple[str, ...],
    sender: str | None,
    username: str | None,
    subject: str | None,
    body: str | None,
    tracking_uri: str | None,
) -> None:
    """Create a webhook NAME delivering to URL (https://…, or smtp+starttls://… for email)."""
    filters = {"name_pattern": name_pattern, "stages": list(stages), "aliases": list(aliases)}
    target: dict[str, Any] = {}
    if template is not None:
        text = Path(template[1:]).read_text() if template.startswith("@") else template
        try:
            target["template"] = json.loads(text)
        except ValueError as error:
            raise InvalidArgument(f"--template is not JSON: {error}") from None
    if headers:
        target["headers"] = _pairs(headers, "--header")
    email = {
        "to": list(recipients),
        "from": sender,
        "username": username,
        "subject": subject,
        "body": body,
    }
    if kind == "email":
        target.update({k: v for k, v in email.items() if v})
    fields = {
        "name": name,
        "url": url,
        "events": list(events),
        "kind": kind,
        "description": description,
        "secret": secret,
        "authorization": authorization,
        "model_name": model_name,
        "filters": {k: v for k, v in filters.items() if v},
        "target": target,
    }
    _echo(_api(tracking_uri).create({k: v for k, v in fields.items() if v is not None}))


@webhooks.command("get")
@click.argument("webhook_id")
@TRACKING_OPTION
@friendly_errors
@exit_codes
def get(webhook_id: str, tracking_uri: str | None) -> None:
    """Show one webhook (its secrets never)."""
    _echo(_api(tracking_uri).get(webhook_id))


@webhooks.command("update", short_help="Change a webhook's name, URL, events, secret or status.")
@click.argument("webhook_id")
@click.option("--name", default=None)
@click.option("--url", default=None)
@click.option("--event", "events", multiple=True, help="Replace the event types (repeat).")
@click.option("--description", default=None)
@click.option("--secret", default=None, help="A new signing secret (stored encrypted).")
@click.option("--authorization", default=None, help="A new Authorization header; encrypted.")
@click.option(
    "--status",
    type=click.Choice(STATUSES),
    default=None,
    help="DISABLED stops deliveries; ACTIVE resumes them (and clears the failure count).",
)
@TRACKING_OPTION
@friendly_errors
@exit_codes
def update(
    webhook_id: str,
    name: str | None,
    url: str | None,
    events: tuple[str, ...],
    description: str | None,
    secret: str | None,
    authorization: str | None,
    status: str | None,
    tracking_uri: str | None,
) -> None:
    """Update WEBHOOK_ID: only the options given change."""
    fields = {
        "name": name,
        "url": url,
        "events": list(events) or None,
        "description": description,
        "secret": secret,
        "authorization": authorization,
        "status": status,
    }
    changed = {k: v for k, v in fields.items() if v is not None}
    if not changed:
        raise click.UsageError("Nothing to change: give at least one option.")
    _echo(_api(tracking_uri).update(webhook_id, changed))


@webhooks.command("delete")
@click.argument("webhook_id")
@TRACKING_OPTION
@friendly_errors
@exit_codes
def delete(webhook_id: str, tracking_uri: str | None) -> None:
    """Delete a webhook and its deliveries."""
    _api(tracking_uri).delete(webhook_id)
    click.echo(f"Deleted webhook {webhook_id}.")


@webhooks.command("test", short_help="Send an example event to a webhook now.")
@click.argument("webhook_id")
@click.option("--event", default=None, help="Event type of the example (default: its first).")
@TRACKING_OPTION
@friendly_errors
@exit_codes
def test(webhook_id: str, event: str | None, tracking_uri: str | None) -> None:
    """Send an example event to a webhook now and show what came back."""
    _echo(_api(tracking_uri).test(webhook_id, event))


@webhooks.command("deliveries")
@click.argument("webhook_id")
@click.option("--status", type=click.Choice(["PENDING", "SUCCEEDED", "DEAD"]), default=None)
@click.option("--max-results", type=click.IntRange(1, 1000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON the API returns.")
@TRACKING_OPTION
@friendly_errors
@exit_codes
def deliveries(
    webhook_id: str,
    status: str | None,
    max_results: int,
    as_json: bool,
    tracking_uri: str | None,
) -> None:
    """A webhook's deliveries, newest first."""
    found = _api(tracking_uri).deliveries(webhook_id, status, max_results)
    if as_json:
        _echo(found)
        return
    for d in found.get("deliveries", []):
        click.echo(
            f"{d['delivery_id']}  {d['status']:<9} attempts={d['attempts']} "
            f"event={d['event_id']} {d['event_type']}  {d['last_error'] or ''}".rstrip()
        )


@webhooks.command("redeliver", short_help="Send a delivery again, or all dead ones of a webhook.")
@click.argument("delivery_id", required=False)
@click.option(
    "--dead",
    "dead_of",
    default=None,
    metavar="WEBHOOK_ID",
    help="Redeliver every dead-lettered delivery of this webhook.",
)
@TRACKING_OPTION
@friendly_errors
@exit_codes
def redeliver(delivery_id: str | None, dead_of: str | None, tracking_uri: str | None) -> None:
    """Send DELIVERY_ID again (same delivery id), or all dead ones of a webhook (--dead)."""
    if (delivery_id is None) == (dead_of is None):
        raise InvalidArgument("Give a DELIVERY_ID or --dead WEBHOOK_ID (one of them).")
    api = _api(tracking_uri)
    _echo(api.redeliver(delivery_id) if delivery_id else api.redeliver_dead(dead_of or ""))
