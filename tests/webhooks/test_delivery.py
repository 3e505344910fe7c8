"""Delivery end to end on each backend: real loopback receivers, the worker ticked by hand."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import replace

import pytest

from modelreg.errors import InvalidArgument, NotFound
from modelreg.service import RegistryService
from modelreg.service.webhooks import DeliveryWorker, WebhookService
from modelreg.store.database import Database
from modelreg.store.events import EventStore
from tests.webhooks.conftest import LOOPBACK, MovableClock, drain
from tests.webhooks.receiver import receiver

MakeWorker = Callable[..., DeliveryWorker]


def _mlflow_verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    # MLflow's documented verification recipe.
    delivery_id = headers["X-MLflow-Delivery-Id"]
    timestamp = headers["X-MLflow-Timestamp"]
    signed = f"{delivery_id}.{timestamp}.{body.decode()}"
    expected = base64.b64encode(
        hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    ).decode()
    version, _, signature = headers["X-MLflow-Signature"].partition(",")
    return version == "v1" and hmac.compare_digest(signature, expected)


def test_a_write_is_delivered_signed_in_mlflows_shape(
    hooks: WebhookService, reg: RegistryService, make_worker: MakeWorker
) -> None:
    with receiver() as rx:
        hook = hooks.create_webhook(
            "ci", rx.url, ["model_version.created"], kind="mlflow", secret="s3cret"
        )
        assert hook.has_secret and not hasattr(hook, "secret")
        reg.create_registered_model("churn")
        reg.create_model_version("churn", "s3://b/churn/1")
        assert drain(make_worker()) >= 1
        (got,) = rx.wait_for(1)
    assert _mlflow_verify("s3cret", got.headers, got.body)
    body = got.json()
    assert (body["entity"], body["action"]) == ("model_version", "created")
    assert body["data"]["name"] == "churn" and body["data"]["version"] == "1"
    (delivery,) = hooks.list_deliveries(hook.webhook_id)
    assert delivery.status == "SUCCEEDED" and delivery.attempts == 1
    assert got.headers["X-MLflow-Delivery-Id"] == delivery.delivery_id
    log = hooks.get_delivery(delivery.delivery_id).attempt_log
    assert [(a.attempt, a.status_code, a.succeeded) for a in log] == [(1, 200, True)]


def test_events_before_the_webhook_existed_are_not_delivered(
    hooks: WebhookService, reg: RegistryService, make_worker: MakeWorker, wclock: MovableClock
) -> None:
    reg.create_registered_model("old")
    wclock.advance(5)
    with receiver() as rx:
        hook = hooks.create_webhook("all", rx.url, ["registered_model.created"], kind="http")
        wclock.advance(5)
        reg.create_registered_model("new")
        drain(make_worker())
        (got,) = rx.wait_for(1)
    assert got.json()["event"]["model_name"] == "new"
    assert len(hooks.list_deliveries(hook.webhook_id)) == 1


def test_retries_keep_the_delivery_id_then_succeed(
    hooks: WebhookService, reg: RegistryService, make_worker: MakeWorker, wclock: MovableClock
) -> None:
    with receiver(script=[500, 503]) as rx:
        hooks.create_webhook("ci", rx.url, ["registered_model.created"], kind="mlflow")
        reg.create_registered_model("churn")
        worker = make_worker()
        drain(worker)
        assert len(rx.requests) == 1  # the retry is not due yet
        for _ in range(2):
            wclock.advance(10 * 60_000)
            drain(worker)
        sent = rx.wait_for(3)
    assert len({r.headers["X-MLflow-Delivery-Id"] for r in sent}) == 1
    (hook,) = hooks.list_webhooks()
    (delivery,) = hooks.list_deliveries(hook.webhook_id)
    assert (delivery.status, delivery.attempts) == ("SUCCEEDED", 3)
    log = hooks.get_delivery(delivery.delivery_id).attempt_log
    assert [a.status_code for a in log] == [500, 503, 200]
    assert log[0].response_excerpt == "receiver says no"


def test_dead_letter_then_redeliver(
    hooks: WebhookService, reg: RegistryService, make_worker: MakeWorker, wclock: MovableClock
) -> None:
    with receiver(default=500) as rx:
        hook = hooks.create_webhook("ci", rx.url, ["registered_model.created"], kind="http")
        reg.create_registered_model("churn")
        worker = make_worker()
        for _ in range(5):
            drain(worker)
            wclock.advance(10 * 60_000)
        assert len(rx.requests) == LOOPBACK.max_attempts
        (dead,) = hooks.list_deliveries(hook.webhook_id, status="DEAD")
        rx.default = 200
        assert hooks.redeliver_dead(hook.webhook_id) == 1
        drain(worker)
        sent = rx.wait_for(LOOPBACK.max_attempts + 1)
        assert sent[-1].headers["X-MLflow-Delivery-Id"] == dead.delivery_id
        assert hooks.get_delivery(dead.delivery_id).status == "SUCCEEDED"
        again = hooks.redeliver(dead.delivery_id)
        assert again.status == "PENDING"
        drain(worker)
        rx.wait_for(LOOPBACK.max_attempts + 2)
    with pytest.raises(NotFound):
        hooks.redeliver("no-such-delivery")


def test_a_failing_webhook_is_disabled_and_an_event_says_so(
    db: Database,
    hooks: WebhookService,
    reg: RegistryService,
    make_worker: MakeWorker,
    wclock: MovableClock,
) -> None:
    with receiver(default=500) as rx:
        hook = hooks.create_webhook("ci", rx.url, ["registered_model.created"], kind="http")
        for name in ("a", "b", "c"):
            reg.create_registered_model(name)
        worker = make_worker(replace(LOOPBACK, disable_after=2, max_attempts=10))
        drain(worker)
        wclock.advance(10 * 60_000)
        drain(worker)
    disabled = hooks.get_webhook(hook.webhook_id)
    assert disabled.status == "DISABLED"
    assert disabled.disabled_reason is not None and "2 consecutive" in disabled.disabled_reason
    with db.read() as conn:
        types = [e.type for e in EventStore(conn).list()]
    assert "webhook.disabled" in types
    sent = len(rx.requests)
    wclock.advance(60 * 60_000)
    drain(worker)
    assert len(rx.requests) == sent  # nothing goes to a disabled webhook
    assert hooks.update_webhook(hook.webhook_id, status="ACTIVE").consecutive_failures == 0


def test_one_models_events_reach_an_endpoint_in_order(
    hooks: WebhookService, reg: RegistryService, make_worker: MakeWorker, wclock: MovableClock
) -> None:
    failed: list[bool] = []

    def fail_churns_first(body: bytes) -> int | None:
        # The first delivery of churn's first tag fails; everything else succeeds.
        event = json.loads(body)["event"]
        if event["model_name"] == "churn" and event["payload"]["value"] == "1" and not failed:
            failed.append(True)
            return 500
        return 200

    with receiver() as rx:
        rx.decide = fail_churns_first
        hooks.create_webhook("ci", rx.url, ["registered_model_tag.set"], kind="http")
        reg.create_registered_model("churn")
        reg.create_registered_model("fraud")
        for value in ("1", "2", "3"):
            reg.set_registered_model_tag("churn", "k", value)
        reg.set_registered_model_tag("fraud", "k", "x")
        worker = make_worker()
        drain(worker)
        # churn's first failed: its later events wait; fraud's are not held up.
        first = sorted(
            (r.json()["event"]["model_name"], r.json()["event"]["payload"]["value"])
            for r in rx.requests
        )
        assert first == [("churn", "1"), ("fraud", "x")]
        wclock.advance(10 * 60_000)
        drain(worker)
        sent = rx.wait_for(5)
    churn = [r.json()["event"]["payload"]["value"] for r in sent if b"churn" in r.body]
    assert churn == ["1", "1", "2", "3"]


def test_two_workers_never_send_the_same_attempt(
    hooks: WebhookService, reg: RegistryService, make_worker: MakeWorker
) -> None:
    with receiver() as rx:
        hooks.create_webhook("ci", rx.url, ["registered_model.created"], kind="http")
        for i in range(20):
            reg.create_registered_model(f"m{i}")
        a, b = make_worker(name="a"), make_worker(name="b")
        for _ in range(10):
            a.run_once()
            b.run_once()
        sent = rx.wait_for(20)
    ids = [r.headers["X-MLflow-Delivery-Id"] for r in sent]
    assert len(ids) == len(set(ids)) == 20


def test_filters_and_stage_events(
    hooks: WebhookService, reg: RegistryService, make_worker: MakeWorker
) -> None:
    with receiver() as rx:
        hooks.create_webhook(
            "prod",
            rx.url,
            ["model_version.stage_transitioned"],
            kind="http",
            filters={"name_pattern": "ch*", "stages": ["Production"]},
        )
        for name in ("churn", "fraud"):
            reg.create_registered_model(name)
            reg.create_model_version(name, f"s3://b/{name}/1")
            reg.transition_model_version_stage(name, "1", "Staging")
            reg.transition_model_version_stage(name, "1", "Production")
        drain(make_worker())
        (got,) = rx.wait_for(1)
    event = got.json()["event"]
    assert (event["model_name"], event["payload"]["to_stage"]) == ("churn", "Production")


def test_test_webhook_sends_an_example_now(hooks: WebhookService) -> None:
    with receiver() as rx:
        hook = hooks.create_webhook("ci", rx.url, ["model_version.stage_transitioned"])
        result = hooks.test_webhook(hook.webhook_id)
        (got,) = rx.wait_for(1)
    assert result.success and result.response_status == 200
    assert got.json()["action"] == "stage_transitioned"


def test_bad_subscriptions_are_refused_with_what_is_allowed(hooks: WebhookService) -> None:
    with pytest.raises(InvalidArgument, match="Unknown event type"):
        hooks.create_webhook("x", "https://example.com", ["model.promoted"])
    with pytest.raises(InvalidArgument, match="at least one event"):
        hooks.create_webhook("x", "https://example.com", [])
    with pytest.raises(InvalidArgument, match="Unknown webhook kind"):
        hooks.create_webhook("x", "https://example.com", ["alias.set"], kind="ftp")
    with pytest.raises(InvalidArgument, match="Unknown webhook filter"):
        hooks.create_webhook("x", "https://example.com", ["alias.set"], filters={"tag": "x"})
    with pytest.raises(InvalidArgument, match="Authorization header as `authorization`"):
        hooks.create_webhook(
            "x",
            "https://example.com",
            ["alias.set"],
            kind="http",
            target={"headers": {"Authorization": "token"}},
        )
    with pytest.raises(InvalidArgument, match="databricks_events from"):
        hooks.create_webhook(
            "x",
            "https://example.com",
            ["comment.created"],
            kind="databricks",
            target={"databricks_events": ["COMMENT_EDITED"]},
        )
    hook = hooks.create_webhook("ok", "https://example.com", ["comment.created"])
    assert hook.events == ("comment.created",)  # a reserved name is accepted today


def test_webhooks_are_listed_for_one_model(hooks: WebhookService) -> None:
    url = "https://hooks.example/x"
    everywhere = hooks.create_webhook("all", url, ["registered_model.created"])
    first = hooks.create_webhook("a", url, ["registered_model.created"], model_name="churn")
    hooks.create_webhook("b", url, ["registered_model.created"], model_name="fraud")
    second = hooks.create_webhook("c", url, ["registered_model.created"], model_name="churn")
    page = hooks.list_webhooks(max_results=1, model_name="churn")
    assert [h.webhook_id for h in page] == [first.webhook_id] and page.token
    rest = hooks.list_webhooks(max_results=1, page_token=page.token, model_name="churn")
    assert [h.webhook_id for h in rest] == [second.webhook_id] and rest.token is None
    # Registry-wide hooks (which fire for every model) are not "the model's".
    assert everywhere.webhook_id not in {
        h.webhook_id for h in hooks.list_webhooks(model_name="churn")
    }
    assert len(hooks.list_webhooks()) == 4
