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
    # history
    "searchEvents": _ALL_FOR_ADMINS,
    "getAliasAt": _READ,
    "getStageVersionsAt": _READ,
    "rollbackAlias": _EDIT,
    "verifyEvents": _ALL_FOR_ADMINS,
    # Databricks' registry-webhook API (modelreg's and MLflow's: routes/webhooks.py)
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
