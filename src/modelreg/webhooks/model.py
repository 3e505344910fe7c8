"""What the webhook APIs return: subscriptions, deliveries and attempts (no secrets)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STATUSES = ("ACTIVE", "DISABLED", "TEST_MODE")
DELIVERY_STATUSES = ("PENDING", "SUCCEEDED", "DEAD")


@dataclass(frozen=True, slots=True)
class Webhook:
    """A subscription. Whether it has a secret shows; the secret itself never does."""

    webhook_id: str
    name: str
    description: str
    kind: str
    url: str
    events: tuple[str, ...]
    status: str
    model_name: str | None
    filters: Mapping[str, Any]
    target: Mapping[str, Any]
    has_secret: bool
    has_authorization: bool
    consecutive_failures: int
    disabled_reason: str | None
    creation_timestamp: int
    last_updated_timestamp: int


@dataclass(frozen=True, slots=True)
class Attempt:
    attempt: int
    started_at: int
    latency_ms: int
    status_code: int | None
    succeeded: bool
    error: str | None
    response_excerpt: str | None
    worker: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one webhook; ``delivery_id`` stays the same across retries."""

    delivery_id: str
    webhook_id: str
    event_id: int
    event_type: str
    status: str
    attempts: int
    next_attempt_at: int
    created_at: int
    completed_at: int | None
    last_status_code: int | None
    last_error: str | None
    attempt_log: tuple[Attempt, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class TestResult:
    """What ``test_webhook`` got back (MLflow's WebhookTestResult)."""

    success: bool
    response_status: int | None
    response_body: str | None
    error_message: str | None
