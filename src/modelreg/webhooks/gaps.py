"""How far the matcher may move its cursor through the event log.

Event ids are handed out when a transaction *inserts* its events, not when it commits:
on PostgreSQL or MySQL, event 11 can be visible while event 10's transaction is still
open. Moving the cursor past 10 would lose it. So the cursor only moves through ids
without holes; a hole is waited for until ``grace_ms`` after it was first seen (a
rolled-back transaction leaves a hole that never fills; the statement timeout bounds
how long a live one can stay open). A hole before an event already older than the
grace is skipped at once: whatever took the missing id did so before that event was
written. SQLite commits in id order and never leaves holes.
"""

from __future__ import annotations

from collections.abc import Sequence


class GapTracker:
    """Remembers when each hole was first seen, per process."""

    def __init__(self, grace_ms: int) -> None:
        self.grace_ms = grace_ms
        self._first_seen: dict[int, int] = {}

    def safe_end(
        self,
        cursor: int,
        ids: Sequence[int],
        now_ms: int,
        timestamps: Sequence[int] | None = None,
    ) -> int:
        """The highest id of ``ids`` (ascending, all > cursor) the cursor may move to.

        ``timestamps`` (the events' own, same order) let old holes be skipped at once.
        """
        end = cursor
        for index, event_id in enumerate(ids):
            if event_id != end + 1:
                hole = end + 1
                seen = self._first_seen.setdefault(hole, now_ms)
                old = timestamps is not None and timestamps[index] < now_ms - self.grace_ms
                if not old and now_ms - seen < self.grace_ms:
                    break
            end = event_id
        # Holes now behind the cursor are settled.
        self._first_seen = {h: t for h, t in self._first_seen.items() if h > end}
        return end
