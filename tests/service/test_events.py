"""Every mutation writes exactly one event row, in the same transaction as the change."""

from __future__ import annotations

from typing import Any

import pytest

from modelreg import events
from modelreg.errors import AlreadyExists, InvalidArgument, NotFound
from modelreg.service import RegistryService
from tests.runs import insert_runs


def _rows(
    service: RegistryService, after: int = 0
) -> list[tuple[str, str, str | None, int | None, dict[str, Any]]]:
    found = service.list_events(after_id=after)
    for row in found:  # every row reads back as its typed event, field for field
        assert events.parse(row.type, row.schema_version, row.payload).payload() == row.payload
    return [(e.type, e.actor, e.model_name, e.version, dict(e.payload)) for e in found]


def _last_id(service: RegistryService) -> int:
    found = service.list_events()
    return found[-1].id if found else 0


def test_full_lifecycle_event_rows_are_exact(service: RegistryService) -> None:
    service.create_registered_model("m", tags={"team": "x"}, description="d")
    insert_runs(service.db, "r1")
    service.create_model_version("m", "s3://b/1", run_id="r1", tags={"k": "v"})
    service.create_model_version("m", "s3://b/2")
    service.transition_model_version_stage("m", 1, "production")
    service.transition_model_version_stage("m", 2, "Production", archive_existing_versions=True)
    service.set_registered_model_alias("m", "champ", 1)
    service.set_registered_model_alias("m", "champ", 2)
    service.delete_registered_model_alias("m", "champ")
    service.set_registered_model_tag("m", "a", "1")
    service.delete_registered_model_tag("m", "a")
    service.set_model_version_tag("m", 2, "b", "2")
    service.delete_model_version_tag("m", 2, "b")
    service.update_model_version("m", 2, "desc")
    service.update_registered_model("m", "new")
    service.rename_registered_model("m", "n")
    service.delete_model_version("n", 1)
    service.delete_registered_model("n")

    assert _rows(service) == [
        (
            "registered_model.created",
            "alice",
            "m",
            None,
            {"name": "m", "description": "d", "tags": {"team": "x"}},
        ),
        (
            "model_version.created",
            "alice",
            "m",
            1,
            {
                "name": "m",
                "version": 1,
                "source": "s3://b/1",
                "run_id": "r1",
                "model_id": None,
                "tags": {"k": "v"},
                "description": "",
            },
        ),
        (
            "model_version.created",
            "alice",
            "m",
            2,
            {
                "name": "m",
                "version": 2,
                "source": "s3://b/2",
                "run_id": None,
                "model_id": None,
                "tags": {},
                "description": "",
            },
        ),
        (
            "model_version.stage_transitioned",
            "alice",
            "m",
            1,
            {
                "name": "m",
                "version": 1,
                "from_stage": "None",
                "to_stage": "Production",
                "archived_versions": [],
                "comment": "",
            },
        ),
        (
            "model_version.stage_transitioned",
            "alice",
            "m",
            2,
            {
                "name": "m",
                "version": 2,
                "from_stage": "None",
                "to_stage": "Production",
                "archived_versions": [1],
                "comment": "",
            },
        ),
        (
            "alias.set",
            "alice",
            "m",
            1,
            {"name": "m", "version": 1, "alias": "champ", "previous_version": None},
        ),
        (
            "alias.set",
            "alice",
            "m",
            2,
            {"name": "m", "version": 2, "alias": "champ", "previous_version": 1},
        ),
        ("alias.deleted", "alice", "m", 2, {"name": "m", "version": 2, "alias": "champ"}),
        ("registered_model_tag.set", "alice", "m", None, {"name": "m", "key": "a", "value": "1"}),
        ("registered_model_tag.deleted", "alice", "m", None, {"name": "m", "key": "a"}),
        (
            "model_version_tag.set",
            "alice",
            "m",
            2,
            {"name": "m", "version": 2, "key": "b", "value": "2"},
        ),
        ("model_version_tag.deleted", "alice", "m", 2, {"name": "m", "version": 2, "key": "b"}),
        (
            "model_version.updated",
            "alice",
            "m",
            2,
            {"name": "m", "version": 2, "description": "desc"},
        ),
        ("registered_model.updated", "alice", "m", None, {"name": "m", "description": "new"}),
        ("registered_model.renamed", "alice", "n", None, {"name": "n", "old_name": "m"}),
        ("model_version.deleted", "alice", "n", 1, {"name": "n", "version": 1}),
        ("registered_model.deleted", "alice", "n", None, {"name": "n"}),
    ]


def test_event_timestamps_match_the_change(service: RegistryService) -> None:
    model = service.create_registered_model("m")
    version = service.create_model_version("m", "s3://b/1")
    stamps = [e.timestamp for e in service.list_events()]
    assert stamps == [model.creation_timestamp, version.creation_timestamp]


def test_events_are_in_commit_order_with_increasing_ids(service: RegistryService) -> None:
    service.create_registered_model("m")
    for i in range(5):
        service.create_model_version("m", f"s3://b/{i}")
    found = service.list_events()
    assert [e.id for e in found] == sorted(e.id for e in found)
    assert [e.version for e in found[1:]] == [1, 2, 3, 4, 5]
    assert [e.id for e in service.list_events(after_id=found[2].id)] == [e.id for e in found[3:]]


def test_actor_comes_from_the_service(service: RegistryService) -> None:
    service.as_actor("bob").create_registered_model("m")
    assert _rows(service)[0][1] == "bob"


@pytest.mark.parametrize(
    "action",
    [
        lambda s: s.create_registered_model("m"),
        lambda s: s.create_model_version("missing", "s3://x"),
        lambda s: s.transition_model_version_stage("m", 1, "Bogus"),
        lambda s: s.transition_model_version_stage("m", 9, "Production"),
        lambda s: s.set_registered_model_alias("m", "latest", 1),
        lambda s: s.rename_registered_model("m", "other"),
        lambda s: s.delete_model_version("m", 9),
        lambda s: s.set_model_version_tag("m", 1, "bad*key", "v"),
    ],
)
def test_failed_mutations_leave_no_event_and_no_change(
    service: RegistryService, action: Any
) -> None:
    service.create_registered_model("m", tags={"t": "1"})
    service.create_model_version("m", "s3://b/1")
    service.create_registered_model("other")
    before_events = _last_id(service)
    before_model = service.get_registered_model("m")
    with pytest.raises((AlreadyExists, InvalidArgument, NotFound)):
        action(service)
    assert _rows(service, after=before_events) == []
    assert service.get_registered_model("m") == before_model


def test_no_op_deletes_record_nothing(service: RegistryService) -> None:
    service.create_registered_model("m")
    service.create_model_version("m", "s3://b/1")
    mark = _last_id(service)
    service.delete_registered_model_tag("m", "absent")
    service.delete_model_version_tag("m", 1, "absent")
    service.delete_registered_model_alias("m", "absent")
    assert _rows(service, after=mark) == []


def test_rows_carry_their_type_and_schema_version(service: RegistryService) -> None:
    from modelreg.events import CATALOGUE

    service.create_registered_model("m")
    service.create_model_version("m", "s3://b/1")
    found = service.list_events()
    assert [(e.type, e.schema_version) for e in found] == [
        ("registered_model.created", CATALOGUE["registered_model.created"].SCHEMA_VERSION),
        ("model_version.created", CATALOGUE["model_version.created"].SCHEMA_VERSION),
    ]
