"""JSON of the history endpoints (GET /api/2.0/modelreg/events, events/verify), both ways.

Ids, timestamps and versions are JSON integers, as the event log stores them
(docs/events.md); absent values are ``null``.
"""

from __future__ import annotations

from typing import Any

from modelreg.entities import Event
from modelreg.history_entities import ChainBreak, ChainReport


def event_json(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "timestamp": event.timestamp,
        "actor": event.actor,
        "type": event.type,
        "schema_version": event.schema_version,
        "model_name": event.model_name,
        "version": event.version,
        "payload": dict(event.payload),
    }


def event_from_json(data: dict[str, Any]) -> Event:
    version = data.get("version")
    return Event(
        id=int(data["id"]),
        timestamp=int(data["timestamp"]),
        actor=str(data["actor"]),
        type=str(data["type"]),
        model_name=data.get("model_name"),
        version=None if version is None else int(version),
        payload=dict(data.get("payload") or {}),
        schema_version=int(data.get("schema_version", 1)),
    )


def chain_report_json(report: ChainReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "chains": report.chains,
        "events": report.events,
        "breaks": [
            {
                "model_id": b.model_id,
                "model_name": b.model_name,
                "event_id": b.event_id,
                "problem": b.problem,
            }
            for b in report.breaks
        ],
    }


def chain_report_from_json(data: dict[str, Any]) -> ChainReport:
    return ChainReport(
        chains=int(data["chains"]),
        events=int(data["events"]),
        breaks=tuple(
            ChainBreak(
                model_id=int(b["model_id"]),
                model_name=b.get("model_name"),
                event_id=None if b.get("event_id") is None else int(b["event_id"]),
                problem=str(b["problem"]),
            )
            for b in data.get("breaks") or ()
        ),
    )
