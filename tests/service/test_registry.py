"""Registry semantics (mlflow-wire.md §7), on every enabled backend."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from modelreg.entities import Event, ModelVersion
from modelreg.errors import AlreadyExists, InvalidArgument, NotFound
from modelreg.filters import FilterLimits
from modelreg.service import RegistryService
from modelreg.service.tracking import TrackingService
from modelreg.store.events import EventStore
from modelreg.store.tables import model_versions
from modelreg.store.tables import registered_models as rm
from tests.runs import insert_runs


def _versions(service: RegistryService, name: str, count: int) -> list[ModelVersion]:
    return [service.create_model_version(name, f"s3://bucket/{name}/{i}") for i in range(count)]


# ------------------------------------------------------------ registered models
def test_create_and_get_registered_model(service: RegistryService) -> None:
    created = service.create_registered_model(
        "fraud-detector", tags={"team": "payments", "priority": 1}, description="Real-time"
    )
    fetched = service.get_registered_model("fraud-detector")
    assert fetched.name == created.name == "fraud-detector"
    assert fetched.description == "Real-time"
    assert fetched.tags == {"team": "payments", "priority": "1"}
    assert (
        fetched.creation_timestamp == fetched.last_updated_timestamp == created.creation_timestamp
    )
    assert fetched.latest_versions == []
    assert fetched.aliases == {}
    assert fetched.user_id == "alice"


def test_create_duplicate_model_is_already_exists(service: RegistryService) -> None:
    service.create_registered_model("m")
    with pytest.raises(AlreadyExists, match=r"Registered Model \(name=m\) already exists"):
        service.create_registered_model("m")
    assert service.get_registered_model("m").name == "m"


def test_names_are_case_sensitive(service: RegistryService) -> None:
    service.create_registered_model("Fraud")
    service.create_registered_model("fraud")
    assert {m.name for m in service.search_registered_models()} == {"Fraud", "fraud"}


@pytest.mark.parametrize("bad", ["", "   ", "a/b", "a:b", ".", "..x", "x" * 257])
def test_invalid_model_names_are_refused(service: RegistryService, bad: str) -> None:
    with pytest.raises(InvalidArgument):
        service.create_registered_model(bad)


def test_get_missing_model_is_not_found(service: RegistryService) -> None:
    with pytest.raises(NotFound, match="Registered Model with name=nope not found"):
        service.get_registered_model("nope")


def test_rename_moves_versions_and_bumps_timestamps(service: RegistryService) -> None:
    service.create_registered_model("old")
    _versions(service, "old", 2)
    service.set_registered_model_alias("old", "champ", 2)
    renamed = service.rename_registered_model("old", "new")
    assert renamed.name == "new"
    assert renamed.aliases == {"champ": "2"}
    with pytest.raises(NotFound):
        service.get_registered_model("old")
    version = service.get_model_version("new", 1)
    assert version.last_updated_timestamp == renamed.last_updated_timestamp


def test_rename_onto_existing_name_is_refused(service: RegistryService) -> None:
    service.create_registered_model("a")
    service.create_registered_model("b")
    with pytest.raises(AlreadyExists):
        service.rename_registered_model("a", "b")
    assert service.get_registered_model("a").name == "a"


def test_update_description_and_omitted_description_clears(service: RegistryService) -> None:
    service.create_registered_model("m", description="first")
    assert service.update_registered_model("m", "second").description == "second"
    assert service.update_registered_model("m", None).description == ""


def test_delete_model_cascades(service: RegistryService) -> None:
    service.create_registered_model("m", tags={"t": "v"})
    _versions(service, "m", 3)
    service.set_registered_model_alias("m", "champ", 1)
    service.set_model_version_tag("m", 1, "k", "v")
    service.delete_registered_model("m")
    with pytest.raises(NotFound):
        service.get_registered_model("m")
    assert list(service.search_model_versions("name = 'm'")) == []
    # Re-creating the name starts numbering again, as in MLflow.
    service.create_registered_model("m")
    assert service.create_model_version("m", "s3://x").version == "1"
    assert service.get_registered_model("m").tags == {}


def test_delete_missing_model_is_not_found(service: RegistryService) -> None:
    with pytest.raises(NotFound):
        service.delete_registered_model("nope")


# ------------------------------------------------------------------ versions
def test_versions_number_from_one_and_are_never_reused(service: RegistryService) -> None:
    service.create_registered_model("m")
    assert [v.version for v in _versions(service, "m", 3)] == ["1", "2", "3"]
    service.delete_model_version("m", 3)
    service.delete_model_version("m", 1)
    assert service.create_model_version("m", "s3://x").version == "4"


def test_create_version_fields_and_model_timestamp(service: RegistryService) -> None:
    service.create_registered_model("m")
    insert_runs(service.db, "abc123")
    created = service.create_model_version(
        "m",
        "s3://bucket/model",
        run_id="abc123",
        tags={"k": "v"},
        run_link="http://ci/run/1",
        description="first",
    )
    fetched = service.get_model_version("m", "1")
    assert fetched == created
    assert fetched.version == "1"
    assert fetched.current_stage == "None"
    assert fetched.status == "READY"
    assert fetched.run_id == "abc123"
    assert fetched.tags == {"k": "v"}
    assert fetched.run_link == "http://ci/run/1"
    assert service.get_registered_model("m").last_updated_timestamp == created.creation_timestamp


def test_create_version_for_missing_model_is_not_found(service: RegistryService) -> None:
    with pytest.raises(NotFound):
        service.create_model_version("nope", "s3://x")


def test_runs_source_must_match_run_id(service: RegistryService) -> None:
    service.create_registered_model("m")
    insert_runs(service.db, "abc", "def")
    with pytest.raises(InvalidArgument, match="run_id request parameter must identify"):
        service.create_model_version("m", "runs:/abc/model", run_id="def")
    created = service.create_model_version("m", "runs:/abc/model")
    assert created.run_id == "abc"


@pytest.mark.parametrize("version", ["abc", "0", "-1", "1.5", True])
def test_bad_version_numbers_are_refused(service: RegistryService, version: object) -> None:
    service.create_registered_model("m")
    with pytest.raises(InvalidArgument, match="version"):
        service.get_model_version("m", version)  # type: ignore[arg-type]


def test_missing_version_is_not_found(service: RegistryService) -> None:
    service.create_registered_model("m")
    with pytest.raises(NotFound, match=r"Model Version \(name=m, version=7\) not found"):
        service.get_model_version("m", 7)


def test_update_version_description_bumps_only_the_version(service: RegistryService) -> None:
    service.create_registered_model("m")
    (created,) = _versions(service, "m", 1)
    before = service.get_registered_model("m").last_updated_timestamp
    updated = service.update_model_version("m", 1, "better")
    assert updated.description == "better"
    assert updated.last_updated_timestamp > created.last_updated_timestamp
    assert service.get_registered_model("m").last_updated_timestamp == before


def test_delete_version_removes_its_aliases(service: RegistryService) -> None:
    service.create_registered_model("m")
    _versions(service, "m", 2)
    service.set_registered_model_alias("m", "champ", 1)
    service.set_registered_model_alias("m", "next", 2)
    service.delete_model_version("m", 1)
    assert service.get_registered_model("m").aliases == {"next": "2"}
    with pytest.raises(NotFound):
        service.get_model_version("m", 1)
    with pytest.raises(NotFound):
        service.delete_model_version("m", 1)


def test_download_uri_is_storage_location_or_source(service: RegistryService) -> None:
    service.create_registered_model("m")
    service.create_model_version("m", "s3://bucket/a")
    assert service.get_model_version_download_uri("m", 1) == "s3://bucket/a"


# -------------------------------------------------------------------- stages
def test_stage_names_are_case_insensitive_and_canonical(service: RegistryService) -> None:
    service.create_registered_model("m")
    _versions(service, "m", 1)
    assert service.transition_model_version_stage("m", 1, "staging").current_stage == "Staging"
    assert (
        service.transition_model_version_stage("m", 1, "PRODUCTION").current_stage == "Production"
    )
    assert service.transition_model_version_stage("m", 1, "none").current_stage == "None"


def test_invalid_stage_lists_the_allowed_ones(service: RegistryService) -> None:
    service.create_registered_model("m")
    _versions(service, "m", 1)
    with pytest.raises(InvalidArgument, match="must be one of None, Staging, Production, Archived"):
        service.transition_model_version_stage("m", 1, "prod")


def test_archive_existing_versions_moves_others_to_archived(service: RegistryService) -> None:
    service.create_registered_model("m")
    _versions(service, "m", 4)
    service.transition_model_version_stage("m", 1, "Production")
    service.transition_model_version_stage("m", 2, "Production")
    service.transition_model_version_stage("m", 3, "Staging")
    promoted = service.transition_model_version_stage(
        "m", 4, "Production", archive_existing_versions=True
    )
    stages = {v.version: v.current_stage for v in service.search_model_versions("name='m'")}
    assert stages == {"1": "Archived", "2": "Archived", "3": "Staging", "4": "Production"}
    archived = service.get_model_version("m", 1)
    assert archived.last_updated_timestamp == promoted.last_updated_timestamp


def test_without_archive_flag_several_versions_share_a_stage(service: RegistryService) -> None:
    service.create_registered_model("m")
    _versions(service, "m", 2)
    service.transition_model_version_stage("m", 1, "Production")
    service.transition_model_version_stage("m", 2, "Production")
    stages = {v.version: v.current_stage for v in service.search_model_versions("name='m'")}
    assert stages == {"1": "Production", "2": "Production"}


def test_archive_flag_needs_an_active_stage(service: RegistryService) -> None:
    service.create_registered_model("m")
    _versions(service, "m", 1)
    with pytest.raises(InvalidArgument, match="Staging or Production"):
        service.transition_model_version_stage("m", 1, "Archived", archive_existing_versions=True)
    assert service.get_model_version("m", 1).current_stage == "None"


def test_get_latest_versions_per_stage(service: RegistryService) -> None:
    service.create_registered_model("m")
    _versions(service, "m", 5)
    service.transition_model_version_stage("m", 2, "Production")
    service.transition_model_version_stage("m", 3, "Production")
    service.transition_model_version_stage("m", 4, "Staging")
    service.set_registered_model_alias("m", "champ", 3)
    service.set_model_version_tag("m", 3, "k", "v")
    latest = service.get_latest_versions("m", ["production"])
    assert [(v.version, v.aliases, v.tags) for v in latest] == [("3", ["champ"], {"k": "v"})]
    every = {v.current_stage: v.version for v in service.get_latest_versions("m")}
    assert every == {"None": "5", "Staging": "4", "Production": "3"}
    assert service.get_latest_versions("m", ["Archived"]) == []
    with pytest.raises(InvalidArgument):
        service.get_latest_versions("m", ["Prod"])
    with pytest.raises(NotFound):
        service.get_latest_versions("nope")
    model = service.get_registered_model("m")
    assert {v.current_stage: v.version for v in model.latest_versions} == every


def test_search_page_latest_versions_per_stage(service: RegistryService) -> None:
    # A search page reads the latest versions of all its models in one statement.
    for name, moves in (("a", {2: "Production", 3: "Staging"}), ("b", {1: "Archived"})):
        service.create_registered_model(name)
        _versions(service, name, 3)
        for version, stage in moves.items():
            service.transition_model_version_stage(name, version, stage)
    # A stage outside the four (written by hand, as an old import might have) is no
    # stage's latest: the page reads every stage without listing them.
    with service.db.write() as conn:
        conn.execute(
            model_versions.update()
            .where(model_versions.c.version == 3)
            .where(
                model_versions.c.model_id
                == select(rm.c.id).where(rm.c.name == "b").scalar_subquery()
            )
            .values(current_stage="Deleted_Internal")
        )
    page = {m.name: m for m in service.search_registered_models(max_results=10)}
    latest = {
        name: {v.current_stage: v.version for v in model.latest_versions}
        for name, model in page.items()
    }
    assert latest == {
        "a": {"None": "1", "Production": "2", "Staging": "3"},
        "b": {"Archived": "1", "None": "2"},
    }
    assert latest["a"] == {
        v.current_stage: v.version for v in service.get_registered_model("a").latest_versions
    }


# ------------------------------------------------------------------- aliases
def test_alias_set_moves_and_get_by_alias(service: RegistryService) -> None:
    service.create_registered_model("m")
    _versions(service, "m", 2)
    service.set_registered_model_alias("m", "champion", 1)
    before = service.get_model_version("m", 1).last_updated_timestamp
    service.set_registered_model_alias("m", "champion", 2)
    found = service.get_model_version_by_alias("m", "champion")
    assert found.version == "2"
    assert found.aliases == ["champion"]
    assert service.get_model_version("m", 1).aliases == []
    assert service.get_model_version("m", 1).last_updated_timestamp == before


def test_alias_latest_resolves_to_newest_version(service: RegistryService) -> None:
    service.create_registered_model("m")
    with pytest.raises(NotFound):
        service.get_model_version_by_alias("m", "latest")
    _versions(service, "m", 3)
    assert service.get_model_version_by_alias("m", "LATEST").version == "3"


@pytest.mark.parametrize("alias", ["latest", "Latest", "v1", "V12", "bad alias", "a.b", ""])
def test_reserved_and_invalid_aliases_are_refused(service: RegistryService, alias: str) -> None:
    service.create_registered_model("m")
    _versions(service, "m", 1)
    with pytest.raises(InvalidArgument):
        service.set_registered_model_alias("m", alias, 1)


def test_alias_errors(service: RegistryService) -> None:
    service.create_registered_model("m")
    _versions(service, "m", 1)
    with pytest.raises(InvalidArgument, match="Registered model alias nope not found"):
        service.get_model_version_by_alias("m", "nope")
    with pytest.raises(NotFound):
        service.set_registered_model_alias("m", "champ", 9)
    with pytest.raises(NotFound):
        service.set_registered_model_alias("nope", "champ", 1)
    service.delete_registered_model_alias("m", "never-set")  # a no-op, as in MLflow
    with pytest.raises(NotFound):
        service.delete_registered_model_alias("nope", "champ")


def test_aliases_are_case_sensitive(service: RegistryService) -> None:
    service.create_registered_model("m")
    _versions(service, "m", 2)
    service.set_registered_model_alias("m", "a", 1)
    service.set_registered_model_alias("m", "A", 2)
    assert service.get_registered_model("m").aliases == {"A": "2", "a": "1"}


# ---------------------------------------------------------------------- tags
def test_model_tags_upsert_and_delete(service: RegistryService) -> None:
    service.create_registered_model("m", tags={"a": "1"})
    before = service.get_registered_model("m").last_updated_timestamp
    service.set_registered_model_tag("m", "a", "2")
    service.set_registered_model_tag("m", "b", "")
    service.delete_registered_model_tag("m", "missing")
    service.delete_registered_model_tag("m", "b")
    model = service.get_registered_model("m")
    assert model.tags == {"a": "2"}
    assert model.last_updated_timestamp == before


def test_version_tags_upsert_and_delete(service: RegistryService) -> None:
    service.create_registered_model("m")
    _versions(service, "m", 1)
    service.set_model_version_tag("m", 1, "k", 3)
    service.set_model_version_tag("m", "1", "k", "4")
    service.set_model_version_tag("m", 1, "x", "y")
    service.delete_model_version_tag("m", 1, "x")
    assert service.get_model_version("m", 1).tags == {"k": "4"}
    with pytest.raises(NotFound):
        service.set_model_version_tag("m", 5, "k", "v")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("", "v", "non-empty"),
        ("bad*key", "v", "alphanumerics"),
        ("../up", "v", "start with"),
        ("k" * 251, "v", "at most 250"),
        ("k", "v" * 100_001, "at most 100000"),
        ("k", None, "cannot be null"),
    ],
)
def test_tag_rules(service: RegistryService, key: str, value: object, message: str) -> None:
    service.create_registered_model("m")
    with pytest.raises(InvalidArgument, match=message):
        service.set_registered_model_tag("m", key, value)


def test_long_tag_values_round_trip(service: RegistryService) -> None:
    service.create_registered_model("m")
    _versions(service, "m", 1)
    long_value = "x" * 100_000
    service.set_model_version_tag("m", 1, "big", long_value)
    assert service.get_model_version("m", 1).tags["big"] == long_value
    # Comparing one in full takes a filter longer than the default limit allows.
    in_full = f"tag.big = '{long_value}'"
    with pytest.raises(InvalidArgument, match="at most 16,384 characters"):
        service.search_model_versions(in_full)
    assert [v.version for v in service.search_model_versions("tag.big LIKE 'xxx%'")] == ["1"]
    service.db.filter_limits = FilterLimits(max_length=len(in_full))
    assert [v.version for v in service.search_model_versions(in_full)] == ["1"]


# ---------------------------------------------------------------------- copy
def test_copy_model_version(service: RegistryService, tracking: TrackingService) -> None:
    model_id = tracking.create_logged_model("0", "m").model_id
    service.create_registered_model("src")
    insert_runs(service.db, "r1")
    service.create_model_version(
        "src", "s3://b/m", run_id="r1", tags={"k": "v"}, description="d", model_id=model_id
    )
    service.set_registered_model_alias("src", "champ", 1)
    copied = service.copy_model_version("models:/src@champ", "dst")
    assert (copied.name, copied.version) == ("dst", "1")
    assert copied.source == "models:/src/1"
    assert (copied.run_id, copied.model_id, copied.description) == ("r1", model_id, "d")
    assert copied.tags == {"k": "v"}
    assert service.get_model_version_download_uri("dst", 1) == "s3://b/m"
    again = service.copy_model_version("models:/src/1", "dst")
    assert again.version == "2"


def test_models_source_is_canonicalised(service: RegistryService) -> None:
    service.create_registered_model("m")
    insert_runs(service.db, "r")
    service.create_model_version("m", "s3://b/1", run_id="r")
    service.transition_model_version_stage("m", 1, "Production")
    created = service.create_model_version("m", "models:/m/production")
    assert (created.source, created.run_id) == ("models:/m/1", "r")
    with pytest.raises(InvalidArgument, match="does not match"):
        service.create_model_version("m", "models:/m/1", run_id="other")


def test_resolve_model_uri(service: RegistryService) -> None:
    service.create_registered_model("m")
    _versions(service, "m", 3)
    service.transition_model_version_stage("m", 2, "Production")
    service.set_registered_model_alias("m", "champ", 1)
    assert service.resolve_model_uri("models:/m/3").version == "3"
    assert service.resolve_model_uri("models:/m/Production").version == "2"
    assert service.resolve_model_uri("models:/m/latest").version == "3"
    assert service.resolve_model_uri("models:/m@champ").version == "1"
    with pytest.raises(NotFound, match="Staging"):
        service.resolve_model_uri("models:/m/Staging")
    with pytest.raises(InvalidArgument):
        service.resolve_model_uri("models:/")


# ------------------------------------------------------------- logged models
def test_a_version_of_a_logged_model_is_recorded_on_it(
    service: RegistryService, tracking: TrackingService
) -> None:
    """As MLflow's server does: the logged model's ``mlflow.modelVersions`` tag lists
    every version made from it, so any client (mlflow's too) sees it."""
    logged = tracking.create_logged_model("0", "model")
    service.create_registered_model("a")
    service.create_registered_model("b")
    service.create_model_version("a", "s3://bucket/m", model_id=logged.model_id)
    service.create_model_version("b", "s3://bucket/m", model_id=logged.model_id)
    service.create_model_version("a", "s3://bucket/other")  # no logged model: no change
    tags = tracking.get_logged_model(logged.model_id).tags
    # MLflow's bytes exactly: json.dumps with the version as a number.
    assert tags["mlflow.modelVersions"] == (
        '[{"name": "a", "version": 1}, {"name": "b", "version": 1}]'
    )
    rows = [e for e in service_events(service) if e.type == "logged_model_tag.set"]
    assert [e.payload["key"] for e in rows] == ["mlflow.modelVersions"] * 2


def test_a_version_of_a_missing_logged_model_is_refused(
    service: RegistryService, tracking: TrackingService
) -> None:
    service.create_registered_model("a")
    with pytest.raises(NotFound, match="^Logged model with ID 'm-nope' not found.$"):
        service.create_model_version("a", "s3://bucket/m", model_id="m-nope")
    assert service.search_model_versions("name = 'a'") == []  # nothing was written
    # A copy keeps the origin's model_id even once that logged model is gone.
    logged = tracking.create_logged_model("0", "model")
    service.create_model_version("a", "s3://bucket/m", model_id=logged.model_id)
    tracking.delete_logged_model(logged.model_id)
    copied = service.copy_model_version("models:/a/1", "b")
    assert copied.model_id == logged.model_id


def service_events(service: RegistryService) -> list[Event]:
    with service.db.read() as conn:
        return EventStore(conn).list()
