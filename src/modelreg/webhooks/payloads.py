"""The bodies deliveries carry, one renderer per kind of target.

* ``mlflow``: MLflow 3's ``{"entity", "action", "timestamp", "data"}`` with MLflow's
  data shapes for its events (versions as strings), and the event's own payload
  for the events MLflow does not have.
* ``databricks``: the Databricks registry-webhook payload (``event``, ``webhook_id``,
  ``event_timestamp``, ``model_name``, ``version``, ``from_stage``, ``to_stage``, ...).
* ``http``: modelreg's event as JSON, or a payload template (CI/CD triggers).
* ``slack``: an incoming-webhook message, readable per event type.
* ``email``: a subject and a plain-text body from templates.

Every renderer is a pure function of the stored event, so a retry sends the same
bytes (the body timestamp is the event's, not the attempt's).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from string import Template
from typing import Any
from urllib.parse import quote

from modelreg.entities import Event
from modelreg.errors import InvalidArgument
from modelreg.webhooks.matching import target_stage
from modelreg.webhooks.names import mlflow_entity_action

# A rendered body larger than this is refused rather than sent (templates can expand).
MAX_BODY_BYTES = 1024 * 1024


def iso_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def encode(body: Any) -> bytes:
    """The bytes sent and signed (``json.dumps`` as MLflow's server sends them)."""
    raw = json.dumps(body).encode()
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidArgument(
            f"The rendered webhook body is {len(raw)} bytes; at most {MAX_BODY_BYTES} are sent."
        )
    return raw


# ------------------------------------------------------------------ MLflow
def _str_version(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def mlflow_data(event: Event) -> dict[str, Any]:
    """``data`` as MLflow 3 shapes it for its events; the event payload for the rest."""
    p = event.payload
    match event.type:
        case "registered_model.created":
            return {
                "name": p["name"],
                "tags": dict(p.get("tags") or {}),
                "description": p.get("description") or None,
            }
        case "model_version.created":
            return {
                "name": p["name"],
                "version": str(p["version"]),
                "source": p.get("source"),
                "run_id": p.get("run_id"),
                "tags": dict(p.get("tags") or {}),
                "description": p.get("description") or None,
            }
        case "model_version_tag.set":
            return {
                "name": p["name"],
                "version": str(p["version"]),
                "key": p["key"],
                "value": p["value"],
            }
        case "model_version_tag.deleted":
            return {"name": p["name"], "version": str(p["version"]), "key": p["key"]}
        case "alias.set":
            return {"name": p["name"], "alias": p["alias"], "version": str(p["version"])}
        case "alias.deleted":
            return {"name": p["name"], "alias": p["alias"]}
    return {key: _str_version(value) if key == "version" else value for key, value in p.items()}


def mlflow_body(event: Event) -> dict[str, Any]:
    entity, action = mlflow_entity_action(event.type)
    return {
        "entity": entity,
        "action": action,
        "timestamp": iso_time(event.timestamp),
        "data": mlflow_data(event),
    }


# ------------------------------------------------------------------ Databricks
def databricks_body(event: Event, webhook_id: str, event_name: str) -> dict[str, Any]:
    """Databricks' payload: the fields its documentation lists for the event."""
    p = event.payload
    body: dict[str, Any] = {
        "event": event_name,
        "webhook_id": webhook_id,
        "event_timestamp": event.timestamp,
    }
    if event.model_name is not None:
        body["model_name"] = event.model_name
    if event.version is not None:
        body["version"] = str(event.version)
    if "from_stage" in p:
        body["from_stage"] = p["from_stage"]
    stage = target_stage(p)
    if stage is not None:
        body["to_stage"] = stage
    # Databricks' ``text`` is the user's comment; an empty one is absent, as Databricks
    # omits empty fields (every stage move's event has a comment field, mostly "").
    for key in ("text", "comment"):
        if isinstance(p.get(key), str) and p[key]:
            body["text"] = p[key]
    if event_name == "MODEL_VERSION_TAG_SET":
        body["tags"] = [{"key": p.get("key"), "value": p.get("value")}]
    return body


# ------------------------------------------------------------------ templates
def version_url(public_url: str | None, name: str | None, version: int | None) -> str | None:
    """The UI page of a version (``<public url>/models/<name>/versions/<n>``)."""
    if not public_url or name is None or version is None:
        return None
    return f"{public_url.rstrip('/')}/models/{quote(name, safe='')}/versions/{version}"


def event_json(event: Event) -> dict[str, Any]:
    """modelreg's own rendering of an event (the ``http`` default body)."""
    return {
        "id": event.id,
        "type": event.type,
        "schema_version": event.schema_version,
        "timestamp": event.timestamp,
        "actor": event.actor,
        "model_name": event.model_name,
        "version": event.version,
        "payload": dict(event.payload),
    }


def variables(event: Event, public_url: str | None) -> dict[str, str]:
    """What templates may say: ``${type}``, ``${model_name}``, ``${to_stage}``, ..."""
    found: dict[str, str] = {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in event.payload.items()
    }
    found.update(
        {
            "event_id": str(event.id),
            "type": event.type,
            "actor": event.actor,
            "timestamp": iso_time(event.timestamp),
            "model_name": event.model_name or "",
            "version": "" if event.version is None else str(event.version),
            "url": version_url(public_url, event.model_name, event.version) or "",
            "summary": summary(event),
        }
    )
    found.setdefault("to_stage", target_stage(event.payload) or "")
    found.setdefault("from_stage", "")
    found.setdefault("alias", "")
    return found


def render_template(template: Any, event: Event, public_url: str | None) -> Any:
    """A JSON template with ``${name}`` placeholders filled in.

    A string that is exactly ``"${payload}"`` or ``"${event}"`` becomes the event's
    payload object or whole event (not a string), so a template can nest them.
    """
    values = variables(event, public_url)

    def fill(node: Any) -> Any:
        if isinstance(node, str):
            if node == "${payload}":
                return dict(event.payload)
            if node == "${event}":
                return event_json(event)
            return Template(node).safe_substitute(values)
        if isinstance(node, list):
            return [fill(item) for item in node]
        if isinstance(node, Mapping):
            return {str(key): fill(value) for key, value in node.items()}
        return node

    return fill(template)


def http_body(event: Event, template: Any | None, public_url: str | None) -> Any:
    if template is None:
        return {"event": event_json(event)}
    return render_template(template, event, public_url)


# ------------------------------------------------------------------ Slack / email
def _version_label(event: Event) -> str:
    if event.version is None:
        return f"*{event.model_name}*"
    return f"*{event.model_name}* v{event.version}"


def summary(event: Event) -> str:
    """One readable line about the event (Slack text, email subject)."""
    p = event.payload
    who = event.actor
    label = _version_label(event)
    match event.type:
        case "model_version.created":
            return f"New version {label} registered by {who}"
        case "model_version.stage_transitioned":
            return f"{label} moved from {p.get('from_stage')} to {p.get('to_stage')} by {who}"
        case "alias.set":
            before = p.get("previous_version")
            moved = f" (was v{before})" if before is not None else ""
            return f"Alias @{p.get('alias')} of {label} set by {who}{moved}"
        case "alias.deleted":
            return f"Alias @{p.get('alias')} of {label} deleted by {who}"
        case "registered_model.created":
            return f"Model {label} created by {who}"
        case "registered_model.renamed":
            return f"Model *{p.get('old_name')}* renamed to {label} by {who}"
        case "registered_model.deleted" | "model_version.deleted":
            return f"{label} deleted by {who}"
        case "model_version_tag.set" | "registered_model_tag.set":
            return f"Tag {p.get('key')}={p.get('value')} set on {label} by {who}"
        case "comment.created":
            return f"{who} commented on {label}: {p.get('text') or p.get('comment') or ''}"
        case "transition_request.created":
            return f"{who} requests {label} → {target_stage(p)}"
        case "webhook.disabled":
            return (
                f"Webhook {p.get('name')} disabled after {p.get('consecutive_failures')} failures"
            )
    subject = label if event.model_name is not None else event.type.split(".")[0]
    return f"{event.type} on {subject} by {who}"


def slack_body(event: Event, public_url: str | None) -> dict[str, Any]:
    """An incoming-webhook message: the summary, a link to the version, the details."""
    text = summary(event)
    link = version_url(public_url, event.model_name, event.version)
    if link:
        text += f" — <{link}|open {event.model_name} v{event.version}>"
    fields = []
    p = event.payload
    for key, title in (("from_stage", "From"), ("to_stage", "To"), ("alias", "Alias")):
        if isinstance(p.get(key), str):
            fields.append({"type": "mrkdwn", "text": f"*{title}:* {p[key]}"})
    fields.append({"type": "mrkdwn", "text": f"*By:* {event.actor}"})
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "section", "fields": fields},
        ],
    }


DEFAULT_SUBJECT = "[modelreg] ${summary}"
DEFAULT_BODY = "${summary}\n\n${url}\n\nEvent ${event_id} (${type}) at ${timestamp}\n"


def email_message(
    event: Event, subject: str | None, body: str | None, public_url: str | None
) -> tuple[str, str]:
    """Subject and plain-text body from the webhook's templates (or the defaults)."""
    values = variables(event, public_url)
    values["summary"] = values["summary"].replace("*", "")
    rendered_subject = Template(subject or DEFAULT_SUBJECT).safe_substitute(values)
    # A header never carries a line break (header injection from a model name).
    rendered_subject = " ".join(rendered_subject.split())[:250]
    return rendered_subject, Template(body or DEFAULT_BODY).safe_substitute(values)
