"""Events of the history features: rollbacks (docs/history.md)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from modelreg.events._base import VersionEvent, event


@event
class AliasRolledBack(VersionEvent):
    """An alias was rolled back to a version it held before; `version` is where it points now.

    An alias move like `alias.set` (time travel and rollbacks read both).
    """

    TYPE: ClassVar[str] = "alias.rolled_back"
    AREA: ClassVar[str] = "history"
    alias: Annotated[str, "The alias."]
    from_version: Annotated[int | None, "Where it pointed before the rollback (null if nowhere)."]
    to_timestamp: Annotated[
        int | None,
        "The time (ms) it was rolled back to, if given; null: to before its last move.",
    ]
