"""The event catalogue: stable names, documented payloads, docs/events.md in sync."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Annotated, ClassVar

import pytest

from modelreg import events
from modelreg.events import CATALOGUE, ModelVersionCreated, RunTagSet, render_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"

# Names recorded before the catalogue was typed: a contract (history queries and
# webhook subscriptions match on them), so they never change.
REGISTRY_TYPES = {
    "registered_model.created",
    "registered_model.renamed",
    "registered_model.updated",
    "registered_model.deleted",
    "registered_model_tag.set",
    "registered_model_tag.deleted",
    "model_version.created",
    "model_version.updated",
    "model_version.deleted",
    "model_version.stage_transitioned",
    "model_version_tag.set",
    "model_version_tag.deleted",
    "alias.set",
    "alias.deleted",
}


def test_docs_events_md_is_generated_from_the_code() -> None:
    assert DOCS.read_text() == render_markdown(), (
        "docs/events.md is stale: run `python -m modelreg.events > docs/events.md`"
    )


def test_the_entry_point_prints_the_page() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "modelreg.events"], capture_output=True, text=True, check=True
    )
    assert done.stdout == render_markdown()


def test_registry_type_names_are_stable() -> None:
    assert REGISTRY_TYPES <= set(CATALOGUE)
    assert {name for name, cls in CATALOGUE.items() if cls.AREA == "registry"} == REGISTRY_TYPES


def test_every_event_is_frozen_keyword_only_and_exported() -> None:
    for name, cls in CATALOGUE.items():
        assert cls.TYPE == name and cls.SCHEMA_VERSION >= 1
        assert dataclasses.is_dataclass(cls) and getattr(events, cls.__name__) is cls
        params = dataclasses.fields(cls)
        assert all(field.kw_only for field in params), name
    created = ModelVersionCreated(
        name="m", version=3, source="s3://b", run_id=None, model_id=None, tags={}, description=""
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        created.version = 4  # type: ignore[misc]


def test_payload_is_json_ready_and_subject_is_indexed() -> None:
    created = ModelVersionCreated(
        name="m", version=3, source="s", run_id="r", model_id=None, tags={"k": "v"}, description=""
    )
    assert created.payload() == {
        "name": "m",
        "version": 3,
        "source": "s",
        "run_id": "r",
        "model_id": None,
        "tags": {"k": "v"},
        "description": "",
    }
    assert (created.model_name, created.model_version) == ("m", 3)
    tag = RunTagSet(run_id="abc", key="k", value="v")
    assert (tag.model_name, tag.model_version) == (None, None)


def test_a_type_name_cannot_be_declared_twice() -> None:
    with pytest.raises(TypeError, match="declared twice"):

        @events.event
        class Again(events.ModelEvent):
            """Again."""

            TYPE: ClassVar[str] = "registered_model.created"

    assert CATALOGUE["registered_model.created"] is events.RegisteredModelCreated


def test_every_field_must_say_what_it_holds() -> None:
    with pytest.raises(TypeError, match="needs Annotated"):

        @events.event
        class Undocumented(events.ModelEvent):
            """Undocumented."""

            TYPE: ClassVar[str] = "test.undocumented"
            bare: str

    with pytest.raises(TypeError, match="needs a description"):

        @events.event
        class Nameless(events.ModelEvent):
            """Nameless."""

            TYPE: ClassVar[str] = "test.nameless"
            bare: Annotated[str, 3]

    assert "test.undocumented" not in CATALOGUE and "test.nameless" not in CATALOGUE


def test_parse_refuses_what_this_code_cannot_read() -> None:
    payload = {"name": "m", "key": "k"}
    assert events.parse("registered_model_tag.deleted", 1, payload) == (
        events.RegisteredModelTagDeleted(name="m", key="k")
    )
    with pytest.raises(ValueError, match="schema version 2"):
        events.parse("registered_model_tag.deleted", 2, payload)
    with pytest.raises(ValueError, match="has fields"):
        events.parse("registered_model_tag.deleted", 1, {**payload, "extra": 1})
    with pytest.raises(KeyError):
        events.parse("no.such.event", 1, payload)


def test_parse_reads_rows_written_before_a_field_was_added() -> None:
    # model_version.stage_transitioned gained `comment` (Databricks' transition-stage);
    # rows written before carry no comment and read as the default.
    older = {"name": "m", "version": 1, "from_stage": "None", "to_stage": "Staging"}
    older["archived_versions"] = []
    parsed = events.parse("model_version.stage_transitioned", 1, older)
    assert parsed == events.ModelVersionStageTransitioned(**older)
    assert parsed.payload() == {**older, "comment": ""}
    with pytest.raises(ValueError, match="has fields"):
        events.parse("model_version.stage_transitioned", 1, {"name": "m", "version": 1})
