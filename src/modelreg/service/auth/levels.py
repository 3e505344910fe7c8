"""Permission levels with MLflow's names and meaning (mlflow.server.auth.permissions).

``NO_PERMISSIONS < READ < USE < EDIT < MANAGE``; ``DENY`` is an explicit refusal that
wins over any positive grant it is folded with. READ reads, EDIT (and USE, which on a
model or experiment means the same as READ) adds updates, MANAGE adds deletes and
managing grants.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from modelreg.errors import InvalidArgument


class Level(IntEnum):
    DENY = -1
    NO_PERMISSIONS = 0
    READ = 1
    USE = 2
    EDIT = 3
    MANAGE = 4

    @property
    def can_read(self) -> bool:
        return self >= Level.READ

    @property
    def can_update(self) -> bool:
        return self >= Level.EDIT

    @property
    def can_manage(self) -> bool:
        return self >= Level.MANAGE


def parse_level(text: object, *, field: str = "permission") -> Level:
    """A level from its MLflow name; 400 naming the allowed values otherwise."""
    if isinstance(text, str) and text.upper() in Level.__members__:
        return Level[text.upper()]
    allowed = ", ".join(Level.__members__)
    raise InvalidArgument(f"Invalid {field} {str(text)[:50]!r}: use one of {allowed}.")


def effective(explicit: Iterable[int], default: Level) -> Level:
    """A caller's level on one object from its grants (user and groups) and the default.

    Any DENY wins; else the highest explicit grant; else the server default. An explicit
    NO_PERMISSIONS therefore hides an object even under a READ default (as in MLflow).
    """
    levels = list(explicit)
    if not levels:
        return default
    if min(levels) < 0:
        return Level.DENY
    return Level(max(levels))


__all__ = ["Level", "effective", "parse_level"]
