"""Which webhooks an event goes to: pure functions of the subscription and the event.

The delivery worker calls :func:`match` for every (new event, active webhook) pair, so
a write never pays for matching (DESIGN.md: the event log is the outbox).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from modelreg.webhooks.names import DATABRICKS_EVENTS

KINDS = ("mlflow", "databricks", "http", "slack", "email")


@dataclass(frozen=True, slots=True)
class Subscription:
    """What a webhook listens to.

    ``types`` are modelreg event types. ``model_name`` is an exact model (Databricks'
    per-model webhooks), ``name_pattern`` a glob over model names (``fraud-*``).
    ``stages`` and ``aliases`` narrow the events that *have* a target stage (stage
    transitions, transition requests) or an alias (alias events); other subscribed
    events pass them. ``databricks_events`` are the Databricks names a Databricks
    webhook was created with (they carry a target stage of their own).
    """

    webhook_id: str
    kind: str
    types: frozenset[str]
    model_name: str | None = None
    name_pattern: str | None = None
    stages: frozenset[str] = field(default_factory=frozenset)
    aliases: frozenset[str] = field(default_factory=frozenset)
    databricks_events: tuple[str, ...] = ()
    # Events older than the webhook (ms) are not delivered to it.
    since_ms: int = 0


def target_stage(payload: Mapping[str, Any]) -> str | None:
    """The stage an event moves (or asks to move) a version to, if it has one."""
    for key in ("to_stage", "stage"):
        value = payload.get(key)
        if isinstance(value, str):
            return value
    return None


def match(
    sub: Subscription,
    event_type: str,
    model_name: str | None,
    payload: Mapping[str, Any],
    timestamp: int | None = None,
) -> str | None:
    """The name the event goes out under for ``sub`` (None: not delivered to it).

    That is the Databricks event name for a Databricks webhook (the first of its
    events that matches, in the order it was created with), else the modelreg type.
    """
    if event_type not in sub.types:
        return None
    if timestamp is not None and timestamp < sub.since_ms:
        return None
    if sub.model_name is not None and model_name != sub.model_name:
        return None
    if sub.name_pattern and (
        model_name is None or not fnmatch.fnmatchcase(model_name, sub.name_pattern)
    ):
        return None
    stage = target_stage(payload)
    if sub.stages and stage is not None and stage.lower() not in sub.stages:
        return None
    alias = payload.get("alias")
    if sub.aliases and isinstance(alias, str) and alias not in sub.aliases:
        return None
    if sub.kind != "databricks":
        return event_type
    for name in sub.databricks_events:
        known = DATABRICKS_EVENTS[name]
        if known.type == event_type and (known.to_stage is None or known.to_stage == stage):
            return name
    return None


def order_key(model_name: str | None) -> str:
    """Deliveries of one webhook with the same key keep event order: per model."""
    return model_name or ""
