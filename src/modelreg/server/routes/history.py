"""modelreg's history endpoints (docs/history.md): the event feed, time travel, rollback,
and the hash chains' verification, under /api/2.0/modelreg/.

Each handler parses its fields, makes one service call and renders the result.
"""

from __future__ import annotations

from typing import Any

from modelreg.codec import history as hc
from modelreg.limits import SEARCH_EVENTS_DEFAULT, SEARCH_EVENTS_MAX
from modelreg.server import wire as w
from modelreg.server.context import Call
from modelreg.server.routing import Endpoint, Field, api_paths
from modelreg.server.schemas import (
    ALIAS_NAME,
    BOOLEAN,
    INTEGER,
    MODEL_NAME,
    STAGE,
    STRING,
    TIMESTAMP,
    VERSION,
    array,
    nullable,
    obj,
    page_size,
)

Body = dict[str, Any]


def search_events(call: Call) -> Body:
    p = call.params
    max_results = w.optional_int(p, "max_results")
    found = call.registry.search_events(
        name=w.optional_str(p, "name"),
        version=w.optional_str(p, "version"),
        type=w.optional_str(p, "type"),
        actor=w.optional_str(p, "actor"),
        since=w.optional_int(p, "since"),
        until=w.optional_int(p, "until"),
        max_results=SEARCH_EVENTS_DEFAULT if max_results is None else max_results,
        page_token=w.optional_str(p, "page_token"),
    )
    body: Body = {"events": [hc.event_json(event) for event in found]}
    if found.token:
        body["next_page_token"] = found.token
    return body


def get_alias_at(call: Call) -> Body:
    p = call.params
    version = call.registry.get_alias_at(
        w.required_str(p, "name"), w.required_str(p, "alias"), _timestamp(call)
    )
    return {"version": version}


def get_stage_versions_at(call: Call) -> Body:
    p = call.params
    versions = call.registry.get_stage_versions_at(
        w.required_str(p, "name"), w.required_str(p, "stage"), _timestamp(call)
    )
    return {"versions": versions}


def rollback_alias(call: Call) -> Body:
    p = call.params
    version = call.registry.rollback_alias(
        w.required_str(p, "name"), w.required_str(p, "alias"), w.optional_int(p, "timestamp")
    )
    return {"version": version}


def verify_events(call: Call) -> Body:
    return hc.chain_report_json(call.registry.verify_events(w.optional_str(call.params, "name")))


def _timestamp(call: Call) -> int:
    found = w.optional_int(call.params, "timestamp")
    if found is None:
        raise w.missing_value("timestamp")
    return found


# ------------------------------------------------------------------ the table
def _paths(path: str) -> tuple[str, ...]:
    return api_paths(f"/modelreg/{path}")


NAME = Field("name", MODEL_NAME, required=True)
ALIAS = Field("alias", ALIAS_NAME, required=True)
AT = Field("timestamp", TIMESTAMP, required=True, description="The instant (ms) to look at.")
EVENT = obj(
    {
        "id": INTEGER,
        "timestamp": TIMESTAMP,
        "actor": STRING,
        "type": STRING,
        "schema_version": INTEGER,
        # null for events of no model (webhooks, users) and of a model as a whole.
        "model_name": nullable(STRING),
        "version": nullable(INTEGER),
        "payload": {"type": "object", "description": "The event's fields (docs/events.md)."},
    },
    ("id", "timestamp", "actor", "type", "payload"),
)

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET",
        _paths("events"),
        "searchEvents",
        "The event log in id order, filtered (a pull feed: resume with the last id seen "
        "as page_token).",
        obj({"events": array(EVENT), "next_page_token": STRING}),
        (
            Field("name", MODEL_NAME, description="A model: its events under every name it had."),
            Field("version", VERSION, description="A version of the model (needs name)."),
            Field("type", STRING, description="An event type (docs/events.md)."),
            Field("actor", STRING, description="Who made the change."),
            Field("since", TIMESTAMP, description="Events at or after (ms)."),
            Field("until", TIMESTAMP, description="Events at or before (ms)."),
            Field("max_results", page_size(SEARCH_EVENTS_MAX, SEARCH_EVENTS_DEFAULT)),
            Field("page_token", STRING, description="The id of the last event seen."),
        ),
        search_events,
        tag="history",
    ),
    Endpoint(
        "GET",
        _paths("aliases/at"),
        "getAliasAt",
        "The version an alias pointed to at a past instant (404 if none).",
        obj({"version": VERSION}),
        (NAME, ALIAS, AT),
        get_alias_at,
        tag="history",
    ),
    Endpoint(
        "GET",
        _paths("stages/at"),
        "getStageVersionsAt",
        "The versions that were in a stage at a past instant.",
        obj({"versions": array(VERSION)}),
        (NAME, Field("stage", STAGE, required=True), AT),
        get_stage_versions_at,
        tag="history",
    ),
    Endpoint(
        "POST",
        _paths("aliases/rollback"),
        "rollbackAlias",
        "Point an alias back to the version it held before its last move (or at timestamp).",
        obj({"version": VERSION}),
        (NAME, ALIAS, Field("timestamp", TIMESTAMP, description="Roll back to this instant.")),
        rollback_alias,
        tag="history",
    ),
    Endpoint(
        "GET",
        _paths("events/verify"),
        "verifyEvents",
        "Recompute the models' event hash chains and name each chain's first broken link.",
        obj(
            {
                "ok": BOOLEAN,
                "chains": INTEGER,
                "events": INTEGER,
                "breaks": array(
                    obj(
                        {
                            "model_id": INTEGER,
                            "model_name": STRING,
                            "event_id": INTEGER,
                            "problem": STRING,
                        }
                    )
                ),
            }
        ),
        (Field("name", STRING, description="One model's chain; all chains when absent."),),
        verify_events,
        tag="history",
    ),
)
