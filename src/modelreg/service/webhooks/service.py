"""Webhook subscriptions and their deliveries: create, read, change, test, redeliver.

Writes to the registry never touch webhooks: the delivery worker
(:mod:`modelreg.service.webhooks.worker`) matches new events against the active
subscriptions. This service is what the MLflow, Databricks and modelreg APIs (and
the CLI) call.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Self

from modelreg.config import WebhookSettings
from modelreg.entities import Event, PagedList
from modelreg.errors import InvalidArgument, NotFound
from modelreg.events import WebhookCreated, WebhookDeleted, WebhookUpdated
from modelreg.limits import WEBHOOKS_PAGE_DEFAULT, WEBHOOKS_PAGE_MAX
from modelreg.principal import Principal, as_principal
from modelreg.service import event_log
from modelreg.service.auth.levels import Level
from modelreg.service.auth.policy import GrantPolicy
from modelreg.service.clock import Clock, now_ms
from modelreg.service.paging import fetch_page
from modelreg.service.webhooks.sending import Target, network_policy, send
from modelreg.store.database import Database
from modelreg.store.webhooks import WebhookStore, delivery_from_row
from modelreg.webhooks import names
from modelreg.webhooks.addresses import check_url
from modelreg.webhooks.crypto import SecretBox
from modelreg.webhooks.matching import KINDS, Subscription
from modelreg.webhooks.model import DELIVERY_STATUSES, STATUSES, Delivery, TestResult, Webhook

MANAGE = Level.MANAGE
_FILTER_KEYS = frozenset({"name_pattern", "stages", "aliases"})
_TARGET_KEYS: dict[str, frozenset[str]] = {
    "mlflow": frozenset(),
    "databricks": frozenset({"databricks_events"}),
    "http": frozenset({"template", "headers"}),
    "slack": frozenset(),
    "email": frozenset({"from", "to", "subject", "body", "username", "ca_file"}),
}


class _Unset:
    pass


UNSET: Any = _Unset()


def _page_size(max_results: int | None) -> int:
    limit = WEBHOOKS_PAGE_DEFAULT if max_results is None else max_results
    if not 1 <= limit <= WEBHOOKS_PAGE_MAX:
        raise InvalidArgument(f"max_results must be between 1 and {WEBHOOKS_PAGE_MAX}.")
    return limit


def webhook_from_row(row: Any) -> Webhook:
    return Webhook(
        webhook_id=row.webhook_id,
        name=row.name,
        description=row.description,
        kind=row.kind,
        url=row.url,
        events=tuple(json.loads(row.events)),
        status=row.status,
        model_name=row.model_name,
        filters=json.loads(row.filters),
        target=json.loads(row.target),
        has_secret=row.secret is not None,
        has_authorization=row.authorization is not None,
        consecutive_failures=row.consecutive_failures,
        disabled_reason=row.disabled_reason,
        creation_timestamp=row.creation_timestamp,
        last_updated_timestamp=row.last_updated_timestamp,
    )


def subscription_from_row(row: Any) -> Subscription:
    filters = json.loads(row.filters)
    target = json.loads(row.target)
    return Subscription(
        webhook_id=row.webhook_id,
        kind=row.kind,
        types=frozenset(json.loads(row.events)),
        model_name=row.model_name,
        name_pattern=filters.get("name_pattern"),
        stages=frozenset(s.lower() for s in filters.get("stages") or ()),
        aliases=frozenset(filters.get("aliases") or ()),
        databricks_events=tuple(target.get("databricks_events") or ()),
        since_ms=row.creation_timestamp,
    )


def _string_list(value: Any, what: str) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidArgument(f"{what} must be a list of strings, got {value!r}.")
    return list(value)


def check_filters(filters: Mapping[str, Any] | None) -> dict[str, Any]:
    found = dict(filters or {})
    unknown = set(found) - _FILTER_KEYS
    if unknown:
        raise InvalidArgument(
            f"Unknown webhook filter(s) {sorted(unknown)}; allowed: {sorted(_FILTER_KEYS)}."
        )
    pattern = found.get("name_pattern")
    if pattern is not None and (not isinstance(pattern, str) or not pattern):
        raise InvalidArgument("filters.name_pattern must be a non-empty glob such as 'fraud-*'.")
    for key in ("stages", "aliases"):
        if key in found:
            found[key] = _string_list(found[key], f"filters.{key}")
    return {k: v for k, v in found.items() if v not in (None, [])}


def check_events(events: Sequence[str] | None) -> list[str]:
    if not events:
        raise InvalidArgument("A webhook needs at least one event type.")
    known = names.known_types()
    listed = _string_list(events, "events")
    unknown = [e for e in listed if e not in known]
    if unknown:
        raise InvalidArgument(
            f"Unknown event type(s) {unknown}; see docs/events.md for the types "
            f"(for example {', '.join(sorted(known)[:4])}, ...)."
        )
    return list(dict.fromkeys(listed))


class WebhookService:
    """Subscriptions and deliveries over one database, acting for one principal."""

    def __init__(
        self,
        db: Database,
        settings: WebhookSettings,
        *,
        actor: str | Principal = "unknown",
        clock: Clock = now_ms,
        grants: GrantPolicy | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        # Set with ``--auth``: a list keeps the webhooks of models the caller manages.
        self.grants = grants
        self.principal = as_principal(actor)
        self.actor = self.principal.name
        self.clock = clock
        self.secrets = SecretBox(settings.secret_key, shared_database=db.dialect != "sqlite")

    def as_actor(self, actor: str | Principal) -> Self:
        """The same service acting for ``actor`` (the key is not derived again)."""
        acting = copy.copy(self)
        acting.principal = as_principal(actor)
        acting.actor = acting.principal.name
        return acting

    # ------------------------------------------------------------ checks
    def _check_url(self, kind: str, url: str) -> str:
        if not isinstance(url, str) or not url:
            raise InvalidArgument("A webhook needs a url.")
        if len(url) > 2048:
            raise InvalidArgument("A webhook url is at most 2048 characters.")
        policy = network_policy(self.settings)
        if kind == "email":
            from modelreg.webhooks import mail

            mail.check_smtp_url(url, policy)
        else:
            check_url(url, policy)
        return url

    @staticmethod
    def _check_target(kind: str, target: Mapping[str, Any] | None) -> dict[str, Any]:
        found = dict(target or {})
        unknown = set(found) - _TARGET_KEYS[kind]
        if unknown:
            raise InvalidArgument(
                f"Unknown setting(s) {sorted(unknown)} for a {kind} webhook; "
                f"allowed: {sorted(_TARGET_KEYS[kind]) or 'none'}."
            )
        if kind == "databricks":
            listed = _string_list(found.get("databricks_events") or [], "databricks_events")
            if not listed or any(e not in names.DATABRICKS_EVENTS for e in listed):
                raise InvalidArgument(
                    "A databricks webhook needs target.databricks_events from: "
                    f"{', '.join(names.DATABRICKS_EVENTS)}."
                )
        if kind == "email":
            found["to"] = _string_list(found.get("to") or [], "target.to")
            if not found["to"]:
                raise InvalidArgument("An email webhook needs recipients (target.to).")
        headers = found.get("headers")
        if headers is not None and not (
            isinstance(headers, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
        ):
            raise InvalidArgument("target.headers must be an object of strings.")
        if headers and any(k.lower() == "authorization" for k in headers):
            raise InvalidArgument(
                "Give an Authorization header as `authorization` (stored encrypted), "
                "not in target.headers."
            )
        return found

    @staticmethod
    def _check_kind(kind: str) -> str:
        if kind not in KINDS:
            raise InvalidArgument(f"Unknown webhook kind {kind!r}; allowed: {', '.join(KINDS)}.")
        return kind

    @staticmethod
    def _check_status(status: str) -> str:
        if status not in STATUSES:
            raise InvalidArgument(
                f"Invalid webhook status {status!r}; allowed: {', '.join(STATUSES)}."
            )
        return status

    @staticmethod
    def _check_name(name: Any) -> str:
        if not isinstance(name, str) or not name.strip() or len(name) > 256:
            raise InvalidArgument("A webhook needs a name of 1 to 256 characters.")
        return name

    # ------------------------------------------------------------ subscriptions
    def create_webhook(
        self,
        name: str,
        url: str,
        events: Sequence[str],
        *,
        kind: str = "mlflow",
        description: str | None = None,
        secret: str | None = None,
        authorization: str | None = None,
        status: str | None = None,
        model_name: str | None = None,
        filters: Mapping[str, Any] | None = None,
        target: Mapping[str, Any] | None = None,
    ) -> Webhook:
        kind = self._check_kind(kind)
        webhook_id = uuid.uuid4().hex
        values: dict[str, Any] = {
            "webhook_id": webhook_id,
            "name": self._check_name(name),
            "description": description or "",
            "kind": kind,
            "url": self._check_url(kind, url),
            "events": json.dumps(check_events(events)),
            "status": self._check_status(status or "ACTIVE"),
            "model_name": model_name or None,
            "filters": json.dumps(check_filters(filters)),
            "target": json.dumps(self._check_target(kind, target)),
            "secret": self.secrets.seal(secret),
            "authorization": self.secrets.seal(authorization, "authorization"),
            "consecutive_failures": 0,
            "disabled_reason": None,
        }
        now = self.clock()
        with self.db.write() as conn:
            store = WebhookStore(conn)
            store.insert({**values, "creation_timestamp": now, "last_updated_timestamp": now})
            row = store.row(webhook_id)
            created = webhook_from_row(row)
            event_log.record(
                conn,
                self.actor,
                now,
                WebhookCreated(
                    webhook_id=created.webhook_id,
                    name=created.name,
                    kind=kind,
                    url=created.url,
                    events=list(created.events),
                ),
            )
        return created

    def get_webhook(self, webhook_id: str) -> Webhook:
        with self.db.read() as conn:
            row = WebhookStore(conn).row(webhook_id)
        if row is None:
            raise NotFound(f"Webhook with ID {webhook_id} not found.")
        return webhook_from_row(row)

    def list_webhooks(
        self,
        max_results: int | None = None,
        page_token: str | None = None,
        *,
        model_name: str | None = None,
    ) -> PagedList[Webhook]:
        """Webhooks oldest first; with ``model_name``, only those scoped to that model
        (registry-wide ones, which also fire for it, are not included)."""
        limit = _page_size(max_results)

        # A webhook sends its model's events out: who manages the model manages it.
        visible = None if self.grants is None else self.grants.visibility(self.principal, MANAGE)

        def fetch(offset: int, n: int) -> list[Webhook]:
            with self.db.read() as conn:
                found = WebhookStore(conn).rows(offset, n, model_name, visible)
                return [webhook_from_row(r) for r in found]

        return fetch_page(fetch, page_token, limit)

    def update_webhook(
        self,
        webhook_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        url: str | None = None,
        events: Sequence[str] | None = None,
        secret: str | None = None,
        authorization: str | None = None,
        status: str | None = None,
        model_name: Any = UNSET,
        filters: Mapping[str, Any] | None = None,
        target: Mapping[str, Any] | None = None,
    ) -> Webhook:
        current = self.get_webhook(webhook_id)
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = self._check_name(name)
        if description is not None:
            values["description"] = description
        if url is not None:
            values["url"] = self._check_url(current.kind, url)
        if events:
            values["events"] = json.dumps(check_events(events))
        if secret is not None:
            values["secret"] = self.secrets.seal(secret)
        if authorization is not None:
            values["authorization"] = self.secrets.seal(authorization, "authorization")
        if status is not None:
            values["status"] = self._check_status(status)
            if status == "ACTIVE":
                values["consecutive_failures"] = 0
                values["disabled_reason"] = None
        if model_name is not UNSET:
            values["model_name"] = model_name or None
        if filters is not None:
            values["filters"] = json.dumps(check_filters(filters))
        if target is not None:
            values["target"] = json.dumps(self._check_target(current.kind, target))
        now = self.clock()
        with self.db.write() as conn:
            store = WebhookStore(conn)
            if not store.update(webhook_id, {**values, "last_updated_timestamp": now}):
                raise NotFound(f"Webhook with ID {webhook_id} not found.")
            updated = webhook_from_row(store.row(webhook_id))
            event_log.record(
                conn,
                self.actor,
                now,
                WebhookUpdated(webhook_id=webhook_id, name=updated.name, status=updated.status),
            )
        return updated

    def delete_webhook(self, webhook_id: str) -> None:
        now = self.clock()
        with self.db.write() as conn:
            store = WebhookStore(conn)
            row = store.row(webhook_id)
            if row is None:
                raise NotFound(f"Webhook with ID {webhook_id} not found.")
            store.delete(webhook_id)
            event_log.record(
                conn, self.actor, now, WebhookDeleted(webhook_id=webhook_id, name=row.name)
            )

    # ------------------------------------------------------------ sending
    def target(self, row: Any) -> Target:
        """The webhook row with its secrets opened, for sending."""
        return Target(
            webhook_id=row.webhook_id,
            name=row.name,
            kind=row.kind,
            url=row.url,
            secret=self.secrets.open(row.secret),
            authorization=self.secrets.open(row.authorization),
            target=json.loads(row.target),
        )

    def test_webhook(self, webhook_id: str, event: str | None = None) -> TestResult:
        """Send an example event (the webhook's first, or ``event``) now, and report."""
        with self.db.read() as conn:
            row = WebhookStore(conn).row(webhook_id)
        if row is None:
            raise NotFound(f"Webhook with ID {webhook_id} not found.")
        target = self.target(row)
        sub = subscription_from_row(row)
        if row.kind == "databricks":
            wire = event or sub.databricks_events[0]
            known = names.DATABRICKS_EVENTS.get(wire)
            if known is None:
                raise InvalidArgument(f"Unknown Databricks event {wire!r}.")
            event_type, stage = known.type, known.to_stage
        else:
            event_type = event or json.loads(row.events)[0]
            check_events([event_type])
            wire, stage = event_type, None
        example = example_event(event_type, self.actor, self.clock(), stage)
        outcome = send(target, example, str(uuid.uuid4()), wire, self.settings)
        return TestResult(
            success=outcome.ok,
            response_status=outcome.status,
            response_body=outcome.excerpt or None,
            error_message=outcome.error if not outcome.ok else None,
        )

    # ------------------------------------------------------------ deliveries
    def list_deliveries(
        self,
        webhook_id: str,
        status: str | None = None,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Delivery]:
        if status is not None and status not in DELIVERY_STATUSES:
            raise InvalidArgument(
                f"Invalid delivery status {status!r}; allowed: {', '.join(DELIVERY_STATUSES)}."
            )
        limit = _page_size(max_results)
        self.get_webhook(webhook_id)

        def fetch(offset: int, n: int) -> list[Delivery]:
            with self.db.read() as conn:
                return WebhookStore(conn).deliveries(webhook_id, status, offset, n)

        return fetch_page(fetch, page_token, limit)

    def get_delivery(self, delivery_id: str) -> Delivery:
        """A delivery with its attempt log."""
        with self.db.read() as conn:
            store = WebhookStore(conn)
            row = store.delivery_row(delivery_id)
            if row is None:
                raise NotFound(f"Webhook delivery {delivery_id} not found.")
            return delivery_from_row(row, store.attempts(row.id))

    def redeliver(self, delivery_id: str) -> Delivery:
        """Send a delivery again (same delivery id), whatever its status."""
        with self.db.write() as conn:
            if not WebhookStore(conn).requeue(self.clock(), delivery_id=delivery_id):
                raise NotFound(f"Webhook delivery {delivery_id} not found.")
        return self.get_delivery(delivery_id)

    def redeliver_dead(self, webhook_id: str) -> int:
        """Send every dead-lettered delivery of a webhook again; how many."""
        self.get_webhook(webhook_id)
        with self.db.write() as conn:
            return WebhookStore(conn).requeue(
                self.clock(), webhook_id=webhook_id, only_status="DEAD"
            )


_EXAMPLES: dict[str, dict[str, Any]] = {
    "registered_model.created": {"tags": {"example_key": "example_value"}, "description": ""},
    "model_version.created": {
        "source": "models:/123",
        "run_id": "abcd1234abcd5678",
        "model_id": None,
        "tags": {"example_key": "example_value"},
        "description": "An example model version",
    },
    "model_version_tag.set": {"key": "example_key", "value": "example_value"},
    "model_version_tag.deleted": {"key": "example_key"},
    "alias.set": {"alias": "example_alias", "previous_version": None},
    "alias.deleted": {"alias": "example_alias"},
    "model_version.stage_transitioned": {
        "from_stage": "Staging",
        "to_stage": "Production",
        "archived_versions": [],
    },
    "comment.created": {"text": "An example comment"},
    "transition_request.created": {"stage": "Production", "comment": "Please promote"},
}


def example_event(event_type: str, actor: str, now: int, stage: str | None) -> Event:
    """The event ``test_webhook`` sends: an example model, version 1."""
    payload: dict[str, Any] = {"name": "example_model"}
    if not event_type.startswith("registered_model"):
        payload["version"] = 1
    payload.update(_EXAMPLES.get(event_type, {}))
    if stage is not None:
        payload["to_stage" if "to_stage" in payload else "stage"] = stage
    return Event(
        id=0,
        timestamp=now,
        actor=actor,
        type=event_type,
        model_name="example_model",
        version=payload.get("version"),
        payload=payload,
    )
