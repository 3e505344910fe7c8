"""What the UI offers its caller: each form only where the route it posts to would
accept them.

The routes declare their requirements once (``routes.ui_routes`` declares every one
here); a page names the routes its forms post to, and :meth:`UiAccess.allowed` checks
those declarations with the API's own :class:`~modelreg.server.authz.Authorizer`, so
what the page offers and what the server accepts cannot drift apart. Without
``--auth`` nothing is checked (every route accepts every caller) and every form shows.
Rules the services enforce beyond a route's level (a comment's author, a policy's
approvers) are asked of the services' own predicates where the rows are loaded.

A requirement on a posted form field (the model a new webhook is for) cannot be
checked by the gate, which reads no body: such a route is declared with its real
requirement here, guarded at the gate for a signed-in caller only, and its change
calls :meth:`UiAccess.check_form` once the form is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from modelreg.principal import Principal
from modelreg.server.authz import AUTHENTICATED, READ, Authorizer, ModelPermission, Requirement
from modelreg.server.wire import Params

# Shared by the routes and the menu, so the menu shows a link exactly when the page opens.
# The webhooks list, as the API's: any signed-in user, shown only the webhooks of the
# models they manage (the webhook service filters in SQL; admins see all).
WEBHOOKS: Final[Requirement] = AUTHENTICATED
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

    def check_form(
        self, who: Principal, route: str, form: Mapping[str, str], path: Mapping[str, str]
    ) -> None:
        """Raise PermissionDenied unless ``route``'s declared requirement passes for
        ``who`` with the posted ``form`` fields (path parameters win, as on the API).
        Blocking (a level lookup): run on a worker thread."""
        if self.authorizer is not None:
            params = Params(body=form).with_path(path)
            self.authorizer.check(self._routes[route], who, params)

    def menu(self, who: Principal) -> dict[str, bool]:
        """Which menu links ``who`` may open; decided without a database read."""
        if self.authorizer is None:
            return dict.fromkeys(MENU, True)
        return {
            name: self.authorizer.allowed_without_object(requirement, who)
            for name, requirement in MENU.items()
        }


__all__ = ["AUDIT", "MENU", "SCOPE_KEY", "WEBHOOKS", "UiAccess"]
