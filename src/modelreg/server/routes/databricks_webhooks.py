"""Databricks' registry webhooks (``/api/2.0/mlflow/registry-webhooks/…``).

So ``databricks-sdk``'s ``w.model_registry.create_webhook(events=[…], model_name=…,
http_url_spec=HttpUrlSpec(url, secret, authorization))`` works unchanged. Event
names map onto modelreg's types in modelreg.webhooks.names. Job webhooks
(``job_spec``) run Databricks jobs, which modelreg has not: refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.limits import WEBHOOKS_PAGE_DEFAULT, WEBHOOKS_PAGE_MAX
from modelreg.server import wire as w
from modelreg.server.context import Call
from modelreg.server.routing import Endpoint, Field, api_paths
from modelreg.server.schemas import EMPTY, INTEGER, STRING, array, obj, page_size
from modelreg.webhooks.model import Webhook
from modelreg.webhooks.names import DATABRICKS_EVENTS, DATABRICKS_REGISTRY_WIDE_ONLY

Body = dict[str, Any]
_STATUSES = ("ACTIVE", "DISABLED", "TEST_MODE")


def _events(call: Call, required: bool) -> list[str] | None:
    values = w.optional_strings(call.params, "events")
    if not values:
        if required:
            raise w.missing_value("events")
        return None
    unknown = [v for v in values if v not in DATABRICKS_EVENTS]
    if unknown:
        raise InvalidArgument(
            f"Unknown registry webhook event(s) {unknown}; allowed: {', '.join(DATABRICKS_EVENTS)}."
        )
    return list(dict.fromkeys(values))


def _refuse_job_spec(call: Call) -> None:
    if call.params.value("job_spec") is not None:
        raise InvalidArgument(
            "job_spec webhooks run Databricks jobs, which modelreg does not have; "
            "give http_url_spec (a URL to POST to) instead."
        )


def _http_spec(call: Call, required: bool) -> dict[str, Any] | None:
    spec = call.params.value("http_url_spec")
    if spec is None:
        if required:
            raise w.missing_value("http_url_spec")
        return None
    if not isinstance(spec, Mapping) or not isinstance(spec.get("url"), str):
        raise w.invalid_value("http_url_spec", spec, 'an object with a "url"')
    if spec.get("enable_ssl_verification") is False:
        raise InvalidArgument(
            "enable_ssl_verification=false is not supported: webhook targets are always "
            "verified (use a certificate the server trusts)."
        )
    for key in ("secret", "authorization"):
        if spec.get(key) is not None and not isinstance(spec.get(key), str):
            raise w.invalid_value(f"http_url_spec.{key}", spec.get(key), "a string")
    return dict(spec)


def _status(call: Call) -> str | None:
    status = w.optional_str(call.params, "status")
    if status is not None and status not in _STATUSES:
        raise InvalidArgument(f"Invalid status {status!r}; allowed: {', '.join(_STATUSES)}.")
    return status


def _types(events: list[str]) -> list[str]:
    return list(dict.fromkeys(DATABRICKS_EVENTS[e].type for e in events))


def registry_webhook_json(hook: Webhook) -> Body:
    body: Body = {
        "id": hook.webhook_id,
        "events": list(hook.target.get("databricks_events") or ()),
        "http_url_spec": {"url": hook.url, "enable_ssl_verification": True},
        "status": hook.status,
        "creation_timestamp": hook.creation_timestamp,
        "last_updated_timestamp": hook.last_updated_timestamp,
    }
    if hook.model_name:
        body["model_name"] = hook.model_name
    if hook.description:
        body["description"] = hook.description
    return body


def create(call: Call) -> Body:
    _refuse_job_spec(call)
    p = call.params
    events = _events(call, required=True) or []
    model_name = w.optional_str(p, "model_name")
    if model_name and DATABRICKS_REGISTRY_WIDE_ONLY & set(events):
        raise InvalidArgument(
            "REGISTERED_MODEL_CREATED can only be used by a registry-wide webhook "
            "(create it without model_name)."
        )
    spec = _http_spec(call, required=True) or {}
    description = w.optional_str(p, "description")
    hook = call.webhooks.create_webhook(
        description or f"registry webhook ({model_name or 'all models'})",
        spec["url"],
        _types(events),
        kind="databricks",
        description=description,
        secret=spec.get("secret"),
        authorization=spec.get("authorization"),
        status=_status(call),
        model_name=model_name,
        target={"databricks_events": events},
    )
    return {"webhook": registry_webhook_json(hook)}


def list_(call: Call) -> Body:
    p = call.params
    wanted = set(_events(call, required=False) or ())
    model_name = w.optional_str(p, "model_name")
    page = call.webhooks.list_webhooks(
        w.optional_int(p, "max_results"), w.optional_str(p, "page_token")
    )
    found = []
    for hook in page:
        if hook.kind != "databricks":
            continue
        if model_name is not None and hook.model_name != model_name:
            continue
        if wanted and not wanted & set(hook.target.get("databricks_events") or ()):
            continue
        found.append(registry_webhook_json(hook))
    body: Body = {"webhooks": found} if found else {}
    if page.token:
        body["next_page_token"] = page.token
    return body


def _databricks_id(call: Call) -> str:
    webhook_id = w.required_str(call.params, "id")
    hook = call.webhooks.get_webhook(webhook_id)
    if hook.kind != "databricks":
        raise InvalidArgument(
            f"Webhook {webhook_id} is not a registry webhook; manage it with "
            "/api/2.0/mlflow/webhooks or /api/2.0/modelreg/webhooks."
        )
    return webhook_id


def update(call: Call) -> Body:
    _refuse_job_spec(call)
    p = call.params
    webhook_id = _databricks_id(call)
    events = _events(call, required=False)
    spec = _http_spec(call, required=False) or {}
    hook = call.webhooks.update_webhook(
        webhook_id,
        description=w.optional_str(p, "description"),
        url=spec.get("url"),
        events=_types(events) if events else None,
        secret=spec.get("secret"),
        authorization=spec.get("authorization"),
        status=_status(call),
        target={"databricks_events": events} if events else None,
    )
    return {"webhook": registry_webhook_json(hook)}


def delete(call: Call) -> Body:
    call.webhooks.delete_webhook(_databricks_id(call))
    return {}


def test(call: Call) -> Body:
    webhook_id = _databricks_id(call)
    event = w.optional_str(call.params, "event")
    if event is not None and event not in DATABRICKS_EVENTS:
        raise InvalidArgument(f"Unknown registry webhook event {event!r}.")
    result = call.webhooks.test_webhook(webhook_id, event)
    body: Body = {}
    if result.response_status is not None:
        body["status_code"] = result.response_status
    body["body"] = result.response_body or result.error_message or ""
    return body


_HOOK = obj(
    {
        "id": STRING,
        "events": array(STRING),
        "http_url_spec": obj({"url": STRING}),
        "model_name": STRING,
        "status": STRING,
        "description": STRING,
        "creation_timestamp": INTEGER,
        "last_updated_timestamp": INTEGER,
    }
)
_SPEC = obj({"url": STRING, "secret": STRING, "authorization": STRING})
_FIELDS = (
    Field("events", array(STRING)),
    Field("description", STRING),
    Field("http_url_spec", _SPEC),
    Field("job_spec", {"type": "object"}, description="Refused: modelreg runs no jobs."),
    Field("model_name", STRING),
    Field("status", STRING),
)
_ID = Field("id", STRING, required=True)


def _path(op: str) -> tuple[str, ...]:
    return api_paths(f"/mlflow/registry-webhooks/{op}")


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "POST",
        _path("create"),
        "createRegistryWebhook",
        "Create a registry webhook (Databricks).",
        obj({"webhook": _HOOK}),
        _FIELDS,
        create,
        tag="webhooks",
    ),
    Endpoint(
        "GET",
        _path("list"),
        "listRegistryWebhooks",
        "List registry webhooks (Databricks).",
        obj({"webhooks": array(_HOOK), "next_page_token": STRING}),
        (
            Field("events", array(STRING)),
            Field("model_name", STRING),
            Field("max_results", page_size(WEBHOOKS_PAGE_MAX, WEBHOOKS_PAGE_DEFAULT)),
            Field("page_token", STRING),
        ),
        list_,
        tag="webhooks",
    ),
    Endpoint(
        "PATCH",
        _path("update"),
        "updateRegistryWebhook",
        "Update a registry webhook (Databricks).",
        obj({"webhook": _HOOK}),
        (_ID, *_FIELDS),
        update,
        tag="webhooks",
    ),
    Endpoint(
        "DELETE",
        _path("delete"),
        "deleteRegistryWebhook",
        "Delete a registry webhook (Databricks).",
        EMPTY,
        (_ID,),
        delete,
        tag="webhooks",
    ),
    Endpoint(
        "POST",
        _path("test"),
        "testRegistryWebhook",
        "Send an example event to a registry webhook now (Databricks).",
        obj({"status_code": INTEGER, "body": STRING}),
        (_ID, Field("event", STRING)),
        test,
        tag="webhooks",
        writes=False,  # waits on the webhook's receiver: never in a write lane
    ),
)
