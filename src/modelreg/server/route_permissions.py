"""Permission declarations of the approvals, history, webhook and metrics routes.

Those route modules were written beside authentication, not on top of it; their
declarations live here, keyed by operation id, and :func:`declared` applies them to
the route table. Routes written since declare ``permission=`` inline, as the rest do.
The coverage test (tests/server/test_auth_coverage.py) walks the resulting table, so a
route missing from both places still fails the suite.

What each level means for these routes:

* reading a version's collaboration state (comments, requests, checks, policies,
  history, time travel) needs READ on the model; commenting and asking for a
  transition too (anyone who can see a version may discuss it or ask for it to move);
* approving, rejecting, moving stages directly, posting CI checks and rolling an
  alias back need EDIT (a promotion policy narrows who may approve further);
* promotion policies are changed with MANAGE;
* a comment or request named by id is checked by the service (its author, or an
  admin); the event feed and chain verification without a model name cover the whole
  registry, so they are for admins;
* webhooks deliver any model's events to outside systems: admins manage them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Final

from modelreg.server.authz import (
    ADMIN_ONLY,
    AUTHENTICATED,
    EDIT,
    MANAGE,
    OPEN,
    READ,
    ModelPermission,
    Requirement,
)
from modelreg.server.routing import Endpoint

_READ: Final = ModelPermission(READ)
_EDIT: Final = ModelPermission(EDIT)
_ALL_FOR_ADMINS: Final = ModelPermission(READ, whole_registry_for_admins=True)

PERMISSIONS: Final[dict[str, Requirement]] = {
    # comments
    "createComment": _READ,
    "updateComment": AUTHENTICATED,
    "deleteComment": AUTHENTICATED,
    "listComments": _READ,
    # transition and alias requests
    "createTransitionRequest": _READ,
    "approveTransitionRequest": _EDIT,
    "rejectTransitionRequest": _EDIT,
    "listTransitionRequests": _READ,
    "deleteTransitionRequest": _READ,
    "databricksTransitionStage": _EDIT,
    "createAliasRequest": _READ,
    "approveAliasRequest": _EDIT,
    "rejectAliasRequest": _EDIT,
    "listAliasRequests": _READ,
    "deleteAliasRequest": _READ,
    # promotion policies and status checks
    "setPromotionPolicy": ModelPermission(MANAGE),
    "getPromotionPolicy": _READ,
    "listPromotionPolicies": _READ,
    "deletePromotionPolicy": ModelPermission(MANAGE),
    "setStatusCheck": _EDIT,
    "listStatusChecks": _READ,
    # history
    "searchEvents": _ALL_FOR_ADMINS,
    "getAliasAt": _READ,
    "getStageVersionsAt": _READ,
    "rollbackAlias": _EDIT,
    "verifyEvents": _ALL_FOR_ADMINS,
    # webhooks (MLflow's, modelreg's and Databricks' APIs)
    "createWebhook": ADMIN_ONLY,
    "listWebhooks": ADMIN_ONLY,
    "getWebhook": ADMIN_ONLY,
    "updateWebhook": ADMIN_ONLY,
    "deleteWebhook": ADMIN_ONLY,
    "testWebhook": ADMIN_ONLY,
    "modelregCreateWebhook": ADMIN_ONLY,
    "modelregListWebhooks": ADMIN_ONLY,
    "modelregGetWebhook": ADMIN_ONLY,
    "modelregUpdateWebhook": ADMIN_ONLY,
    "modelregDeleteWebhook": ADMIN_ONLY,
    "modelregTestWebhook": ADMIN_ONLY,
    "modelregListDeliveries": ADMIN_ONLY,
    "modelregRedeliverDead": ADMIN_ONLY,
    "modelregGetDelivery": ADMIN_ONLY,
    "modelregRedeliver": ADMIN_ONLY,
    "createRegistryWebhook": ADMIN_ONLY,
    "listRegistryWebhooks": ADMIN_ONLY,
    "updateRegistryWebhook": ADMIN_ONLY,
    "deleteRegistryWebhook": ADMIN_ONLY,
    "testRegistryWebhook": ADMIN_ONLY,
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
