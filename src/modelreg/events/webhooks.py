"""Events about webhook subscriptions themselves: created, changed, deleted, disabled.

Secrets never appear in these payloads; URLs do (they say where data goes).
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, ClassVar

from modelreg.events._base import DomainEvent, event


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEvent(DomainEvent):
    AREA: ClassVar[str] = "webhooks"
    webhook_id: Annotated[str, "The webhook's id."]
    name: Annotated[str, "The webhook's name."]


@event
class WebhookCreated(WebhookEvent):
    """A webhook subscription was created."""

    TYPE: ClassVar[str] = "webhook.created"
    kind: Annotated[str, "How it delivers: mlflow, databricks, http, slack or email."]
    url: Annotated[str, "Where it delivers (the SMTP server for email)."]
    events: Annotated[list[str], "The event types it subscribes to."]


@event
class WebhookUpdated(WebhookEvent):
    """A webhook subscription was changed (URL, events, filters, status or secret)."""

    TYPE: ClassVar[str] = "webhook.updated"
    status: Annotated[str, "Its status now: ACTIVE, DISABLED or TEST_MODE."]


@event
class WebhookDeleted(WebhookEvent):
    """A webhook subscription was deleted with its deliveries."""

    TYPE: ClassVar[str] = "webhook.deleted"


@event
class WebhookDisabled(WebhookEvent):
    """The delivery worker disabled a webhook that failed too many times in a row."""

    TYPE: ClassVar[str] = "webhook.disabled"
    consecutive_failures: Annotated[int, "How many deliveries failed in a row."]
    last_error: Annotated[str, "What the last attempt ended with."]
