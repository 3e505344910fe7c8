"""Both searches in SQL: filters, ordering, tie-breaks, paging and limits."""

from __future__ import annotations

import pytest

from modelreg.errors import InvalidArgument
from modelreg.service import RegistryService
from tests.runs import insert_runs


@pytest.fixture
def catalogue(service: RegistryService) -> RegistryService:
    """Four models with tags, versions, stages and run ids."""
    insert_runs(service.db, "run0", "run1", "run2", "run9")
    for name, team in [("churn", "growth"), ("Churn-EU", "growth"), ("fraud", "risk"), ("ltv", "")]:
        service.create_registered_model(name, tags={"team": team} if team else None)
    for i in range(3):
        service.create_model_version("churn", f"s3://b/churn/{i}", run_id=f"run{i}")
    service.create_model_version("fraud", "s3://b/fraud/0", run_id="run9", tags={"env": "prod"})
    service.create_model_version("fraud", "file:///models/fraud/1", tags={"env": "dev"})
    service.set_model_version_tag("churn", 2, "env", "prod")
    return service


def _names(service: RegistryService, filter_string: str | None, **kw: object) -> list[str]:
    return [m.name for m in service.search_registered_models(filter_string, **kw)]  # type: ignore[arg-type]


def _versions(
    service: RegistryService, filter_string: str | None, **kw: object
) -> list[tuple[str, int]]:
    found = service.search_model_versions(filter_string, **kw)  # type: ignore[arg-type]
    return [(v.name, v.number) for v in found]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        (None, ["Churn-EU", "churn", "fraud", "ltv"]),
        ("", ["Churn-EU", "churn", "fraud", "ltv"]),
        ("name = 'churn'", ["churn"]),
        ("attribute.name != 'churn'", ["Churn-EU", "fraud", "ltv"]),
        ("name LIKE 'churn%'", ["churn"]),
        ("name ILIKE 'churn%'", ["Churn-EU", "churn"]),
        ("name like '%r%'", ["Churn-EU", "churn", "fraud"]),
        ("name IN ('fraud', 'ltv')", ["fraud", "ltv"]),
        ("name NOT IN ('fraud', 'ltv')", ["Churn-EU", "churn"]),
        ("tag.team = 'growth'", ["Churn-EU", "churn"]),
        ("tags.team != 'growth'", ["fraud"]),
        ("tag.`team` LIKE 'r%'", ["fraud"]),
        ("tag.team ILIKE 'GROW%' AND name LIKE '%EU'", ["Churn-EU"]),
        (
            "name LIKE '%' AND tag.`mlflow.prompt.is_prompt` != 'true'",
            ["Churn-EU", "churn", "fraud", "ltv"],
        ),
        # modelreg's extension: OR and parentheses, AND binding tighter.
        ("name = 'ltv' OR tag.team = 'risk'", ["fraud", "ltv"]),
        ("tag.team = 'risk' OR tag.team LIKE 'gr%'", ["Churn-EU", "churn", "fraud"]),
        ("name = 'ltv' OR tag.team = 'growth' AND name ILIKE '%eu'", ["Churn-EU", "ltv"]),
        ("(name = 'ltv' OR tag.team = 'growth') AND name ILIKE '%eu'", ["Churn-EU"]),
        (
            "(tag.team = 'growth' OR tag.team = 'risk') AND tag.team != 'risk'",
            ["Churn-EU", "churn"],
        ),
        ("tag.team = 'growth' AND (tag.team = 'risk' OR name = 'churn')", ["churn"]),
        ("(name = 'x' OR name = 'y') OR (name IN ('ltv') OR tag.nope = 'z')", ["ltv"]),
        (
            "(name = 'ltv' OR tag.team = 'risk') AND tag.`mlflow.prompt.is_prompt` != 'true'",
            ["fraud", "ltv"],
        ),
        (
            "name = 'ltv' OR tag.`mlflow.prompt.is_prompt` != 'true'",
            ["Churn-EU", "churn", "fraud", "ltv"],
        ),
    ],
)
def test_registered_model_filters(
    catalogue: RegistryService, filter_string: str | None, expected: list[str]
) -> None:
    assert _names(catalogue, filter_string) == expected


def test_prompt_models_are_excluded_by_the_appended_prompt_term(catalogue: RegistryService) -> None:
    catalogue.set_registered_model_tag("ltv", "mlflow.prompt.is_prompt", "true")
    found = _names(catalogue, "tag.`mlflow.prompt.is_prompt` != 'true'")
    assert found == ["Churn-EU", "churn", "fraud"]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("name = 'churn'", [("churn", 3), ("churn", 2), ("churn", 1)]),
        ("run_id = 'run1'", [("churn", 2)]),
        ("run_id IN ('run0', 'run9')", [("fraud", 1), ("churn", 1)]),
        ("name = 'churn' AND version_number >= 2", [("churn", 3), ("churn", 2)]),
        ("name = 'churn' AND version_number = '1'", [("churn", 1)]),
        ("name='churn' AND version_number < 2", [("churn", 1)]),
        ("source_path LIKE 'file://%'", [("fraud", 2)]),
        ("tag.env = 'prod'", [("churn", 2), ("fraud", 1)]),
        ("tag.env != 'prod'", [("fraud", 2)]),
        ("tag.env ILIKE 'PR%' AND name = 'fraud'", [("fraud", 1)]),
        ("run_id = 'run0' OR tag.env = 'dev'", [("churn", 1), ("fraud", 2)]),
        (
            "name = 'fraud' AND (version_number = 2 OR run_id = 'run9')",
            [("fraud", 1), ("fraud", 2)],
        ),
        ("tag.env = 'prod' AND (tag.env = 'dev' OR version_number > 1)", [("churn", 2)]),
        ("(tag.env = 'prod' OR tag.env = 'dev') AND name = 'churn'", [("churn", 2)]),
        (
            "tag.env = 'prod' OR tag.env = 'dev' AND version_number = 1",
            [("churn", 2), ("fraud", 1)],
        ),
        (
            "(tag.env = 'dev' OR version_number = 3) AND name LIKE '%r%'",
            [("churn", 3), ("fraud", 2)],
        ),
    ],
)
def test_model_version_filters(
    catalogue: RegistryService, filter_string: str, expected: list[tuple[str, int]]
) -> None:
    assert sorted(_versions(catalogue, filter_string)) == sorted(expected)


def test_model_version_default_order_is_newest_update_first(catalogue: RegistryService) -> None:
    # Setting a tag does not bump timestamps, so creation order decides here.
    assert _versions(catalogue, None) == [
        ("fraud", 2),
        ("fraud", 1),
        ("churn", 3),
        ("churn", 2),
        ("churn", 1),
    ]
    catalogue.transition_model_version_stage("churn", 1, "Staging")
    assert _versions(catalogue, None)[0] == ("churn", 1)


def test_model_version_order_by_and_tie_breaks(catalogue: RegistryService) -> None:
    assert _versions(catalogue, None, order_by=["name ASC"]) == [
        ("churn", 3),
        ("churn", 2),
        ("churn", 1),
        ("fraud", 2),
        ("fraud", 1),
    ]
    assert _versions(catalogue, "name='churn'", order_by=["version_number asc"]) == [
        ("churn", 1),
        ("churn", 2),
        ("churn", 3),
    ]
    assert _versions(catalogue, None, order_by=["creation_timestamp DESC"])[0] == ("fraud", 2)


def test_registered_model_ordering(catalogue: RegistryService) -> None:
    assert _names(catalogue, None, order_by=["name DESC"]) == ["ltv", "fraud", "churn", "Churn-EU"]
    assert _names(catalogue, None, order_by=["last_updated_timestamp DESC"])[0] == "fraud"
    assert _names(catalogue, None, order_by=["timestamp ASC"])[0] == "Churn-EU"


def test_search_results_carry_latest_versions_tags_and_aliases(catalogue: RegistryService) -> None:
    catalogue.set_registered_model_alias("churn", "champ", 2)
    catalogue.transition_model_version_stage("churn", 1, "Production")
    (churn,) = catalogue.search_registered_models("name = 'churn'")
    assert {v.current_stage: v.number for v in churn.latest_versions} == {
        "None": 3,
        "Production": 1,
    }
    assert churn.tags == {"team": "growth"}
    assert churn.aliases == {"champ": "2"}
    (version,) = catalogue.search_model_versions("name = 'churn' AND version_number = 2")
    assert version.aliases == ["champ"]
    assert version.tags == {"env": "prod"}


def test_paging_through_models(service: RegistryService) -> None:
    for i in range(25):
        service.create_registered_model(f"model-{i:02d}")
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = service.search_registered_models(
            "name LIKE 'model-%'", max_results=10, page_token=token
        )
        seen += [m.name for m in page]
        pages += 1
        token = page.token
        if not token:
            break
    assert pages == 3
    assert seen == [f"model-{i:02d}" for i in range(25)]


def test_paging_through_versions(service: RegistryService) -> None:
    service.create_registered_model("m")
    for i in range(7):
        service.create_model_version("m", f"s3://b/{i}")
    first = service.search_model_versions("name='m'", max_results=5)
    assert first.token is not None
    second = service.search_model_versions("name='m'", max_results=5, page_token=first.token)
    assert second.token is None
    assert [v.number for v in [*first, *second]] == [7, 6, 5, 4, 3, 2, 1]


@pytest.mark.parametrize(
    ("filter_string", "message"),
    [
        ("name = 'a' OR", "end of filter"),
        ("(name = 'a'", "close the group"),
        ("name = 'a')", "closes no open parenthesis"),
        ("name = a", "'a'"),
        ("creation_timestamp > 1", "creation_timestamp"),
        ("tag.x IS NULL", "IS"),
    ],
)
def test_bad_model_filters_point_at_the_problem(
    service: RegistryService, filter_string: str, message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        service.search_registered_models(filter_string)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_results": 1001}, "max_results"),
        ({"max_results": 0}, "max_results"),
        ({"order_by": ["creation_timestamp"]}, "creation_timestamp"),
        ({"order_by": ["name", "name DESC"]}, "name"),
        ({"page_token": "not-a-token"}, "page token"),
    ],
)
def test_bad_model_search_arguments(
    service: RegistryService, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        service.search_registered_models(None, **kwargs)  # type: ignore[arg-type]


def test_version_search_limits(service: RegistryService) -> None:
    with pytest.raises(InvalidArgument, match="max_results"):
        service.search_model_versions(None, max_results=200_001)
    with pytest.raises(InvalidArgument, match="run_id"):
        service.search_model_versions(None, order_by=["run_id"])
    with pytest.raises(InvalidArgument, match="IN"):
        service.search_model_versions("source_path IN ('a')")


def test_filter_values_are_bound_not_spliced(catalogue: RegistryService) -> None:
    hostile = "x' OR '1'='1"
    assert _names(catalogue, "name = 'x'' OR ''1''=''1'") == []
    assert _versions(catalogue, f'tag.env = "{hostile}"') == []
