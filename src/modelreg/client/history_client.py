"""The history half of ``MlflowClient`` (docs/history.md): the event feed, time travel,
alias rollback and the hash chains' verification, over either transport."""

from __future__ import annotations

from modelreg.entities import Event, PagedList
from modelreg.history_entities import ChainReport
from modelreg.limits import SEARCH_EVENTS_DEFAULT
from modelreg.protocols import History, Version


class HistoryMethods:
    """Mixed into ``MlflowClient``, which sets ``_history`` to the transport in use."""

    _history: History

    def search_events(
        self,
        name: str | None = None,
        version: Version | None = None,
        type: str | None = None,
        actor: str | None = None,
        since: int | None = None,
        until: int | None = None,
        max_results: int = SEARCH_EVENTS_DEFAULT,
        page_token: str | None = None,
    ) -> PagedList[Event]:
        """Events in id order; resume a feed with ``page_token=str(last_event.id)``."""
        return self._history.search_events(
            name, version, type, actor, since, until, max_results, page_token
        )

    def get_alias_at(self, name: str, alias: str, timestamp: int) -> str:
        """The version ``alias`` pointed to at ``timestamp`` (ms); NotFound if none."""
        return self._history.get_alias_at(name, alias, timestamp)

    def get_stage_versions_at(self, name: str, stage: str, timestamp: int) -> list[str]:
        """The versions in ``stage`` at ``timestamp`` (ms)."""
        return self._history.get_stage_versions_at(name, stage, timestamp)

    def rollback_alias(self, name: str, alias: str, timestamp: int | None = None) -> str:
        """Point ``alias`` back where it was before its last move (or at ``timestamp``)."""
        return self._history.rollback_alias(name, alias, timestamp)

    def verify_events(self, name: str | None = None) -> ChainReport:
        """Recompute the event hash chains; ``report.ok`` unless a link is broken."""
        return self._history.verify_events(name)
