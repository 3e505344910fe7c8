"""Who may see what: the server's default level and the subjects a caller's grants name.

A service carries an optional :class:`GrantPolicy` (set when the server runs with
``--auth``). Searches then keep, in SQL, only the objects the caller may read
(:meth:`GrantPolicy.visibility`); point checks go through
:meth:`modelreg.service.auth.service.AuthService.level_of`.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelreg.principal import Principal
from modelreg.service.auth.levels import Level
from modelreg.store.auth import Visibility


def subjects_of(principal: Principal) -> tuple[str, ...]:
    """The grant subjects naming ``principal``: its name, then ``group:<g>`` per group."""
    return (principal.name, *(f"group:{group}" for group in sorted(principal.groups)))


@dataclass(frozen=True, slots=True)
class GrantPolicy:
    """Permissions are enforced; ``default`` applies where a caller has no grant."""

    default: Level = Level.NO_PERMISSIONS

    def visibility(self, principal: Principal, least: Level = Level.READ) -> Visibility | None:
        """The restriction on ``principal``'s searches to the objects it holds ``least``
        on (READ: what it may read); None for admins (they see all)."""
        if principal.is_admin:
            return None
        return Visibility(subjects_of(principal), self.default >= least, int(least))


__all__ = ["GrantPolicy", "Visibility", "subjects_of"]
