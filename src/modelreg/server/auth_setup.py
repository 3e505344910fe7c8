"""Starting a server with ``--auth``: the first admin, and refusing to start without users.

The first admin comes from ``MODELREG_ADMIN_USERNAME`` / ``MODELREG_ADMIN_PASSWORD`` on
start: created if no user of that name exists, never overwritten (a changed password
stays changed across restarts). There is no default password: with ``--auth``, no
admin variables and no users, the server refuses to start and says what to do.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from modelreg.errors import RegistryError
from modelreg.server.hosts import is_loopback

if TYPE_CHECKING:
    from modelreg.service.auth.service import AuthService

logger = logging.getLogger("modelreg.server")
ADMIN_USERNAME_VAR = "MODELREG_ADMIN_USERNAME"
ADMIN_PASSWORD_VAR = "MODELREG_ADMIN_PASSWORD"


def prepare_auth(auth: AuthService, env: Mapping[str, str]) -> None:
    """Create the first admin from ``env`` if asked; refuse to run with no users at all."""
    username = env.get(ADMIN_USERNAME_VAR, "")
    password = env.get(ADMIN_PASSWORD_VAR, "")
    if bool(username) != bool(password):
        raise RegistryError(
            f"modelreg server --auth: set both {ADMIN_USERNAME_VAR} and {ADMIN_PASSWORD_VAR} "
            "(or neither)."
        )
    if username and auth.bootstrap_admin(username, password):
        logger.info("modelreg server: created the admin user %r", username)
    if not auth.has_users():
        raise RegistryError(
            f"modelreg server --auth: no users exist. Set {ADMIN_USERNAME_VAR} and "
            f"{ADMIN_PASSWORD_VAR} to create the first admin on start, or run "
            "`modelreg users create NAME --admin` first."
        )


def exposure_warning(host: str, auth: bool) -> str | None:
    """The warning for a server reachable from other machines without authentication."""
    if auth or is_loopback(host):
        return None
    return (
        f"modelreg server listens on {host} without --auth: anyone who can reach it can "
        "read and change everything. Use --auth (docs/security.md), or bind 127.0.0.1."
    )


__all__ = ["ADMIN_PASSWORD_VAR", "ADMIN_USERNAME_VAR", "exposure_warning", "prepare_auth"]
