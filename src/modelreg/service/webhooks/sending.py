"""One delivery on the wire: the body and headers for the webhook's kind, then send.

Shared by the delivery worker and ``test_webhook``. The body is rendered from the
stored event, so every retry of a delivery sends the same body under the same
delivery id; only ``X-MLflow-Timestamp`` (and its signature) are per attempt, as
MLflow's receivers expect for replay protection.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelreg.config import WebhookSettings
from modelreg.entities import Event
from modelreg.errors import InvalidArgument
from modelreg.webhooks import payloads, transport
from modelreg.webhooks.addresses import NetworkPolicy
from modelreg.webhooks.signatures import databricks_signature, mlflow_signature
from modelreg.webhooks.transport import Outcome

USER_AGENT = "modelreg-webhooks"


def network_policy(settings: WebhookSettings) -> NetworkPolicy:
    return NetworkPolicy(
        allowed_schemes=settings.allowed_schemes,
        allow_private_ips=settings.allow_private_ips,
        connect_timeout_s=settings.connect_timeout_s,
        read_timeout_s=settings.read_timeout_s,
    )


@dataclass(frozen=True, slots=True)
class Target:
    """A webhook with its secrets opened: what sending needs (kept in memory only)."""

    webhook_id: str
    name: str
    kind: str
    url: str
    secret: str | None
    authorization: str | None
    target: Mapping[str, Any]

    def __repr__(self) -> str:  # never show the secrets
        return f"Target({self.webhook_id!r}, {self.kind!r}, {self.url!r})"


def request_for(
    target: Target, event: Event, delivery_id: str, event_name: str, public_url: str | None
) -> tuple[bytes, dict[str, str]]:
    """Body and headers of an HTTP delivery (kinds mlflow, databricks, http, slack)."""
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    body: Any
    if target.kind == "databricks":
        body = payloads.databricks_body(event, target.webhook_id, event_name)
    elif target.kind == "slack":
        body = payloads.slack_body(event, public_url)
    elif target.kind == "http":
        template = target.target.get("template")
        if template is not None and target.secret is not None:
            # ``${secret}`` in a template (a GitLab trigger token) is filled at send time
            # only: the stored template never holds it.
            filled = json.dumps(template).replace("${secret}", _json_safe(target.secret))
            template = json.loads(filled)
        body = payloads.http_body(event, template, public_url)
        for key, value in (target.target.get("headers") or {}).items():
            headers[str(key)] = str(value)
    else:
        body = payloads.mlflow_body(event)
    raw = payloads.encode(body)
    if target.kind in ("mlflow", "http"):
        timestamp = str(int(time.time()))
        headers["X-MLflow-Delivery-Id"] = delivery_id
        headers["X-MLflow-Timestamp"] = timestamp
        if target.secret:
            headers["X-MLflow-Signature"] = mlflow_signature(
                target.secret, delivery_id, timestamp, raw.decode()
            )
    if target.kind == "databricks" and target.secret:
        headers["X-Databricks-Signature"] = databricks_signature(target.secret, raw)
    if target.kind != "slack":
        headers["X-Modelreg-Delivery-Id"] = delivery_id
        headers["X-Modelreg-Event"] = event.type
    if target.authorization and target.kind != "email":
        headers["Authorization"] = target.authorization
    return raw, headers


def _json_safe(text: str) -> str:
    return json.dumps(text)[1:-1]


def send(
    target: Target,
    event: Event,
    delivery_id: str,
    event_name: str,
    settings: WebhookSettings,
    policy: NetworkPolicy | None = None,
) -> Outcome:
    """One attempt of one delivery; every failure is an Outcome, never an exception."""
    policy = policy or network_policy(settings)
    try:
        if target.kind == "email":
            from modelreg.webhooks import mail  # smtplib and email: only for email targets

            cfg = target.target
            subject, text = payloads.email_message(
                event, cfg.get("subject"), cfg.get("body"), settings.public_url
            )
            message = mail.Mail(
                sender=str(cfg.get("from") or "modelreg@localhost"),
                recipients=[str(r) for r in cfg.get("to") or []],
                subject=subject,
                body=text,
                username=cfg.get("username"),
                password=target.authorization,
                ca_file=cfg.get("ca_file"),
            )
            return mail.send(target.url, message, policy)
        raw, headers = request_for(target, event, delivery_id, event_name, settings.public_url)
    except InvalidArgument as error:
        return Outcome(False, None, 0, error=f"not sent: {error}")
    return transport.post(target.url, raw, headers, policy)
