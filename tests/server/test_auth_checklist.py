"""The security checklist T-01..T-25 (reference/security-checklist.md §4), with --auth on.

The cast: ``admin``; ``alice`` owns model ``M`` (version 1, alias ``prod``), an
experiment, a run and a logged model; ``bob`` has no grants; ``eve`` has EDIT on ``M``
(tests/server/auth_env.py). File and fetch attacks (T-05..T-12) are covered in depth
with auth off by tests/server/test_security.py; here they run as an authenticated
user, to show authentication changes none of those refusals. Webhook SSRF and
signing (T-13, T-15) are covered in tests/webhooks/test_safety.py and
tests/webhooks/test_delivery.py; webhook management (T-14) here and in
tests/server/test_auth_webhooks.py.
"""

from __future__ import annotations

import pickle
import threading
from pathlib import Path
from typing import Any

import pytest

from modelreg.config import Settings
from tests.server.auth_env import (
    API,
    API3,
    HOOK_URL,
    AuthEnv,
    add_webhook,
    basic,
)

FILES = "/api/2.0/mlflow-artifacts/artifacts"


def refused(response: Any, *statuses: int) -> None:
    assert response.status_code in (statuses or (400,)), response.text
    assert response.status_code < 500


# ------------------------------------------------------------------ T-01
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"{API}/registered-models/search"),
        ("GET", f"{API}/model-versions/search"),
        ("GET", f"{API}/experiments/search"),
        ("GET", f"{FILES}/1/x"),
        ("GET", "/openapi.json"),
        ("GET", "/ajax-api/2.0/mlflow/registered-models/search"),
        ("GET", "/api/3.0/mlflow/server-info"),
        ("GET", "/api/2.0/mlflow/users/list"),
    ],
)
def test_t01_no_anonymous_access(env: AuthEnv, method: str, path: str) -> None:
    response = env.call(None, method, path)
    assert response.status_code == 401


def test_t01_unserved_routes_give_nothing_away(env: AuthEnv) -> None:
    for path in ("/graphql", "/get-artifact", "/model-versions/get-artifact", "/v1/traces"):
        response = env.call(None, "GET", path)
        assert response.status_code in (401, 404)
        assert "M" not in response.text.split('"message"')[0]
    assert env.call(None, "GET", "/health").status_code == 200


# ------------------------------------------------------------------ T-02
@pytest.mark.parametrize("password", ["password1234", "admin", "", "password"])
def test_t02_no_default_or_weak_credentials(env: AuthEnv, password: str) -> None:
    assert env.http.get("/openapi.json", headers=basic("admin", password)).status_code == 401


# ------------------------------------------------------------------ T-03
def test_t03_no_self_registration(env: AuthEnv) -> None:
    body = {"username": "z", "password": "Long-Pass-123!"}
    assert env.call(None, "POST", f"{API}/users/create", json=body).status_code == 401
    assert env.call("bob", "POST", f"{API}/users/create", json=body).status_code == 403
    assert env.call("bob", "GET", "/signup").status_code == 404
    form = env.call(
        "bob",
        "POST",
        f"{API}/users/create-ui",
        data={"username": "z", "password": "Long-Pass-123!"},
        headers={"Origin": "https://evil.example"},
    )
    assert form.status_code in (401, 403, 404)
    assert [u.username for u in env.auth.list_users()] == ["admin", "alice", "bob", "eve"]


# ------------------------------------------------------------------ T-04
@pytest.mark.parametrize("password", ["", "a", "short-1", "aaaaaaaaaaaaaaaa", "password1234"])
def test_t04_weak_passwords_are_400(env: AuthEnv, password: str) -> None:
    response = env.call(
        "admin", "POST", f"{API}/users/create", json={"username": "z", "password": password}
    )
    refused(response, 400)
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_t04_no_privilege_escalation(env: AuthEnv) -> None:
    promote = {"username": "bob", "is_admin": True}
    assert env.call("bob", "PATCH", f"{API}/users/update-admin", json=promote).status_code == 403
    takeover = {"username": "alice", "password": "bob-Owns-You-123"}
    response = env.call("bob", "PATCH", f"{API}/users/update-password", json=takeover)
    assert response.status_code == 403
    assert not env.auth.get_user("bob").is_admin


# -------------------------------------------------------------- T-05..T-07
@pytest.mark.parametrize(
    "source",
    [
        "/tmp/mr-canary",
        "file:///tmp/mr-canary/",
        "file://localhost/tmp/mr-canary/",
        "file://./tmp/mr-canary",
        "file:tmp/mr-canary",
        "//proc/self/root/tmp/mr-canary",
        "file:///tmp/mr-canary/#",
        "../../../../tmp/mr-canary",
        "%2e%2e%2f%2e%2e%2ftmp",
    ],
)
def test_t05_t07_local_sources_are_refused_for_authenticated_users(
    env: AuthEnv, source: str
) -> None:
    for tags in ([], [{"key": "mlflow.prompt.is_prompt", "value": "true"}]):
        body = {"name": "M", "source": source, "tags": tags}
        refused(env.call("alice", "POST", f"{API}/model-versions/create", json=body), 400)


def test_t06_experiment_artifact_locations_are_refused(env: AuthEnv) -> None:
    for location in ("file:///tmp/mr-canary", "http:///?/../../../../tmp/mr-canary/", "dbfs:/x"):
        body = {"name": f"e-{len(location)}", "artifact_location": location}
        refused(env.call("alice", "POST", f"{API}/experiments/create", json=body), 400)


# ------------------------------------------------------------------ T-08
def test_t08_indirect_sources_need_read_on_what_they_name(env: AuthEnv) -> None:
    env.ok("bob", "POST", f"{API}/registered-models/create", json={"name": "bobs"})
    for source, run_id in (
        (f"runs:/{env.run_id}/model", None),
        ("models:/M/1", None),
        (f"models:/{env.logged_model_id}", None),
        (f"mlflow-artifacts:/{env.experiment_id}/{env.run_id}/artifacts/model", None),
        ("s3://bucket/x", env.run_id),
    ):
        body: dict[str, Any] = {"name": "bobs", "source": source}
        if run_id:
            body["run_id"] = run_id
        response = env.call("bob", "POST", f"{API}/model-versions/create", json=body)
        refused(response, 403)
    assert env.call("bob", "GET", f"{API}/model-versions/search").json() == {}


def test_t08_a_path_into_the_store_needs_read_on_its_experiment(
    env: AuthEnv, settings: Settings
) -> None:
    # The source written as a path (root-relative, or the store's own location) names
    # alice's run files as surely as runs:/ does: the service checks it from the grants.
    files = f"{env.experiment_id}/{env.run_id}/artifacts/model"
    env.ok("alice", "PUT", f"{FILES}/{files}/secret.txt", content=b"ALICE-SECRET")
    env.ok("bob", "POST", f"{API}/registered-models/create", json={"name": "bobs"})
    root = Path(settings.artifact_root)
    sources = (files, f"{root}/{files}", f"{root.as_uri()}/{files}", "elsewhere/model")
    for source in sources:
        response = env.call(
            "bob", "POST", f"{API}/model-versions/create", json={"name": "bobs", "source": source}
        )
        refused(response, 403)
        assert "ALICE" not in response.text
    assert env.call("bob", "GET", f"{API}/model-versions/search").json() == {}
    # Who may read the experiment may register from it; the path form stays admin-only
    # for files that belong to no experiment.
    env.ok("alice", "POST", f"{API}/model-versions/create", json={"name": "M", "source": files})
    env.ok("admin", "POST", f"{API}/model-versions/create", json={"name": "M", "source": files})


# -------------------------------------------------------------- T-09/T-10
@pytest.mark.parametrize(
    "path",
    [
        "../../../../tmp/mr-canary/secret.txt",
        "/tmp/mr-canary/secret.txt",
        "..%2f..%2f",
        "a;/../../",
    ],
)
def test_t09_run_listing_traversal_is_400(env: AuthEnv, path: str) -> None:
    response = env.call(
        "alice", "GET", f"{API}/artifacts/list", params={"run_id": env.run_id, "path": path}
    )
    refused(response, 400)


def test_t10_proxy_traversal_is_refused_for_everyone(env: AuthEnv) -> None:
    for user, expected in (("alice", 403), ("admin", 400)):
        for path in ("/tmp/mr-canary", "C:/"):
            refused(env.call(user, "GET", FILES, params={"path": path}), expected, 400)
        put = env.call(user, "PUT", f"{FILES}/..%2F..%2Ftmp%2Fmr-canary%2Fw.txt", content=b"x")
        assert 400 <= put.status_code < 500
    assert not Path("/tmp/mr-canary/w.txt").exists()


# ------------------------------------------------------------------ T-11
@pytest.mark.parametrize("name", ["../x", "a/../../b", "%2F..%2Fx"])
def test_t11_identifiers_never_escape(env: AuthEnv, name: str) -> None:
    response = env.call("alice", "POST", f"{API}/registered-models/create", json={"name": name})
    assert response.status_code < 500


# ------------------------------------------------------------------ T-12
def test_t12_no_server_side_fetch_through_artifact_location(env: AuthEnv) -> None:
    for location in ("http://127.0.0.1:9/a", "http://169.254.169.254/latest/meta-data/"):
        body = {"name": "ssrf", "artifact_location": location}
        refused(env.call("bob", "POST", f"{API}/experiments/create", json=body), 400)


# ------------------------------------------------------------------ T-14
def test_t14_webhook_management_needs_manage_on_the_model_or_admin(env: AuthEnv) -> None:
    # A webhook sends a model's events to outside systems: MANAGE on its model, or an
    # admin for a registry-wide one (tests/server/test_auth_webhooks.py has the rest).
    hook_id, _ = add_webhook(env)
    body = {"name": "w", "url": HOOK_URL, "events": ["model_version.created"], "kind": "http"}
    writes = (
        ("POST", f"{API}/webhooks", body),
        ("POST", "/api/2.0/modelreg/webhooks", body),
        ("POST", "/api/2.0/modelreg/webhooks", {**body, "model_name": "M"}),
        ("PATCH", f"/api/2.0/modelreg/webhooks/{hook_id}", {"name": "x"}),
        ("DELETE", f"{API}/webhooks/{hook_id}", {}),
        ("POST", f"/api/2.0/modelreg/webhooks/{hook_id}/test", {}),
        (
            "POST",
            f"{API}/registry-webhooks/create",
            {"events": ["MODEL_VERSION_CREATED"], "http_url_spec": {"url": HOOK_URL}},
        ),
    )
    for method, path, json in writes:
        assert env.call(None, method, path, json=json).status_code == 401, path
        refused(env.call("bob", method, path, json=json), 403)
    for path in (f"{API}/webhooks", "/api/2.0/modelreg/webhooks", f"{API}/registry-webhooks/list"):
        assert env.call(None, "GET", path).status_code == 401, path
        assert env.ok("bob", "GET", path).get("webhooks", []) == [], path
    assert env.ok("alice", "GET", f"/api/2.0/modelreg/webhooks/{hook_id}")["webhook"]


# ------------------------------------------------------------------ T-16
def test_t16_read_authorisation_on_every_read_path(env: AuthEnv) -> None:
    reads: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"{API}/registered-models/get", {"name": "M"}),
        ("GET", f"{API}/registered-models/get-latest-versions", {"name": "M"}),
        ("GET", f"{API}/registered-models/alias", {"name": "M", "alias": "prod"}),
        ("GET", f"{API}/model-versions/get-download-uri", {"name": "M", "version": "1"}),
        ("GET", f"{FILES}/{env.experiment_id}/{env.run_id}/artifacts/model/MLmodel", {}),
        ("GET", f"/ajax-api/2.0/mlflow-artifacts/artifacts/{env.experiment_id}/x", {}),
        ("GET", FILES, {"path": env.experiment_id}),
        ("GET", f"{API}/runs/get", {"run_id": env.run_id}),
    ]
    for method, path, params in reads:
        response = env.call("bob", method, path, params=params)
        assert response.status_code == 403, path
    assert env.call("bob", "GET", f"{API}/registered-models/search").json() == {}
    found = env.call("bob", "GET", f"{API}/model-versions/search", params={"filter": "name='M'"})
    assert found.json() == {}


# ------------------------------------------------------------------ T-17
def test_t17_write_and_delete_tiers(env: AuthEnv) -> None:
    env.ok(
        "admin",
        "POST",
        f"{API3}/users/permissions/grant",
        json={
            "username": "bob",
            "resource_type": "registered_model",
            "resource_id": "M",
            "permission": "READ",
        },
    )
    writes = [
        ("POST", f"{API}/registered-models/alias", {"name": "M", "alias": "x", "version": "1"}),
        (
            "POST",
            f"{API}/model-versions/transition-stage",
            {"name": "M", "version": "1", "stage": "Production"},
        ),
        ("POST", f"{API}/registered-models/set-tag", {"name": "M", "key": "k", "value": "v"}),
        ("PATCH", f"{API}/registered-models/update", {"name": "M", "description": "d"}),
        ("POST", f"{API}/model-versions/create", {"name": "M", "source": "s3://b/x"}),
    ]
    for method, path, body in writes:
        assert env.call("bob", method, path, json=body).status_code == 403, path
    deletes = [
        ("DELETE", f"{API}/registered-models/delete", {"name": "M"}),
        ("DELETE", f"{API}/model-versions/delete", {"name": "M", "version": "1"}),
        ("DELETE", f"{API}/registered-models/alias", {"name": "M", "alias": "prod"}),
    ]
    for method, path, body in deletes:
        assert env.call("eve", method, path, json=body).status_code == 403, path
    grant = {
        "username": "eve",
        "resource_type": "registered_model",
        "resource_id": "M",
        "permission": "MANAGE",
    }
    assert env.call("eve", "POST", f"{API3}/users/permissions/grant", json=grant).status_code == 403
    # EDIT is enough to write.
    env.ok(
        "eve",
        "POST",
        f"{API}/registered-models/set-tag",
        json={"name": "M", "key": "k", "value": "v"},
    )


# ------------------------------------------------------------------ T-18
def test_t18_grants_do_not_survive_delete_and_recreate(env: AuthEnv) -> None:
    grant = {
        "username": "bob",
        "resource_type": "registered_model",
        "resource_id": "M",
        "permission": "READ",
    }
    env.ok("alice", "POST", f"{API3}/users/permissions/grant", json=grant)
    env.ok("alice", "DELETE", f"{API}/registered-models/delete", json={"name": "M"})
    env.ok("admin", "POST", f"{API}/registered-models/create", json={"name": "M"})
    got = env.call("bob", "GET", f"{API}/registered-models/get", params={"name": "M"})
    assert got.status_code == 403


# ------------------------------------------------------------------ T-19
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_t19_no_cross_site_form_posts(env: AuthEnv, content_type: str) -> None:
    response = env.call(
        "alice",
        "POST",
        f"{API}/registered-models/create",
        content=b'{"name": "csrf"}',
        headers={"Content-Type": content_type, "Origin": "https://evil.example"},
    )
    refused(response, 400, 415)
    assert "access-control-allow-origin" not in response.headers
    # A CORS preflight from a foreign origin is granted nothing.
    preflight = env.call(
        "alice",
        "OPTIONS",
        f"{API}/registered-models/create",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )
    assert not any(h.startswith("access-control-allow") for h in preflight.headers)
    assert (
        env.call(
            "alice", "GET", f"{API}/registered-models/get", params={"name": "csrf"}
        ).status_code
        == 404
    )


# ------------------------------------------------------------------ T-20
def test_t20_a_rebound_host_gets_nothing_even_with_credentials(env: AuthEnv) -> None:
    # A loopback server answers only to loopback names (tests/server/test_hosts.py).
    for user in (None, "alice", "admin"):
        response = env.call(
            user, "GET", f"{API}/registered-models/search", headers={"Host": "rebind.evil.example"}
        )
        refused(response, 403)
        assert "registered_models" not in response.text


# ------------------------------------------------------------------ T-21
def test_t21_json_and_errors_are_never_sniffed_as_html(env: AuthEnv) -> None:
    body = {"name": "<img src=x onerror=alert(1)>"}
    created = env.call("alice", "POST", f"{API}/registered-models/create", json=body)
    assert created.headers["x-content-type-options"] == "nosniff"
    assert created.headers["content-type"].startswith("application/json")
    denied = env.call(None, "POST", f"{API}/users/create", json=body)
    assert denied.headers["content-type"].startswith("application/json")


# ------------------------------------------------------------------ T-22
def test_t22_abusive_input_is_refused_fast(env: AuthEnv) -> None:
    response = env.call(
        "alice", "GET", f"{API}/model-versions/search", params={"max_results": 200_001}
    )
    refused(response, 400)
    big = b'{"name": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    # Without credentials the body is never read.
    unauthenticated = env.http.post(
        f"{API}/registered-models/create",
        content=big,
        headers={"Content-Type": "application/json"},
    )
    assert unauthenticated.status_code == 401
    too_large = env.call(
        "alice",
        "POST",
        f"{API}/registered-models/create",
        content=big,
        headers={"Content-Type": "application/json"},
    )
    assert too_large.status_code == 413


# ------------------------------------------------------------------ T-23
def test_t23_names_are_exact(env: AuthEnv) -> None:
    env.ok("alice", "POST", f"{API}/registered-models/create", json={"name": "m"})
    env.ok(
        "admin", "POST", f"{API3}/users/permissions/grant",
        json={"username": "bob", "resource_type": "registered_model", "resource_id": "m",
              "permission": "READ"},
    )  # fmt: skip
    # bob may read "m", never "M" (case and look-alikes name other models).
    assert (
        env.call("bob", "GET", f"{API}/registered-models/get", params={"name": "m"}).status_code
        == 200
    )
    for name in ("M", "Ｍ"):
        response = env.call("bob", "GET", f"{API}/registered-models/get", params={"name": name})
        assert response.status_code in (403, 404)


# ------------------------------------------------------------------ T-24
def test_t24_parallel_version_creates_are_unique(env: AuthEnv) -> None:
    numbers: list[str] = []
    errors: list[int] = []

    def create() -> None:
        response = env.call(
            "alice",
            "POST",
            f"{API}/model-versions/create",
            json={"name": "M", "source": "s3://b/x"},
        )
        if response.status_code == 200:
            numbers.append(response.json()["model_version"]["version"])
        else:
            errors.append(response.status_code)

    threads = [threading.Thread(target=create) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers, key=int) == [str(n) for n in range(2, 12)]


# ------------------------------------------------------------------ T-25
class _Canary:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> Any:
        return (Path.write_text, (self.path, "pwned"))


def test_t25_nothing_is_unpickled(env: AuthEnv, tmp_path: Path) -> None:
    canary = tmp_path / "unpickled.txt"
    path = f"{FILES}/{env.experiment_id}/{env.run_id}/artifacts/model/model.pkl"
    assert env.call("alice", "PUT", path, content=pickle.dumps(_Canary(canary))).status_code == 200
    source = f"runs:/{env.run_id}/model"
    body = {"name": "M", "source": source, "run_id": env.run_id}
    created = env.ok("alice", "POST", f"{API}/model-versions/create", json=body)
    version = created["model_version"]["version"]
    env.ok("alice", "GET", f"{API}/model-versions/get", params={"name": "M", "version": version})
    env.ok("alice", "GET", f"{API}/model-versions/search", params={"filter": "name='M'"})
    assert env.call("alice", "GET", path).status_code == 200
    assert not canary.exists()
