"""What the history's verification returns (pure): chains checked and broken links."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first broken link of one model's chain: where, and what differs."""

    model_id: int
    # The name the model's events carry at the break (the model may be renamed since).
    model_name: str | None
    # The event whose stored link or hash is wrong; None when the chain's end is.
    event_id: int | None
    problem: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of recomputing the chains: ``ok`` when no link is broken."""

    chains: int
    events: int
    breaks: tuple[ChainBreak, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.breaks
