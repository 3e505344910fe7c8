"""AuditLog: the event log filtered by model, version, actor, type and time, newest first."""

from __future__ import annotations

import pytest

from modelreg.errors import InvalidArgument
from modelreg.service import RegistryService
from modelreg.service.audit_log import AuditLog
from modelreg.store.database import Database
from tests.conftest import FakeClock


@pytest.fixture
def registry(sqlite_uri: str) -> RegistryService:
    return RegistryService(Database(sqlite_uri), actor="bob", clock=FakeClock())


def test_filters_combine_and_results_are_newest_first(registry: RegistryService) -> None:
    registry.create_registered_model("a")
    registry.as_actor("alice").create_registered_model("b")
    registry.create_model_version("a", "s3://bucket/a/1")
    registry.set_model_version_tag("a", 1, "k", "v")
    audit = AuditLog(registry.db)
    everything = audit.search()
    assert [e.type for e in everything] == [
        "model_version_tag.set",
        "model_version.created",
        "registered_model.created",
        "registered_model.created",
    ]
    assert [e.model_name for e in audit.search(actor="alice")] == ["b"]
    assert [e.type for e in audit.search(model_name="a", type="model_version.")] == [
        "model_version.created"
    ]
    assert [
        e.type for e in audit.search(model_name="a", version=1, type="model_version.created")
    ] == ["model_version.created"]
    first = everything[-1].timestamp
    assert len(audit.search(since_ms=first + 1)) == 3
    assert len(audit.search(until_ms=first + 1)) == 1


def test_pages(registry: RegistryService) -> None:
    for i in range(5):
        registry.create_registered_model(f"m{i}")
    audit = AuditLog(registry.db)
    first = audit.search(max_results=2)
    assert [e.model_name for e in first] == ["m4", "m3"] and first.token
    second = audit.search(max_results=2, page_token=first.token)
    assert [e.model_name for e in second] == ["m2", "m1"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type", "model_version.%"),
        ("type", "Model"),
        ("actor", "x" * 300),
        ("model_name", "a/b"),
        ("version", "two"),
        ("max_results", 10_000),
    ],
)
def test_bad_filters_are_invalid_arguments(
    registry: RegistryService, field: str, value: object
) -> None:
    with pytest.raises(InvalidArgument):
        AuditLog(registry.db).search(**{field: value})  # type: ignore[arg-type]


def test_an_empty_time_range_is_refused(registry: RegistryService) -> None:
    with pytest.raises(InvalidArgument, match="start must be before"):
        AuditLog(registry.db).search(since_ms=10, until_ms=10)
