"""The history endpoints over HTTP (docs/history.md): :class:`HttpHistory` implements
:class:`~modelreg.protocols.History` against a modelreg server, as the registry
service does in-process."""

from __future__ import annotations

from typing import Any

from modelreg.client.http import JsonApi
from modelreg.codec.history import chain_report_from_json, event_from_json
from modelreg.entities import Event, PagedList
from modelreg.history_entities import ChainReport
from modelreg.limits import SEARCH_EVENTS_DEFAULT
from modelreg.protocols import History, Version


class HttpHistory(JsonApi, History):
    """The history use cases, served by a modelreg server at ``base_url``.

    Same constructor as :class:`~modelreg.client.http.JsonApi`.
    """

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
        fields = {
            "name": name,
            "version": None if version is None else str(version),
            "type": type,
            "actor": actor,
            "since": since,
            "until": until,
            "max_results": max_results,
            "page_token": page_token,
        }
        data = self._call("GET", "modelreg/events", fields)
        found = self._parse(
            lambda items: [event_from_json(item) for item in items or ()], data.get("events")
        )
        return PagedList(found, data.get("next_page_token") or None)

    def get_alias_at(self, name: str, alias: str, timestamp: int) -> str:
        fields = {"name": name, "alias": alias, "timestamp": timestamp}
        return self._version(self._call("GET", "modelreg/aliases/at", fields))

    def get_stage_versions_at(self, name: str, stage: str, timestamp: int) -> list[str]:
        fields = {"name": name, "stage": stage, "timestamp": timestamp}
        data = self._call("GET", "modelreg/stages/at", fields)
        return self._parse(lambda items: [str(v) for v in items or ()], data.get("versions"))

    def rollback_alias(self, name: str, alias: str, timestamp: int | None = None) -> str:
        fields = {"name": name, "alias": alias, "timestamp": timestamp}
        return self._version(self._call("POST", "modelreg/aliases/rollback", fields))

    def verify_events(self, name: str | None = None) -> ChainReport:
        data = self._call("GET", "modelreg/events/verify", {"name": name})
        return self._parse(chain_report_from_json, data)

    def _version(self, data: dict[str, Any]) -> str:
        return self._parse(lambda value: str(value["version"]), data)
