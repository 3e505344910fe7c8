"""UiAccess: a page's actions checked against the UI routes' own declarations."""

from __future__ import annotations

from typing import Any

import pytest

from modelreg.principal import Principal
from modelreg.server.authz import ADMIN_ONLY, EDIT, MANAGE, READ, Authorizer, ModelPermission
from modelreg.server.ui.access import UiAccess
from modelreg.service.auth.levels import Level

ACTIONS = {"see": "/m/{name}", "edit": "/m/{name}/edit", "manage": "/m/{name}/manage"}


class _Levels:
    """An AuthService stand-in: every non-admin has ``level`` on every model; counts
    the lookups."""

    def __init__(self, level: Level) -> None:
        self.level = level
        self.lookups: list[tuple[str, Any]] = []

    def level_of(self, principal: Principal, kind: str, key: Any) -> tuple[bool, Level]:
        self.lookups.append((kind, key))
        return True, self.level


def _access(level: Level) -> tuple[UiAccess, _Levels]:
    levels = _Levels(level)
    access = UiAccess(Authorizer(levels))  # type: ignore[arg-type]
    access.declare("/m/{name}", ModelPermission(READ))
    access.declare("/m/{name}/edit", ModelPermission(EDIT))
    access.declare("/m/{name}/manage", ModelPermission(MANAGE))
    access.declare("/hooks", ADMIN_ONLY)
    return access, levels


def test_each_action_follows_its_routes_requirement_with_one_lookup() -> None:
    access, levels = _access(Level.EDIT)
    allowed = access.allowed(Principal("eve", True), ACTIONS, {"name": "M"})
    assert allowed == {"see": True, "edit": True, "manage": False}
    assert levels.lookups == [("model", "M")]  # one lookup for the whole page
    access.allowed(Principal("eve", True), ACTIONS, {"name": "M"})
    assert len(levels.lookups) == 2  # nothing is kept between pages (grants change)


def test_admins_may_do_everything_without_a_lookup() -> None:
    access, levels = _access(Level.NO_PERMISSIONS)
    admin = Principal("root", True, True)
    assert all(access.allowed(admin, {**ACTIONS, "hooks": "/hooks"}, {"name": "M"}).values())
    assert levels.lookups == []


def test_an_undeclared_route_is_a_programming_error() -> None:
    access, _ = _access(Level.READ)
    with pytest.raises(KeyError, match="/nowhere"):
        access.allowed(Principal("eve", True), {"x": "/nowhere"}, {})


def test_without_auth_every_action_and_menu_link_is_offered() -> None:
    access = UiAccess(None)
    access.declare("/m/{name}/manage", ModelPermission(MANAGE))
    assert access.allowed(Principal("anyone"), {"manage": "/m/{name}/manage"}, {"name": "M"}) == {
        "manage": True
    }
    assert access.menu(Principal("anyone")) == {"audit": True, "webhooks": True}


def test_the_menu_is_decided_without_a_lookup() -> None:
    access, levels = _access(Level.MANAGE)
    # The webhooks list opens for every user (filtered to what they manage).
    assert access.menu(Principal("alice", True)) == {"audit": False, "webhooks": True}
    assert access.menu(Principal("root", True, True)) == {"audit": True, "webhooks": True}
    assert levels.lookups == []
