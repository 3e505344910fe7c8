"""Read access computed from the grants (``modelreg server --auth``).

The :class:`~modelreg.service.access.ReadAccess` the services ask before they read
another owner's model or experiment on a caller's behalf (registering a version from
it): the same levels the server's route checks use (``AuthService.level_of``).
"""

from __future__ import annotations

from modelreg.principal import Principal
from modelreg.service.auth.service import AuthService


def _experiment_number(text: str) -> int | None:
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)


class GrantAccess:
    """READ (or better) on the model or experiment; admins read everything."""

    def __init__(self, auth: AuthService) -> None:
        self.auth = auth

    def may_read_model(self, principal: Principal, name: str) -> bool:
        return self.auth.level_of(principal, "model", name)[1].can_read

    def may_read_experiment(self, principal: Principal, experiment_id: str) -> bool:
        number = _experiment_number(experiment_id)
        if number is None:
            return principal.is_admin
        return self.auth.level_of(principal, "experiment", number)[1].can_read

    def may_read_store(self, principal: Principal) -> bool:
        # The rest of the store belongs to nobody's grants: as on the artifact proxy,
        # only admins read it.
        return principal.is_admin


__all__ = ["GrantAccess"]
