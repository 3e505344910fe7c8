"""Webhook endpoints: MLflow 3's ``/mlflow/webhooks`` and modelreg's ``/modelreg/webhooks``.

MLflow's API speaks MLflow's names (``{"entity": "MODEL_VERSION", "action":
"CREATED"}``, statuses ACTIVE/DISABLED) and shows only what MLflow's client can
read: webhooks with at least one MLflow event, those events only. modelreg's API
has everything: every event type, the target kinds, filters, deliveries and
redelivery. Both call the same service; secrets go in and never come out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelreg.errors import InvalidArgument
from modelreg.limits import WEBHOOKS_PAGE_DEFAULT, WEBHOOKS_PAGE_MAX
from modelreg.server import wire as w
from modelreg.server.context import Call
from modelreg.server.routing import Endpoint, Field, api_paths, group
from modelreg.server.schemas import BOOLEAN, EMPTY, INTEGER, STRING, array, obj, page_size
from modelreg.webhooks.codec import delivery_json, test_result_json, webhook_json
from modelreg.webhooks.model import Webhook
from modelreg.webhooks.names import MLFLOW_TO_TYPE, TYPE_TO_MLFLOW

Body = dict[str, Any]

# ------------------------------------------------------------------ MLflow wire


def _mlflow_event(value: Any) -> str:
    if not isinstance(value, Mapping):
        raise w.invalid_value("events", value, 'an object {"entity": ..., "action": ...}')
    entity, action = value.get("entity"), value.get("action")
    if not isinstance(entity, str) or not isinstance(action, str):
        raise InvalidArgument("A webhook event needs an entity and an action.")
    found = MLFLOW_TO_TYPE.get((entity.lower(), action.lower()))
    if found is None:
        allowed = ", ".join(f"{e}.{a}" for e, a in MLFLOW_TO_TYPE)
        raise InvalidArgument(
            f"Invalid webhook event {entity.lower()}.{action.lower()}; allowed: {allowed}."
        )
    return found


def _mlflow_events(call: Call, required: bool) -> list[str] | None:
    values = call.params.values("events")
    if not values:
        if required:
            raise w.missing_value("events")
        return None
    return [_mlflow_event(v) for v in values]


def _mlflow_status(call: Call) -> str | None:
    status = w.optional_str(call.params, "status")
    if status is None:
        return None
    if status.upper() not in ("ACTIVE", "DISABLED"):
        raise InvalidArgument(f"Invalid webhook status {status!r}; allowed: ACTIVE, DISABLED.")
    return status.upper()


def mlflow_webhook_json(hook: Webhook) -> Body:
    body: Body = {
        "webhook_id": hook.webhook_id,
        "name": hook.name,
        "url": hook.url,
        "events": [
            {"entity": TYPE_TO_MLFLOW[t][0].upper(), "action": TYPE_TO_MLFLOW[t][1].upper()}
            for t in hook.events
            if t in TYPE_TO_MLFLOW
        ],
        # MLflow has no TEST_MODE: such a webhook does not fire on events.
        "status": "ACTIVE" if hook.status == "ACTIVE" else "DISABLED",
        "creation_timestamp": hook.creation_timestamp,
        "last_updated_timestamp": hook.last_updated_timestamp,
    }
    if hook.description:
        body["description"] = hook.description
    return body


def _mlflow_visible(hook: Webhook) -> bool:
    return any(t in TYPE_TO_MLFLOW for t in hook.events)


def mlflow_create(call: Call) -> Body:
    p = call.params
    hook = call.webhooks.create_webhook(
        w.required_str(p, "name"),
        w.required_str(p, "url"),
        _mlflow_events(call, required=True) or [],
        description=w.optional_str(p, "description"),
        secret=w.optional_str(p, "secret"),
        status=_mlflow_status(call),
    )
    return {"webhook": mlflow_webhook_json(hook)}


def mlflow_list(call: Call) -> Body:
    p = call.params
    page = call.webhooks.list_webhooks(
        w.optional_int(p, "max_results"), w.optional_str(p, "page_token")
    )
    body: Body = {"webhooks": [mlflow_webhook_json(h) for h in page if _mlflow_visible(h)]}
    if page.token:
        body["next_page_token"] = page.token
    return body


def mlflow_get(call: Call) -> Body:
    return {"webhook": mlflow_webhook_json(call.webhooks.get_webhook(_id(call)))}


def mlflow_update(call: Call) -> Body:
    p = call.params
    hook = call.webhooks.update_webhook(
        _id(call),
        name=w.optional_str(p, "name"),
        description=w.optional_str(p, "description"),
        url=w.optional_str(p, "url"),
        events=_mlflow_events(call, required=False),
        secret=w.optional_str(p, "secret"),
        status=_mlflow_status(call),
    )
    return {"webhook": mlflow_webhook_json(hook)}


def delete(call: Call) -> Body:
    call.webhooks.delete_webhook(_id(call))
    return {}


def mlflow_test(call: Call) -> Body:
    raw = call.params.value("event")
    event = _mlflow_event(raw) if raw else None
    return {"result": test_result_json(call.webhooks.test_webhook(_id(call), event))}


def _id(call: Call) -> str:
    return w.required_str(call.params, "webhook_id")


# ------------------------------------------------------------------ modelreg's API


def _object(call: Call, name: str) -> dict[str, Any] | None:
    value = call.params.value(name)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise w.invalid_value(name, value, "an object")
    return dict(value)


def create(call: Call) -> Body:
    p = call.params
    hook = call.webhooks.create_webhook(
        w.required_str(p, "name"),
        w.required_str(p, "url"),
        w.optional_strings(p, "events") or [],
        kind=w.optional_str(p, "kind") or "http",
        description=w.optional_str(p, "description"),
        secret=w.optional_str(p, "secret"),
        authorization=w.optional_str(p, "authorization"),
        status=w.optional_str(p, "status"),
        model_name=w.optional_str(p, "model_name"),
        filters=_object(call, "filters"),
        target=_object(call, "target"),
    )
    return {"webhook": webhook_json(hook)}


def list_(call: Call) -> Body:
    p = call.params
    page = call.webhooks.list_webhooks(
        w.optional_int(p, "max_results"), w.optional_str(p, "page_token")
    )
    body: Body = {"webhooks": [webhook_json(h) for h in page]}
    if page.token:
        body["next_page_token"] = page.token
    return body


def get(call: Call) -> Body:
    return {"webhook": webhook_json(call.webhooks.get_webhook(_id(call)))}


def update(call: Call) -> Body:
    p = call.params
    hook = call.webhooks.update_webhook(
        _id(call),
        name=w.optional_str(p, "name"),
        description=w.optional_str(p, "description"),
        url=w.optional_str(p, "url"),
        events=w.optional_strings(p, "events"),
        secret=w.optional_str(p, "secret"),
        authorization=w.optional_str(p, "authorization"),
        status=w.optional_str(p, "status"),
        filters=_object(call, "filters"),
        target=_object(call, "target"),
    )
    return {"webhook": webhook_json(hook)}


def test(call: Call) -> Body:
    result = call.webhooks.test_webhook(_id(call), w.optional_str(call.params, "event"))
    return {"result": test_result_json(result)}


def deliveries(call: Call) -> Body:
    p = call.params
    page = call.webhooks.list_deliveries(
        _id(call),
        w.optional_str(p, "status"),
        w.optional_int(p, "max_results"),
        w.optional_str(p, "page_token"),
    )
    body: Body = {"deliveries": [delivery_json(d) for d in page]}
    if page.token:
        body["next_page_token"] = page.token
    return body


def redeliver_dead(call: Call) -> Body:
    return {"requeued": call.webhooks.redeliver_dead(_id(call))}


def get_delivery(call: Call) -> Body:
    delivery = call.webhooks.get_delivery(w.required_str(call.params, "delivery_id"))
    return {"delivery": delivery_json(delivery)}


def redeliver(call: Call) -> Body:
    delivery = call.webhooks.redeliver(w.required_str(call.params, "delivery_id"))
    return {"delivery": delivery_json(delivery)}


# ------------------------------------------------------------------ the table
_EVENT = obj({"entity": STRING, "action": STRING})
_MLFLOW_HOOK = obj(
    {
        "webhook_id": STRING,
        "name": STRING,
        "description": STRING,
        "url": STRING,
        "events": array(_EVENT),
        "status": STRING,
        "creation_timestamp": INTEGER,
        "last_updated_timestamp": INTEGER,
    }
)
_RESULT = obj(
    {
        "success": BOOLEAN,
        "response_status": INTEGER,
        "response_body": STRING,
        "error_message": STRING,
    }
)
_HOOK: dict[str, Any] = {"type": "object", "description": "A webhook (secrets never shown)."}
_DELIVERY: dict[str, Any] = {"type": "object", "description": "A delivery and its attempts."}
_ID = Field("webhook_id", STRING, required=True)
_DELIVERY_ID = Field("delivery_id", STRING, required=True)
_PAGE = (
    Field("max_results", page_size(WEBHOOKS_PAGE_MAX, WEBHOOKS_PAGE_DEFAULT)),
    Field("page_token", STRING),
)
_MLFLOW_FIELDS = (
    Field("name", STRING),
    Field("description", STRING),
    Field("url", STRING),
    Field("events", array(_EVENT)),
    Field("secret", STRING, description="HMAC secret; stored encrypted, never returned."),
    Field("status", STRING),
)
_FIELDS = (
    Field("name", STRING),
    Field("description", STRING),
    Field("url", STRING),
    Field("events", array(STRING), description="modelreg event types (docs/events.md)."),
    Field("kind", STRING, description="mlflow | databricks | http | slack | email"),
    Field("secret", STRING),
    Field("authorization", STRING),
    Field("status", STRING),
    Field("model_name", STRING),
    Field("filters", {"type": "object"}),
    Field("target", {"type": "object"}),
)


def _mr(path: str) -> tuple[str, ...]:
    return api_paths(f"/modelreg/{path}")


# Who may manage which webhook (MANAGE on its model, or admins): route_permissions.py.
ENDPOINTS: tuple[Endpoint, ...] = group(
    Endpoint(
        "POST",
        api_paths("/mlflow/webhooks"),
        "createWebhook",
        "Create a webhook (MLflow 3).",
        obj({"webhook": _MLFLOW_HOOK}),
        _MLFLOW_FIELDS,
        mlflow_create,
    ),
    Endpoint(
        "GET",
        api_paths("/mlflow/webhooks"),
        "listWebhooks",
        "List webhooks (MLflow 3).",
        obj({"webhooks": array(_MLFLOW_HOOK), "next_page_token": STRING}),
        _PAGE,
        mlflow_list,
    ),
    Endpoint(
        "GET",
        api_paths("/mlflow/webhooks/{webhook_id}"),
        "getWebhook",
        "Get a webhook (MLflow 3).",
        obj({"webhook": _MLFLOW_HOOK}),
        (_ID,),
        mlflow_get,
    ),
    Endpoint(
        "PATCH",
        api_paths("/mlflow/webhooks/{webhook_id}"),
        "updateWebhook",
        "Update a webhook (MLflow 3).",
        obj({"webhook": _MLFLOW_HOOK}),
        (_ID, *_MLFLOW_FIELDS),
        mlflow_update,
    ),
    Endpoint(
        "DELETE",
        api_paths("/mlflow/webhooks/{webhook_id}"),
        "deleteWebhook",
        "Delete a webhook and its deliveries.",
        EMPTY,
        (_ID,),
        delete,
    ),
    Endpoint(
        "POST",
        api_paths("/mlflow/webhooks/{webhook_id}/test"),
        "testWebhook",
        "Send an example event to a webhook now.",
        obj({"result": _RESULT}),
        (_ID, Field("event", _EVENT)),
        mlflow_test,
        writes=False,  # waits on the webhook's receiver: never in a write lane
    ),
    Endpoint(
        "POST",
        _mr("webhooks"),
        "modelregCreateWebhook",
        "Create a webhook of any kind, for any event types, with filters.",
        obj({"webhook": _HOOK}),
        _FIELDS,
        create,
    ),
    Endpoint(
        "GET",
        _mr("webhooks"),
        "modelregListWebhooks",
        "List webhooks.",
        obj({"webhooks": array(_HOOK), "next_page_token": STRING}),
        _PAGE,
        list_,
    ),
    Endpoint(
        "GET",
        _mr("webhooks/{webhook_id}"),
        "modelregGetWebhook",
        "Get a webhook.",
        obj({"webhook": _HOOK}),
        (_ID,),
        get,
    ),
    Endpoint(
        "PATCH",
        _mr("webhooks/{webhook_id}"),
        "modelregUpdateWebhook",
        "Update a webhook.",
        obj({"webhook": _HOOK}),
        (_ID, *_FIELDS),
        update,
    ),
    Endpoint(
        "DELETE",
        _mr("webhooks/{webhook_id}"),
        "modelregDeleteWebhook",
        "Delete a webhook and its deliveries.",
        EMPTY,
        (_ID,),
        delete,
    ),
    Endpoint(
        "POST",
        _mr("webhooks/{webhook_id}/test"),
        "modelregTestWebhook",
        "Send an example event (any type it subscribes to) now.",
        obj({"result": _RESULT}),
        (_ID, Field("event", STRING)),
        test,
        writes=False,  # waits on the webhook's receiver: never in a write lane
    ),
    Endpoint(
        "GET",
        _mr("webhooks/{webhook_id}/deliveries"),
        "modelregListDeliveries",
        "A webhook's deliveries, newest first.",
        obj({"deliveries": array(_DELIVERY), "next_page_token": STRING}),
        (_ID, Field("status", STRING), *_PAGE),
        deliveries,
    ),
    Endpoint(
        "POST",
        _mr("webhooks/{webhook_id}/redeliver"),
        "modelregRedeliverDead",
        "Send every dead-lettered delivery of a webhook again.",
        obj({"requeued": INTEGER}),
        (_ID,),
        redeliver_dead,
    ),
    Endpoint(
        "GET",
        _mr("webhook-deliveries/{delivery_id}"),
        "modelregGetDelivery",
        "A delivery with its attempt log.",
        obj({"delivery": _DELIVERY}),
        (_DELIVERY_ID,),
        get_delivery,
    ),
    Endpoint(
        "POST",
        _mr("webhook-deliveries/{delivery_id}/redeliver"),
        "modelregRedeliver",
        "Send one delivery again (same delivery id).",
        obj({"delivery": _DELIVERY}),
        (_DELIVERY_ID,),
        redeliver,
    ),
    tag="webhooks",
)
