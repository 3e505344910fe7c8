"""Webhook pages: the list with a create form, one webhook with its deliveries (and
one delivery's attempts), a test send and redelivery; and the model page's panel of
the webhooks scoped to that model.

Who may do what is the API's rule, checked by the same requirements
(``route_permissions.NEW_WEBHOOK`` and ``WEBHOOK``, declared on these routes): a
model's webhooks are managed by whoever has MANAGE on the model, registry-wide ones by
admins; the list shows each caller the webhooks they manage (the service filters).
Views and changes go through ``services.webhooks`` acting as the caller; secrets are
write-only (the page shows only whether one is set, as the API does).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from modelreg.errors import InvalidArgument
from modelreg.principal import Principal
from modelreg.server.ui.format import path_part
from modelreg.server.ui.sections import Section, SectionContext, Sections
from modelreg.server.ui.views import Ui
from modelreg.webhooks.matching import KINDS

# The create form's route: its requirement names the posted model_name field.
CREATE: Final = "/webhooks/create"
PAGE_SIZE: Final = 25
MODEL_PANEL_SIZE: Final = 10
Change = Callable[[Principal, Mapping[str, str], dict[str, str]], str]


def webhooks_page(ui: Ui, who: Principal, query: Mapping[str, str]) -> dict[str, Any]:
    token = query.get("page") or None
    model = query.get("model") or None  # only the webhooks scoped to this model
    found = ui.acting(who).webhooks.list_webhooks(
        max_results=PAGE_SIZE, page_token=token, model_name=model
    )
    # A create form without a model asks for a registry-wide webhook: offered (the
    # model field left optional) only where the route would accept one.
    wide = ui.access.allowed(who, {"wide": CREATE}, {})["wide"]
    return {
        "webhooks": list(found),
        "next_token": found.token,
        "kinds": KINDS,
        "model": model,
        "registry_wide": wide,
    }


def _model_webhooks(context: SectionContext) -> Mapping[str, Any] | None:
    """The model page's panel: webhooks scoped to the model (one statement), shown
    only to a caller who may manage them (may create one for this model: MANAGE)."""
    if not context.can.get("create_webhook", False):
        return None
    found = context.services.webhooks.list_webhooks(
        max_results=MODEL_PANEL_SIZE, model_name=context.name
    )
    return {"webhooks": list(found), "more": found.token is not None}


def add_sections(sections: Sections) -> None:
    """The model page's webhooks panel (after the policies and open requests)."""
    sections.add(
        "model",
        Section(
            "webhooks",
            "Webhooks",
            "sections/webhooks.html",
            _model_webhooks,
            order=120,
            # Checked with the model page's path, which names the model as model_name too.
            actions={"create_webhook": CREATE},
        ),
    )


def webhook_page(
    ui: Ui, who: Principal, webhook_id: str, query: Mapping[str, str]
) -> dict[str, Any]:
    service = ui.acting(who).webhooks
    hook = service.get_webhook(webhook_id)
    deliveries = service.list_deliveries(
        webhook_id, max_results=PAGE_SIZE, page_token=query.get("page") or None
    )
    chosen = query.get("delivery")
    shown = service.get_delivery(chosen) if chosen else None
    if shown is not None and shown.webhook_id != webhook_id:
        raise InvalidArgument(f"Delivery {chosen} belongs to another webhook.")
    return {
        "hook": hook,
        "deliveries": list(deliveries),
        "next_token": deliveries.token,
        "delivery": shown,
        "test": None,
    }


def test_webhook(ui: Ui, who: Principal, webhook_id: str) -> dict[str, Any]:
    """Send an example event now; the webhook's page with the outcome."""
    result = ui.acting(who).webhooks.test_webhook(webhook_id)
    return {**webhook_page(ui, who, webhook_id, {}), "test": result}


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def make_changes(ui: Ui) -> dict[str, Change]:
    """The POST changes, for ``routes.action``."""

    def create(who: Principal, path: Mapping[str, str], form: dict[str, str]) -> str:
        model_name = form.get("model_name", "").strip()
        # The gate saw no form: MANAGE on this model (or admin for none) is checked here.
        ui.access.check_form(who, CREATE, {**form, "model_name": model_name}, path)
        hook = ui.acting(who).webhooks.create_webhook(
            form.get("name", "").strip(),
            form.get("url", "").strip(),
            _names(form.get("events", "")),
            kind=form.get("kind", "mlflow"),
            description=form.get("description") or None,
            secret=form.get("secret") or None,
            model_name=model_name or None,
        )
        return f"/webhooks/{path_part(hook.webhook_id)}"

    def redeliver(who: Principal, path: Mapping[str, str], form: dict[str, str]) -> str:
        webhook_id = path["webhook_id"]
        delivery = ui.acting(who).webhooks.get_delivery(form.get("delivery_id", ""))
        if delivery.webhook_id != webhook_id:
            raise InvalidArgument("That delivery belongs to another webhook.")
        ui.acting(who).webhooks.redeliver(delivery.delivery_id)
        return f"/webhooks/{path_part(webhook_id)}?delivery={path_part(delivery.delivery_id)}"

    return {"create": create, "redeliver": redeliver}
