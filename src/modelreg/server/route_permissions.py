"""Permission declarations of the history, Databricks webhook and metrics routes.

Those route modules were written beside authentication, not on top of it; their
declarations live here, keyed by operation id, and :func:`declared` applies them to
the route table. Routes written since (and the approvals and webhook routes) declare
``permission=`` inline, as the rest do. The coverage test
(tests/server/test_auth_coverage.py) walks the resulting table, so a route missing
from both places still fails the suite.

What each level means for these routes:

* reading a version's history and time travel needs READ on the model;
* rolling an alias back needs EDIT (a promotion policy may ask for more);
* the event feed and chain verification without a model name cover the whole
  registry, so they are for admins;
* webhooks send a model's events to outside systems: one scoped to a model is
  managed with MANAGE on that model (creating, changing, testing, deleting it, its
  deliveries); a registry-wide one (no model name; MLflow's webhooks are all
  registry-wide) by admins. A list shows each caller the webhooks they manage
  (filtered in SQL by the webhook service).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Final

from modelreg.server.authz import (
    AUTHENTICATED,
    EDIT,
    OPEN,
    READ,
    ModelPermission,
    Requirement,
    WebhookPermission,
)
from modelreg.server.routing import Endpoint

_READ: Final = ModelPermission(READ)
_EDIT: Final = ModelPermission(EDIT)
_ALL_FOR_ADMINS: Final = ModelPermission(READ, whole_registry_for_admins=True)
# Public: the UI's webhook pages declare the same requirements (server/ui/routes.py).
NEW_WEBHOOK: Final = WebhookPermission("model_name", "create")
WEBHOOK: Final = WebhookPermission("webhook_id")
_DELIVERY: Final = WebhookPermission("delivery_id", "delivery")

PERMISSIONS: Final[dict[str, Requirement]] = {
    # history
    "searchEvents": _ALL_FOR_ADMINS,
    "getAliasAt": _READ,
    "getStageVersionsAt": _READ,
    "rollbackAlias": _EDIT,
    "verifyEvents": _ALL_FOR_ADMINS,
    # webhooks (MLflow's, modelreg's and Databricks' APIs)
    "createWebhook": NEW_WEBHOOK,
    "listWebhooks": AUTHENTICATED,
    "getWebhook": WEBHOOK,
    "updateWebhook": WEBHOOK,
    "deleteWebhook": WEBHOOK,
    "testWebhook": WEBHOOK,
    "modelregCreateWebhook": NEW_WEBHOOK,
    "modelregListWebhooks": AUTHENTICATED,
    "modelregGetWebhook": WEBHOOK,
    "modelregUpdateWebhook": WEBHOOK,
    "modelregDeleteWebhook": WEBHOOK,
    "modelregTestWebhook": WEBHOOK,
    "modelregListDeliveries": WEBHOOK,
    "modelregRedeliverDead": WEBHOOK,
    "modelregGetDelivery": _DELIVERY,
    "modelregRedeliver": _DELIVERY,
    "createRegistryWebhook": NEW_WEBHOOK,
    "listRegistryWebhooks": AUTHENTICATED,
    "updateRegistryWebhook": WebhookPermission("id"),
    "deleteRegistryWebhook": WebhookPermission("id"),
    "testRegistryWebhook": WebhookPermission("id"),
    # databricks-sdk's start-up probe, sent without credentials
    "databricksConfig": OPEN,
    # Prometheus metrics: with --auth, for signed-in callers only (a scraper gets a token)
    "metrics": AUTHENTICATED,
}


def declared(endpoints: Iterable[Endpoint]) -> list[Endpoint]:
    """``endpoints`` with the declarations above filled in where a route has none."""
    return [
        replace(e, permission=PERMISSIONS[e.operation_id])
        if e.permission is None and e.operation_id in PERMISSIONS
        else e
        for e in endpoints
    ]
