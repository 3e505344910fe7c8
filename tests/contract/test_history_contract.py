"""The History contract over both transports: the event feed, time travel, rollback and
verification, embedded and over HTTP (docs/history.md).

Every test runs on both (fixture ``history``), acting as ``alice``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from modelreg.client.http_history import HttpHistory
from modelreg.config import Settings
from modelreg.errors import InvalidArgument, NotFound
from modelreg.protocols import History, Registry
from tests.contract.conftest import ACTOR, SOURCE_SCHEMES, _open

SOURCE = "s3://bucket/models/churn"


@pytest.fixture(params=["embedded", "http"])
def apis(
    request: pytest.FixtureRequest, sqlite_uri: str, artifact_root: Path
) -> Iterator[tuple[Registry, History]]:
    settings = Settings(
        tracking_uri=sqlite_uri,
        artifact_root=str(artifact_root),
        allowed_source_schemes=SOURCE_SCHEMES,  # the s3:// SOURCE is stored as a reference
    )
    for registry in _open(request.param, settings):
        if request.param == "embedded":
            yield registry, cast(History, registry)
        else:
            http = registry._http  # type: ignore[attr-defined]
            with HttpHistory(registry.base_url, http=http) as history:  # type: ignore[attr-defined]
                yield registry, history


def _model(registry: Registry, versions: int = 3) -> None:
    registry.create_registered_model("churn")
    for _ in range(versions):
        registry.create_model_version("churn", SOURCE)


def test_search_events_pages_and_filters(apis: tuple[Registry, History]) -> None:
    registry, history = apis
    _model(registry)
    registry.set_registered_model_alias("churn", "champion", "2")
    page = history.search_events(max_results=2)
    assert [e.type for e in page] == ["registered_model.created", "model_version.created"]
    assert page.token == str(page[-1].id)
    rest = history.search_events(page_token=page.token)
    assert [e.type for e in rest][-1] == "alias.set" and rest.token is None
    (alias_set,) = history.search_events(name="churn", type="alias.set", actor=ACTOR)
    assert (alias_set.model_name, alias_set.version, alias_set.actor) == ("churn", 2, ACTOR)
    assert alias_set.payload["alias"] == "champion"
    assert [e.version for e in history.search_events(name="churn", version="3")] == [3]
    first = page[0].timestamp
    assert history.search_events(since=first, until=first)[0].id == page[0].id
    with pytest.raises(InvalidArgument, match="max_results"):
        history.search_events(max_results=5000)
    with pytest.raises(InvalidArgument, match="Unknown event type"):
        history.search_events(type="nothing.happened")
    with pytest.raises(InvalidArgument, match="page_token"):
        history.search_events(page_token="later")


def test_time_travel_and_rollback(apis: tuple[Registry, History]) -> None:
    registry, history = apis
    _model(registry)
    registry.set_registered_model_alias("churn", "champion", 1)
    registry.transition_model_version_stage("churn", 1, "Production")
    first = history.search_events(type="model_version.stage_transitioned")[-1].timestamp
    registry.set_registered_model_alias("churn", "champion", 3)
    registry.transition_model_version_stage("churn", 3, "Production", True)
    assert history.get_alias_at("churn", "champion", first) == "1"
    assert history.get_stage_versions_at("churn", "Production", first) == ["1"]
    last = history.search_events()[-1].timestamp
    assert history.get_stage_versions_at("churn", "Production", last) == ["3"]
    assert history.get_stage_versions_at("churn", "Archived", last) == ["1"]
    with pytest.raises(NotFound):
        history.get_alias_at("churn", "challenger", last)
    assert history.rollback_alias("churn", "champion") == "1"
    assert registry.get_model_version_by_alias("churn", "champion").version == "1"
    assert history.rollback_alias("churn", "champion") == "3"  # undoes the rollback
    assert history.rollback_alias("churn", "champion", timestamp=first) == "1"
    rolled = history.search_events(type="alias.rolled_back")
    assert [(e.payload["from_version"], e.version) for e in rolled] == [(3, 1), (1, 3), (3, 1)]
    assert rolled[-1].payload["to_timestamp"] == first
    with pytest.raises(NotFound, match="never been set"):
        history.rollback_alias("churn", "challenger")


def test_verify_events(apis: tuple[Registry, History]) -> None:
    registry, history = apis
    _model(registry, versions=2)
    registry.set_registered_model_alias("churn", "champion", 2)
    report = history.verify_events()
    assert report.ok and report.breaks == () and report.events == 4 and report.chains == 1
    assert history.verify_events("churn").ok
    with pytest.raises(NotFound):
        history.verify_events("nobody")
