"""What the UI offers its caller: each form only where the route it posts to would
accept them.

The routes declare their requirements once (``routes.ui_routes`` declares every one
here); a page names the routes its forms post to, and :meth:`UiAccess.allowed` checks
those declarations with the API's own :class:`~modelreg.server.authz.Authorizer`, so
what the page offers and what the server accepts cannot drift apart. Without
``--auth`` nothing is checked (every route accepts every caller) and every form shows.
Rules the services enforce beyond a route's level (a comment's author, a policy's
approvers) are asked of the services' own predicates where the rows are loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from modelreg.principal import Principal
from modelreg.server.authz import ADMIN_ONLY, READ, Authorizer, ModelPermission, Requirement
from modelreg.server.wire import Params

# Shared by the routes and the menu, so the menu shows a link exactly when the page opens.
WEBHOOKS: Final[Requirement] = ADMIN_ONLY  # webhooks hold delivery targets: as on the API
# The whole event log without a model filter covers every model: for admins.
AUDIT: Final[Requirement] = ModelPermission(
    READ, from_field="model", whole_registry_for_admins=True
)
MENU: Final[Mapping[str, Requirement]] = {"audit": AUDIT, "webhooks": WEBHOOKS}
# Where a page's request carries the UiAccess, for the menu in every rendered page.
SCOPE_KEY: Final = "modelreg.ui.access"


class UiAccess:
    """The UI routes' requirements, and the checks of what a caller may do."""

    def __init__(self, authorizer: Authorizer | None) -> None:
        self.authorizer = authorizer
        self._routes: dict[str, Requirement] = {}

    def declare(self, path: str, requirement: Requirement) -> None:
        self._routes[path] = requirement

    def allowed(
        self, who: Principal, actions: Mapping[str, str], path: Mapping[str, str]
    ) -> dict[str, bool]:
        """For each action (name → route path template), whether ``who`` may post to it
        with these path parameters. Blocking (a level lookup): run on a worker thread.
        """
        unknown = sorted(p for p in actions.values() if p not in self._routes)
        if unknown:
            raise KeyError(f"No UI route is declared at {unknown}")
        if self.authorizer is None:
            return dict.fromkeys(actions, True)
        params = Params(path=path)
        checks = {name: (self._routes[route], params) for name, route in actions.items()}
        return self.authorizer.allowed(checks, who)

    def menu(self, who: Principal) -> dict[str, bool]:
        """Which menu links ``who`` may open; decided without a database read."""
        if self.authorizer is None:
            return dict.fromkeys(MENU, True)
        return {
            name: self.authorizer.allowed_without_object(requirement, who)
            for name, requirement in MENU.items()
        }


__all__ = ["AUDIT", "MENU", "SCOPE_KEY", "WEBHOOKS", "UiAccess"]
