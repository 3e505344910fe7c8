"""Exact JSON shapes and MLflow's wire quirks (mlflow-wire.md §1, §3.1, §4, §8)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette

from modelreg.config import Settings
from modelreg.service import RegistryService
from modelreg.store.database import Database
from tests.runs import insert_runs
from tests.server.asgi import TestClient

API = "/api/2.0/mlflow"
S3 = "s3://bucket/churn"


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def create_model(http: TestClient, name: str = "m", **fields: Any) -> dict[str, Any]:
    body = ok(http.post(f"{API}/registered-models/create", json={"name": name, **fields}))
    return body["registered_model"]  # type: ignore[no-any-return]


def create_version(http: TestClient, name: str = "m", **fields: Any) -> dict[str, Any]:
    body = {"name": name, "source": S3, **fields}
    return ok(http.post(f"{API}/model-versions/create", json=body))["model_version"]  # type: ignore[no-any-return]


def service(app: Starlette) -> RegistryService:
    return app.state.services.registry  # type: ignore[no-any-return]


# ---------------------------------------------------------------- entity shapes
def test_registered_model_shape_omits_empty_fields(http: TestClient) -> None:
    created = create_model(http)
    assert created == {
        "name": "m",
        "creation_timestamp": created["creation_timestamp"],
        "last_updated_timestamp": created["creation_timestamp"],
        "user_id": "anonymous",
    }
    assert isinstance(created["creation_timestamp"], int)


def test_model_version_shape(http: TestClient) -> None:
    create_model(http)
    mv = create_version(http)
    assert mv == {
        "name": "m",
        "version": "1",
        "creation_timestamp": mv["creation_timestamp"],
        "last_updated_timestamp": mv["creation_timestamp"],
        "user_id": "anonymous",
        "current_stage": "None",
        "description": "",
        "source": S3,
        "run_id": "",
        "status": "READY",
        "run_link": "",
    }
    assert list(mv) == [  # proto field order, as MLflow's server writes them
        "name",
        "version",
        "creation_timestamp",
        "last_updated_timestamp",
        "user_id",
        "current_stage",
        "description",
        "source",
        "run_id",
        "status",
        "run_link",
    ]


def test_full_shapes_with_tags_aliases_and_latest_versions(
    http: TestClient, settings: Settings
) -> None:
    db = Database(settings.tracking_uri)
    insert_runs(db, "r1")  # a version's run_id names a run (issue 8)
    db.dispose()
    create_model(http, tags=[{"key": "team", "value": "ds"}], description="d")
    logged = ok(http.post(f"{API}/logged-models", json={"experiment_id": "0"}))["model"]
    model_id = logged["info"]["model_id"]
    create_version(
        http,
        run_id="r1",
        tags=[{"key": "k", "value": "v"}],
        run_link="http://ci",
        description="vd",
        model_id=model_id,
    )
    ok(
        http.post(
            f"{API}/registered-models/alias", json={"name": "m", "alias": "a", "version": "1"}
        )
    )
    rm = ok(http.get(f"{API}/registered-models/get", params={"name": "m"}))["registered_model"]
    assert rm["description"] == "d"
    assert rm["tags"] == [{"key": "team", "value": "ds"}]
    assert rm["aliases"] == [{"alias": "a", "version": "1"}]
    [latest] = rm["latest_versions"]
    assert (latest["version"], latest["run_id"], latest["status"]) == ("1", "r1", "READY")
    mv = ok(http.get(f"{API}/model-versions/get", params={"name": "m", "version": "1"}))
    mv = mv["model_version"]
    assert mv["aliases"] == ["a"]
    assert mv["tags"] == [{"key": "k", "value": "v"}]
    assert (mv["run_link"], mv["description"], mv["model_id"]) == ("http://ci", "vd", model_id)


def test_actor_is_the_basic_auth_username(app: Starlette, http: TestClient) -> None:
    create_model(http, "anon")
    http.auth = ("carol", "secret")
    assert create_model(http, "mine")["user_id"] == "carol"
    actors = [event.actor for event in service(app).list_events()]
    assert actors == ["anonymous", "carol"]


# ------------------------------------------------------------------ quirks
def test_already_exists_is_400(http: TestClient) -> None:
    create_model(http)
    response = http.post(f"{API}/registered-models/create", json={"name": "m"})
    assert response.status_code == 400
    assert response.json() == {
        "error_code": "RESOURCE_ALREADY_EXISTS",
        "message": "Registered Model (name=m) already exists.",
    }


def test_missing_alias_is_400_and_missing_model_404(http: TestClient) -> None:
    create_model(http)
    missing = http.get(f"{API}/registered-models/alias", params={"name": "m", "alias": "x"})
    assert missing.status_code == 400
    assert missing.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert missing.json()["message"] == "Registered model alias x not found."
    ghost = http.get(f"{API}/registered-models/alias", params={"name": "g", "alias": "x"})
    assert (ghost.status_code, ghost.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


def test_delete_reads_a_json_body(http: TestClient) -> None:
    create_model(http, tags=[{"key": "k", "value": "v"}])
    create_version(http)
    ok(
        http.post(
            f"{API}/registered-models/alias", json={"name": "m", "alias": "a", "version": "1"}
        )
    )
    for path, body in (
        ("registered-models/alias", {"name": "m", "alias": "a"}),
        ("registered-models/delete-tag", {"name": "m", "key": "k"}),
        ("model-versions/delete", {"name": "m", "version": "1"}),
        ("registered-models/delete", {"name": "m"}),
    ):
        assert ok(http.request("DELETE", f"{API}/{path}", json=body)) == {}
    assert http.get(f"{API}/registered-models/get", params={"name": "m"}).status_code == 404


def test_body_less_delete_reads_the_query_string(http: TestClient) -> None:
    create_model(http)
    assert ok(http.delete(f"{API}/registered-models/delete", params={"name": "m"})) == {}


def test_search_with_repeated_order_by(http: TestClient) -> None:
    for name, versions in (("a", 2), ("b", 1)):
        create_model(http, name)
        for _ in range(versions):
            create_version(http, name)
    found = ok(
        http.get(
            f"{API}/model-versions/search",
            params=[("order_by", "name DESC"), ("order_by", "version_number ASC")],
        )
    )
    assert [(mv["name"], mv["version"]) for mv in found["model_versions"]] == [
        ("b", "1"),
        ("a", "1"),
        ("a", "2"),
    ]
    assert "next_page_token" not in found


def test_search_paging_and_empty_result(http: TestClient) -> None:
    for name in ("a", "b", "c"):
        create_model(http, name)
    first = ok(http.get(f"{API}/registered-models/search", params={"max_results": 2}))
    assert [m["name"] for m in first["registered_models"]] == ["a", "b"]
    token = first["next_page_token"]
    assert token == "eyJvZmZzZXQiOiAyfQ=="  # MLflow's exact token bytes: {"offset": 2}
    rest = ok(
        http.get(f"{API}/registered-models/search", params={"max_results": 2, "page_token": token})
    )
    assert rest == {"registered_models": [rest["registered_models"][0]]}
    assert ok(http.get(f"{API}/registered-models/search", params={"filter": "name = 'z'"})) == {}


def test_registered_model_search_defaults_to_100(app: Starlette, http: TestClient) -> None:
    for i in range(101):
        service(app).create_registered_model(f"m{i:03d}")
    page = ok(http.get(f"{API}/registered-models/search"))
    assert len(page["registered_models"]) == 100 and page["next_page_token"]


@pytest.mark.parametrize(
    ("path", "max_results", "status"),
    [
        ("registered-models/search", "1000", 200),
        ("registered-models/search", "1001", 400),
        ("registered-models/search", "0", 400),
        ("registered-models/search", "abc", 400),
        ("model-versions/search", "200000", 200),
        ("model-versions/search", "200001", 400),
        ("model-versions/search", "-1", 400),
        ("model-versions/search", "99999999999999999999999", 400),
    ],
)
def test_max_results_limits(http: TestClient, path: str, max_results: str, status: int) -> None:
    response = http.get(f"{API}/{path}", params={"max_results": max_results})
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert "max_results" in response.json()["message"]


def test_prompt_filter_term_matches_models_without_the_tag(http: TestClient) -> None:
    create_model(http, "plain")
    create_model(http, "prompt", tags=[{"key": "mlflow.prompt.is_prompt", "value": "true"}])
    prompt_free = "tag.`mlflow.prompt.is_prompt` != 'true'"
    for user_filter in ("", "name LIKE '%' AND "):
        found = ok(
            http.get(
                f"{API}/registered-models/search", params={"filter": user_filter + prompt_free}
            )
        )
        assert [m["name"] for m in found["registered_models"]] == ["plain"]


def test_get_latest_versions_post_and_get(http: TestClient) -> None:
    create_model(http)
    for _ in range(3):
        create_version(http)
    for version, stage in (("1", "Production"), ("2", "Staging")):
        body = {"name": "m", "version": version, "stage": stage, "archive_existing_versions": False}
        ok(http.post(f"{API}/model-versions/transition-stage", json=body))
    posted = ok(
        http.post(
            f"{API}/registered-models/get-latest-versions",
            json={"name": "m", "stages": ["Production", "staging"]},
        )
    )
    got = ok(
        http.get(
            f"{API}/registered-models/get-latest-versions",
            params=[("name", "m"), ("stages", "Production"), ("stages", "staging")],
        )
    )
    assert posted == got
    assert [(mv["version"], mv["current_stage"]) for mv in got["model_versions"]] == [
        ("1", "Production"),
        ("2", "Staging"),
    ]
    none = ok(
        http.get(
            f"{API}/registered-models/get-latest-versions",
            params={"name": "m", "stages": "Archived"},
        )
    )
    assert none == {}


def test_transition_archives_existing_versions(http: TestClient) -> None:
    create_model(http)
    create_version(http)
    create_version(http)
    move = {"name": "m", "stage": "production", "archive_existing_versions": True}
    ok(http.post(f"{API}/model-versions/transition-stage", json={**move, "version": "1"}))
    moved = ok(http.post(f"{API}/model-versions/transition-stage", json={**move, "version": "2"}))
    assert moved["model_version"]["current_stage"] == "Production"
    first = ok(http.get(f"{API}/model-versions/get", params={"name": "m", "version": "1"}))
    assert first["model_version"]["current_stage"] == "Archived"


def test_lenient_inputs_mlflow_tolerates(http: TestClient) -> None:
    create_model(http)
    create_version(http)
    # A JSON number for a string version, and int64 fields as decimal strings.
    assert ok(
        http.get(f"{API}/model-versions/get-download-uri", params={"name": "m", "version": 1})
    ) == {"artifact_uri": S3}
    body = {"name": "m", "version": 1, "key": "k"}  # absent value = the proto default ""
    assert ok(http.post(f"{API}/model-versions/set-tag", json=body)) == {}
    mv = ok(http.get(f"{API}/model-versions/get", params={"name": "m", "version": "1"}))
    assert mv["model_version"]["tags"] == [{"key": "k", "value": ""}]


def test_double_encoded_json_body_is_accepted(http: TestClient) -> None:
    response = http.post(
        f"{API}/registered-models/create",
        content=b'"{\\"name\\": \\"m\\"}"',
        headers={"content-type": "application/json"},
    )
    assert ok(response)["registered_model"]["name"] == "m"


def test_ajax_api_prefix_serves_the_same_endpoints(http: TestClient) -> None:
    create_model(http)
    api = ok(http.get(f"{API}/registered-models/get", params={"name": "m"}))
    ajax = ok(http.get("/ajax-api/2.0/mlflow/registered-models/get", params={"name": "m"}))
    assert api == ajax
    created = http.post("/ajax-api/2.0/mlflow/registered-models/create", json={"name": "n"})
    assert ok(created)["registered_model"]["name"] == "n"


def test_registry_endpoints_are_not_under_api_3(http: TestClient) -> None:
    response = http.get("/api/3.0/mlflow/registered-models/get", params={"name": "m"})
    assert response.status_code == 404
    assert response.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_meta_endpoints(http: TestClient) -> None:
    health = http.get("/health")
    assert (health.status_code, health.text) == (200, "OK")
    assert http.head("/health").status_code == 200
    assert http.get("/version").text == __import__("modelreg").__version__
    info = ok(http.get("/api/3.0/mlflow/server-info"))
    assert info["multipart_uploads_enabled"] is False
    assert info["multipart_downloads_enabled"] is False
    assert info["artifacts_presigned_only"] is False


def test_responses_carry_length_and_nosniff(http: TestClient) -> None:
    create_model(http)
    for response in (
        http.get(f"{API}/registered-models/get", params={"name": "m"}),
        http.get(f"{API}/registered-models/get", params={"name": "<script>"}),
    ):
        assert int(response.headers["content-length"]) == len(response.content)
        assert "transfer-encoding" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"
