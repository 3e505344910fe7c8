"""modelreg's JSON for webhooks, deliveries and test results (server and client share it)."""

from __future__ import annotations

from typing import Any

from modelreg.webhooks.model import Delivery, TestResult, Webhook

Body = dict[str, Any]


def test_result_json(result: TestResult) -> Body:
    body: Body = {"success": result.success}
    if result.response_status is not None:
        body["response_status"] = result.response_status
    if result.response_body is not None:
        body["response_body"] = result.response_body
    if result.error_message is not None:
        body["error_message"] = result.error_message
    return body


def webhook_json(hook: Webhook) -> Body:
    return {
        "webhook_id": hook.webhook_id,
        "name": hook.name,
        "description": hook.description,
        "kind": hook.kind,
        "url": hook.url,
        "events": list(hook.events),
        "status": hook.status,
        "model_name": hook.model_name,
        "filters": dict(hook.filters),
        "target": dict(hook.target),
        "has_secret": hook.has_secret,
        "has_authorization": hook.has_authorization,
        "consecutive_failures": hook.consecutive_failures,
        "disabled_reason": hook.disabled_reason,
        "creation_timestamp": hook.creation_timestamp,
        "last_updated_timestamp": hook.last_updated_timestamp,
    }


def delivery_json(delivery: Delivery) -> Body:
    body: Body = {
        "delivery_id": delivery.delivery_id,
        "webhook_id": delivery.webhook_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "created_at": delivery.created_at,
        "completed_at": delivery.completed_at,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
    }
    if delivery.attempt_log:
        body["attempt_log"] = [
            {
                "attempt": a.attempt,
                "started_at": a.started_at,
                "latency_ms": a.latency_ms,
                "status_code": a.status_code,
                "succeeded": a.succeeded,
                "error": a.error,
                "response_excerpt": a.response_excerpt,
                "worker": a.worker,
            }
            for a in delivery.attempt_log
        ]
    return body
