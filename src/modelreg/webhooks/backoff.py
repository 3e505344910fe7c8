"""When to try a failed delivery again: exponential backoff with jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """``base * 2**(attempt-1)`` capped at ``max_ms``, then scaled by a random 50–100 %.

    The jitter spreads the retries of many deliveries that failed together (an
    endpoint that was down) instead of sending them all again at the same instant.
    With the defaults the first retry comes within 1 s, well inside 5 s.
    """

    base_ms: int = 1_000
    max_ms: int = 300_000
    max_attempts: int = 8

    def delay_ms(self, attempts: int, rng: random.Random | None = None) -> int:
        """Delay before the attempt after ``attempts`` failed ones (``attempts`` >= 1)."""
        ceiling = min(self.max_ms, self.base_ms * 2 ** min(max(attempts - 1, 0), 40))
        return int(ceiling * (rng or random).uniform(0.5, 1.0))

    def exhausted(self, attempts: int) -> bool:
        """Whether a delivery that failed ``attempts`` times goes to the dead letters."""
        return attempts >= self.max_attempts
