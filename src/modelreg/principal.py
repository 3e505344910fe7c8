"""Who a call acts for: the principal every change is attributed to and checked against.

One small value shared by every layer. The server builds it per request (today from
the claimed HTTP Basic name; with authentication, from verified credentials), the
embedded client from ``MODELREG_ACTOR``/the OS user. Services read ``name`` for audit
attribution and ``is_admin``/``groups`` for decisions (promotion policies' approvers,
permission checks); nothing else about the caller reaches the service layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller: a name, whether it was verified, admin rights, and group memberships."""

    name: str
    # True only when credentials were checked (auth on); a claimed name is not.
    authenticated: bool = False
    is_admin: bool = False
    # Group names without the ``group:`` prefix that policies use to name them.
    groups: frozenset[str] = field(default_factory=frozenset)

    def is_in(self, member: str) -> bool:
        """Whether ``member`` (a user name or ``group:<name>``) names this principal."""
        if member.startswith("group:"):
            return member[len("group:") :] in self.groups
        return member == self.name


ANONYMOUS_NAME: Final = "anonymous"
ANONYMOUS: Final = Principal(ANONYMOUS_NAME)


def as_principal(who: str | Principal) -> Principal:
    """A bare name (embedded callers, jobs, tests) as an unverified principal."""
    return who if isinstance(who, Principal) else Principal(who)


__all__ = ["ANONYMOUS", "ANONYMOUS_NAME", "Principal", "as_principal"]
