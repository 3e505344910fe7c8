"""One registry contract, two transports: in-process service and HTTP client → server.

Every test runs on both (fixture ``api``); ``test_same_outcome_on_both_transports``
also runs a table of calls on both side by side and requires the same result, or the
same exception class *and* message.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelreg.entities import ModelVersion, RegisteredModel
from modelreg.errors import AlreadyExists, InvalidArgument, NotFound, RegistryError
from modelreg.store.database import Database
from tests.contract.conftest import ACTOR, Registry, Tracking
from tests.runs import insert_runs

S3 = "s3://bucket/models/churn"


def _runs(uri: str, *run_ids: str) -> None:
    db = Database(uri)
    try:
        insert_runs(db, *run_ids)
    finally:
        db.dispose()


def _public(entity: Any) -> Any:
    """The entity as a client can see it: the registry's internal copy location is not."""
    if isinstance(entity, ModelVersion):
        return dataclasses.replace(entity, storage_location=None)
    if isinstance(entity, RegisteredModel):
        return dataclasses.replace(
            entity, latest_versions=tuple(_public(mv) for mv in entity.latest_versions)
        )
    if isinstance(entity, list):
        return [_public(item) for item in entity]
    return entity


def _model_with_versions(api: Registry, name: str = "m", count: int = 1) -> list[ModelVersion]:
    api.create_registered_model(name)
    return [api.create_model_version(name, f"{S3}/{i}") for i in range(1, count + 1)]


# ------------------------------------------------------------ registered models
def test_create_and_get_registered_model(api: Registry) -> None:
    created = api.create_registered_model("churn", {"team": "ds", "n": 1}, "first")
    assert (created.name, created.description, created.user_id) == ("churn", "first", ACTOR)
    assert created.tags == {"team": "ds", "n": "1"}
    assert created.creation_timestamp == created.last_updated_timestamp > 0
    assert api.get_registered_model("churn") == created


def test_registered_model_errors(api: Registry) -> None:
    api.create_registered_model("churn")
    with pytest.raises(AlreadyExists, match=r"^Registered Model \(name=churn\) already exists\.$"):
        api.create_registered_model("churn")
    with pytest.raises(NotFound, match="^Registered Model with name=nope not found$"):
        api.get_registered_model("nope")
    with pytest.raises(InvalidArgument, match="names cannot contain '/' or ':'"):
        api.create_registered_model("a/b")
    with pytest.raises(InvalidArgument, match="cannot be empty"):
        api.create_registered_model("")


def test_rename_update_delete_registered_model(api: Registry) -> None:
    _model_with_versions(api, "old", 2)
    api.create_registered_model("taken")
    renamed = api.rename_registered_model("old", "new")
    assert renamed.name == "new"
    assert [mv.name for mv in renamed.latest_versions] == ["new"]
    with pytest.raises(NotFound):
        api.get_registered_model("old")
    with pytest.raises(AlreadyExists):
        api.rename_registered_model("new", "taken")
    with pytest.raises(NotFound):
        api.rename_registered_model("ghost", "x")

    updated = api.update_registered_model("new", "described")
    assert updated.description == "described"
    assert api.update_registered_model("new", None).description == ""

    api.delete_registered_model("new")
    with pytest.raises(NotFound):
        api.get_registered_model("new")
    with pytest.raises(NotFound):
        api.delete_registered_model("new")


def test_search_registered_models(api: Registry) -> None:
    for name in ("alpha", "beta", "gamma", "prompt"):
        api.create_registered_model(name, {"team": "a" if name < "c" else "b"})
    api.set_registered_model_tag("prompt", "mlflow.prompt.is_prompt", "true")

    assert [m.name for m in api.search_registered_models("tag.team = 'a'")] == ["alpha", "beta"]
    assert [m.name for m in api.search_registered_models(order_by=["name DESC"])][:2] == [
        "prompt",
        "gamma",
    ]
    # The filter MLflow's client always appends must also match models without the tag.
    prompt_free = api.search_registered_models(
        "name != 'x' AND tag.`mlflow.prompt.is_prompt` != 'true'"
    )
    assert [m.name for m in prompt_free] == ["alpha", "beta", "gamma"]
    # modelreg's extension: OR and parentheses, on both transports.
    either = api.search_registered_models("name = 'alpha' OR (tag.team = 'b' AND name != 'prompt')")
    assert [m.name for m in either] == ["alpha", "gamma"]

    first = api.search_registered_models(max_results=2)
    assert [m.name for m in first] == ["alpha", "beta"] and first.token
    rest = api.search_registered_models(max_results=2, page_token=first.token)
    assert [m.name for m in rest] == ["gamma", "prompt"] and rest.token is None

    with pytest.raises(InvalidArgument, match="at most 1000"):
        api.search_registered_models(max_results=1001)
    with pytest.raises(InvalidArgument, match="close the group"):
        api.search_registered_models("(name = 'a' OR name = 'b'")
    with pytest.raises(InvalidArgument, match="Invalid page token"):
        api.search_registered_models(page_token="not-a-token")


# --------------------------------------------------------------- model versions
def test_create_and_get_model_version(
    api: Registry, tracking_api: Tracking, sqlite_uri: str
) -> None:
    logged = tracking_api.create_logged_model("0", "model")  # the same database
    _runs(sqlite_uri, "r1")
    api.create_registered_model("m")
    created = api.create_model_version(
        "m",
        S3,
        run_id="r1",
        tags={"build": 7},
        run_link="http://ci/1",
        description="d",
        model_id=logged.model_id,
    )
    assert (created.version, created.status, created.current_stage) == ("1", "READY", "None")
    assert (created.run_id, created.run_link, created.description) == ("r1", "http://ci/1", "d")
    assert (created.tags, created.user_id) == ({"build": "7"}, ACTOR)
    assert created.model_id == logged.model_id
    # Recorded on the logged model by the registry itself, as MLflow's server does.
    recorded = tracking_api.get_logged_model(logged.model_id).tags["mlflow.modelVersions"]
    assert recorded == '[{"name": "m", "version": 1}]'
    with pytest.raises(NotFound, match="^Logged model with ID 'm-nope' not found.$"):
        api.create_model_version("m", S3, model_id="m-nope")
    assert _public(api.get_model_version("m", 1)) == _public(created)
    assert _public(api.get_model_version("m", "1")) == _public(created)
    second = api.create_model_version("m", S3)
    assert (second.version, second.run_id, second.run_link, second.tags) == ("2", "", "", {})
    assert api.get_registered_model("m").last_updated_timestamp == second.creation_timestamp


def test_model_version_errors(api: Registry) -> None:
    _model_with_versions(api)
    with pytest.raises(NotFound, match=r"^Registered Model with name=ghost not found$"):
        api.create_model_version("ghost", S3)
    with pytest.raises(NotFound, match=r"^Model Version \(name=m, version=9\) not found$"):
        api.get_model_version("m", 9)
    with pytest.raises(InvalidArgument, match="must be an integer, got 'abc'"):
        api.get_model_version("m", "abc")
    with pytest.raises(InvalidArgument, match="must be between 1 and 2147483647, got 0"):
        api.get_model_version("m", 0)
    with pytest.raises(InvalidArgument, match="must identify the resource"):
        api.create_model_version("m", "runs:/abc/model", run_id="other")
    with pytest.raises(InvalidArgument, match="required parameter 'source'"):
        api.create_model_version("m", "")


def test_update_and_delete_model_version(api: Registry) -> None:
    _model_with_versions(api, count=3)
    assert api.update_model_version("m", 2, "better").description == "better"
    api.delete_model_version("m", 3)
    with pytest.raises(NotFound):
        api.get_model_version("m", 3)
    with pytest.raises(NotFound):
        api.delete_model_version("m", 3)
    # Version numbers are never reused while the model exists.
    assert api.create_model_version("m", S3).version == "4"


def test_stages_and_latest_versions(api: Registry) -> None:
    _model_with_versions(api, count=3)
    moved = api.transition_model_version_stage("m", 1, "production")
    assert moved.current_stage == "Production"
    api.transition_model_version_stage("m", 2, "Staging")
    api.transition_model_version_stage("m", 3, "Production", archive_existing_versions=True)
    assert api.get_model_version("m", 1).current_stage == "Archived"

    latest = api.get_latest_versions("m", ["Production", "staging"])
    assert [(mv.version, mv.current_stage) for mv in latest] == [
        ("3", "Production"),
        ("2", "Staging"),
    ]
    everything = api.get_latest_versions("m")
    assert sorted(mv.version for mv in everything) == ["1", "2", "3"]
    assert api.get_latest_versions("m", ["None"]) == []

    with pytest.raises(InvalidArgument, match="^Invalid Model Version stage: Prod\\."):
        api.transition_model_version_stage("m", 1, "Prod")
    with pytest.raises(InvalidArgument, match="archive_existing_versions"):
        api.transition_model_version_stage("m", 1, "None", archive_existing_versions=True)
    with pytest.raises(InvalidArgument, match="Invalid Model Version stage"):
        api.get_latest_versions("m", ["Nope"])
    with pytest.raises(NotFound):
        api.get_latest_versions("ghost")


def test_search_model_versions(api: Registry) -> None:
    _model_with_versions(api, "a", 3)
    _model_with_versions(api, "b", 1)
    api.set_model_version_tag("a", 2, "build", "x1")

    found = api.search_model_versions("name = 'a'", order_by=["version_number ASC"])
    assert [(mv.name, mv.version) for mv in found] == [("a", "1"), ("a", "2"), ("a", "3")]
    assert [mv.version for mv in api.search_model_versions("tag.build = 'x1'")] == ["2"]
    page = api.search_model_versions(max_results=3, order_by=["name", "version_number"])
    assert len(page) == 3 and page.token
    rest = api.search_model_versions(
        max_results=3, order_by=["name", "version_number"], page_token=page.token
    )
    assert [(mv.name, mv.version) for mv in rest] == [("b", "1")] and rest.token is None

    with pytest.raises(InvalidArgument, match="at most 200000"):
        api.search_model_versions(max_results=200_001)
    with pytest.raises(InvalidArgument, match="between 1 and"):
        api.search_model_versions(max_results=0)
    with pytest.raises(InvalidArgument):
        api.search_model_versions("creation_timestamp > 1")


def test_download_uri_and_manifest_for_external_source(api: Registry) -> None:
    _model_with_versions(api)
    assert api.get_model_version_download_uri("m", 1) == f"{S3}/1"
    assert api.get_model_version_manifest("m", 1) is None
    with pytest.raises(NotFound):
        api.get_model_version_download_uri("m", 2)


def test_registered_copy_of_served_artifacts(api: Registry, artifact_root: Path) -> None:
    model_dir = artifact_root / "0" / "run1" / "artifacts" / "model"
    model_dir.mkdir(parents=True)
    (model_dir / "MLmodel").write_text("flavors: {}\n")
    api.create_registered_model("m")
    created = api.create_model_version("m", "mlflow-artifacts:/0/run1/artifacts/model")
    uri = api.get_model_version_download_uri("m", created.version)
    # Reached through its version, never at the copy's id (issue 8).
    assert uri == "mlflow-artifacts:/_model-versions/m/1"
    manifest = api.get_model_version_manifest("m", created.version)
    assert manifest is not None and list(manifest) == ["MLmodel"]


def test_copy_model_version(api: Registry, sqlite_uri: str) -> None:
    _runs(sqlite_uri, "r9")
    api.create_registered_model("src")
    api.create_model_version("src", S3, run_id="r9", tags={"k": "v"}, description="d")
    api.set_registered_model_alias("src", "champ", 1)
    copied = api.copy_model_version("models:/src@champ", "dst")
    assert (copied.name, copied.version, copied.source) == ("dst", "1", "models:/src/1")
    assert (copied.run_id, copied.tags, copied.description) == ("r9", {"k": "v"}, "d")
    assert api.copy_model_version("models:/src/1", "dst").version == "2"
    with pytest.raises(InvalidArgument, match="needs a registered model URI"):
        api.copy_model_version("models:/m-0123", "dst")


# ----------------------------------------------------------------------- tags
def test_registered_model_tags(api: Registry) -> None:
    api.create_registered_model("m")
    api.set_registered_model_tag("m", "k", 1.5)
    api.set_registered_model_tag("m", "empty", "")
    assert api.get_registered_model("m").tags == {"k": "1.5", "empty": ""}
    api.delete_registered_model_tag("m", "k")
    api.delete_registered_model_tag("m", "k")  # a missing key is a no-op
    assert api.get_registered_model("m").tags == {"empty": ""}
    with pytest.raises(InvalidArgument, match="cannot be null"):
        api.set_registered_model_tag("m", "k", None)
    with pytest.raises(InvalidArgument, match="Invalid tag key"):
        api.set_registered_model_tag("m", "bad!", "v")
    with pytest.raises(NotFound):
        api.set_registered_model_tag("ghost", "k", "v")
    with pytest.raises(NotFound):
        api.delete_registered_model_tag("ghost", "k")


def test_model_version_tags(api: Registry) -> None:
    _model_with_versions(api)
    api.set_model_version_tag("m", 1, "k", "v")
    api.set_model_version_tag("m", "1", "n", 3)
    assert api.get_model_version("m", 1).tags == {"k": "v", "n": "3"}
    api.delete_model_version_tag("m", 1, "k")
    api.delete_model_version_tag("m", 1, "k")
    assert api.get_model_version("m", 1).tags == {"n": "3"}
    with pytest.raises(InvalidArgument, match="cannot be null"):
        api.set_model_version_tag("m", 1, "k", None)
    with pytest.raises(NotFound):
        api.set_model_version_tag("m", 5, "k", "v")
    with pytest.raises(NotFound):
        api.delete_model_version_tag("m", 5, "k")


# -------------------------------------------------------------------- aliases
def test_aliases(api: Registry) -> None:
    _model_with_versions(api, count=2)
    api.set_registered_model_alias("m", "champ", 1)
    by_alias = api.get_model_version_by_alias("m", "champ")
    assert (by_alias.version, by_alias.aliases) == ("1", ["champ"])
    assert api.get_registered_model("m").aliases == {"champ": "1"}
    api.set_registered_model_alias("m", "champ", "2")  # moves it
    assert api.get_model_version_by_alias("m", "champ").version == "2"
    assert api.get_model_version_by_alias("m", "latest").version == "2"
    api.delete_registered_model_alias("m", "champ")
    api.delete_registered_model_alias("m", "champ")  # a missing alias is a no-op
    with pytest.raises(InvalidArgument, match="^Registered model alias champ not found\\.$"):
        api.get_model_version_by_alias("m", "champ")
    with pytest.raises(InvalidArgument, match="reserved"):
        api.set_registered_model_alias("m", "latest", 1)
    with pytest.raises(InvalidArgument, match="reserved"):
        api.set_registered_model_alias("m", "v1", 1)
    with pytest.raises(NotFound, match="version=7"):
        api.set_registered_model_alias("m", "x", 7)
    with pytest.raises(NotFound, match="name=ghost"):
        api.set_registered_model_alias("ghost", "x", 1)
    with pytest.raises(NotFound):
        api.delete_registered_model_alias("ghost", "x")


def test_deleting_a_version_drops_its_aliases(api: Registry) -> None:
    _model_with_versions(api, count=2)
    api.set_registered_model_alias("m", "champ", 2)
    api.delete_model_version("m", 2)
    with pytest.raises(InvalidArgument, match="alias champ not found"):
        api.get_model_version_by_alias("m", "champ")


def test_resolve_model_uri(api: Registry) -> None:
    _model_with_versions(api, count=3)
    api.transition_model_version_stage("m", 2, "Production")
    api.set_registered_model_alias("m", "champ", 1)
    assert api.resolve_model_uri("models:/m/3").version == "3"
    assert api.resolve_model_uri("models:/m/production").version == "2"
    assert api.resolve_model_uri("models:/m/latest").version == "3"
    assert api.resolve_model_uri("models:/m@champ").version == "1"
    with pytest.raises(NotFound, match="^No versions of model 'm' in stage 'Staging'\\.$"):
        api.resolve_model_uri("models:/m/Staging")
    with pytest.raises(InvalidArgument):
        api.resolve_model_uri("runs:/abc/model")


# ------------------------------------------------- side by side: same outcomes
Call = Callable[[Registry], object]


def _setup(api: Registry) -> None:
    _model_with_versions(api, "m", 2)
    api.set_registered_model_alias("m", "champ", 1)


CASES: dict[str, Call] = {
    "create duplicate": lambda r: r.create_registered_model("m"),
    "bad name": lambda r: r.create_registered_model("../x"),
    "empty name": lambda r: r.get_registered_model(""),
    "name with NUL": lambda r: r.get_registered_model("a\x00b"),
    "long name": lambda r: r.create_registered_model("n" * 300),
    "missing model": lambda r: r.get_registered_model("ghost"),
    "missing version": lambda r: r.get_model_version("m", 99),
    "version text": lambda r: r.get_model_version("m", "1.5"),
    "version negative": lambda r: r.get_model_version("m", -1),
    "bad stage": lambda r: r.transition_model_version_stage("m", 1, "prod"),
    "archive to None": lambda r: r.transition_model_version_stage("m", 1, "None", True),
    "alias missing": lambda r: r.get_model_version_by_alias("m", "nope"),
    "alias reserved": lambda r: r.set_registered_model_alias("m", "V2", 1),
    "alias bad chars": lambda r: r.set_registered_model_alias("m", "a b", 1),
    "alias empty": lambda r: r.get_model_version_by_alias("m", ""),
    "tag key empty": lambda r: r.set_registered_model_tag("m", "", "v"),
    "tag key long": lambda r: r.set_model_version_tag("m", 1, "k" * 251, "v"),
    "tag value long": lambda r: r.set_registered_model_tag("m", "k", "v" * 100_001),
    "tag null": lambda r: r.create_registered_model("n", {"k": None}),
    "bad filter": lambda r: r.search_model_versions("name = 'a' OR"),
    "long filter": lambda r: r.search_model_versions("name = 'a' OR " * 2000),
    "many conditions": lambda r: r.search_model_versions(" OR ".join(["name = 'a'"] * 101)),
    "bad attribute": lambda r: r.search_registered_models("run_id = 'x'"),
    "bad order": lambda r: r.search_model_versions(order_by=["run_id"]),
    "bad token": lambda r: r.search_model_versions(page_token="eyJvZmZzZXQiOiAtMX0="),
    "max results": lambda r: r.search_registered_models(max_results=5000),
    "run source": lambda r: r.create_model_version("m", "runs:/r1/model", run_id="r2"),
    "models source": lambda r: r.create_model_version("m", "models:/m/7"),
    "logged model source": lambda r: r.create_model_version("m", "models:/m-42"),
    "external source": lambda r: r.create_model_version("m", "https://example.com/model"),
    "windows source": lambda r: r.create_model_version("m", "C:\\models\\churn"),
    "copy missing": lambda r: r.copy_model_version("models:/m/9", "dst"),
    "resolve stage": lambda r: r.resolve_model_uri("models:/m/Archived"),
    "resolve bad": lambda r: r.resolve_model_uri("models:/"),
    "latest none": lambda r: r.get_latest_versions("m", ["Staging"]),
    "download uri": lambda r: r.get_model_version_download_uri("m", 2),
    "search names": lambda r: [mv.name for mv in r.search_model_versions("name LIKE 'm%'")],
    "latest alias": lambda r: r.get_model_version_by_alias("m", "LATEST").version,
}


def _outcome(call: Call, api: Registry) -> tuple[str, object]:
    try:
        result = call(api)
    except RegistryError as error:
        return type(error).__name__, error.message
    if isinstance(result, ModelVersion | RegisteredModel | list):
        # Two databases, two clocks: compare what does not depend on the time.
        return "ok", repr(_strip_times(_public(result)))
    return "ok", result


def _strip_times(entity: Any) -> Any:
    if isinstance(entity, list):
        return [_strip_times(item) for item in entity]
    if isinstance(entity, ModelVersion | RegisteredModel):
        return dataclasses.replace(entity, creation_timestamp=0, last_updated_timestamp=0)
    return entity


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_outcome_on_both_transports(both: tuple[Registry, Registry], case: str) -> None:
    embedded, http = both
    _setup(embedded)
    _setup(http)
    assert _outcome(CASES[case], http) == _outcome(CASES[case], embedded)
