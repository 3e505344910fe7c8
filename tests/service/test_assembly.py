"""service/assembly.build_services: the bounds in Settings reach every search it builds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from modelreg.config import Settings
from modelreg.errors import InvalidArgument
from modelreg.filters import FilterLimits
from modelreg.service.assembly import Services, build_services

# Each search with a filter of one condition (allowed) and of two (refused); the
# filters differ in their second comparison only.
SEARCHES: dict[str, tuple[Callable[[Services, str], Any], str]] = {
    "search_registered_models": (
        lambda s, f: s.registry.search_registered_models(f),
        "name = 'a'",
    ),
    "search_model_versions": (
        lambda s, f: s.registry.search_model_versions(f),
        "name = 'a'",
    ),
    "search_experiments": (
        lambda s, f: s.tracking.search_experiments(filter_string=f),
        "name = 'a'",
    ),
    "search_runs": (
        lambda s, f: s.tracking.search_runs(["0"], f),
        "params.p = 'a'",
    ),
    "search_logged_models": (
        lambda s, f: s.tracking.search_logged_models(["0"], f),
        "name = 'a'",
    ),
}


@pytest.fixture(params=[False, True], ids=["embedded", "served"])
def services(request: pytest.FixtureRequest, sqlite_uri: str, tmp_path: Path) -> Iterator[Services]:
    settings = Settings(
        tracking_uri=sqlite_uri,
        artifact_root=str(tmp_path / "artifacts"),
        statement_timeout_ms=1234,
        filter_limits=FilterLimits(max_conditions=1),
    )
    if request.param:
        settings = settings.served(actor="server")
    built = build_services(settings)
    yield built
    built.db.dispose()


def test_the_database_gets_the_bounds(services: Services) -> None:
    assert services.db.statement_timeout_ms == 1234
    assert services.db.filter_limits == FilterLimits(max_conditions=1)


@pytest.mark.parametrize("name", sorted(SEARCHES))
def test_every_search_parses_within_the_settings_filter_limits(
    services: Services, name: str
) -> None:
    search, condition = SEARCHES[name]
    # A request's services (as_actor) search the same database, under the same bounds.
    caller = services.as_actor("alice")
    assert list(search(caller, condition)) == []
    with pytest.raises(
        InvalidArgument, match="it has 2 conditions, and this server accepts at most 1"
    ):
        search(caller, f"{condition} AND {condition}")
