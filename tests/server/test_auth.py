"""``modelreg server --auth``: credentials, tokens, grants, search filtering, groups.

The cast and alice's objects come from tests/server/auth_env.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from modelreg.config import Settings
from modelreg.server import ServerSettings, create_app
from modelreg.store.tables import events
from tests.server.asgi import asgi_client
from tests.server.auth_env import (
    API,
    API3,
    PASSWORDS,
    TOKENS,
    AuthEnv,
    basic,
    bearer,
    make_env,
)


def _grant(env: AuthEnv, user: str, kind: str, key: str, level: str, by: str = "admin") -> Any:
    return env.call(
        by,
        "POST",
        f"{API3}/users/permissions/grant",
        json={"username": user, "resource_type": kind, "resource_id": key, "permission": level},
    )


def _model_names(env: AuthEnv, user: str) -> list[str]:
    found = env.ok(user, "GET", f"{API}/registered-models/search")
    return [m["name"] for m in found.get("registered_models", [])]


# ------------------------------------------------------------ credentials
def test_no_credentials_is_401_with_a_challenge(env: AuthEnv) -> None:
    response = env.call(None, "GET", f"{API}/registered-models/get", params={"name": "M"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="modelreg", charset="UTF-8"'
    assert env.call(None, "GET", "/health").status_code == 200
    assert env.call(None, "GET", "/version").status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Basic " + "YWxpY2U6d3Jvbmc=",  # alice:wrong
        "Basic !!!",
        "Basic YWxpY2U=",  # no colon
        "Bearer mr_not-a-token",
        "Bearer ",
        "Digest x",
    ],
)
def test_wrong_or_malformed_credentials_are_401(env: AuthEnv, header: str) -> None:
    response = env.http.get(
        f"{API}/registered-models/get", params={"name": "M"}, headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert "alice" not in response.text or "wrong" not in response.text


def test_responses_never_echo_a_secret(env: AuthEnv) -> None:
    for header in (basic("alice", "secret-Canary-987"), bearer("mr_secret-Canary-987")):
        response = env.http.get(f"{API}/registered-models/search", headers=header)
        assert response.status_code == 401
        assert "Canary" not in response.text


def test_failed_logins_are_rate_limited_per_user_with_retry_after(env: AuthEnv) -> None:
    for _ in range(10):
        assert env.http.get("/openapi.json", headers=basic("bob", "wrong")).status_code == 401
    limited = env.http.get("/openapi.json", headers=basic("bob", "wrong"))
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    # Even the right password waits: guessing must not tell when it got it right.
    assert env.http.get("/openapi.json", headers=basic("bob")).status_code == 429
    # Other users are not locked out by bob's failures.
    assert env.http.get("/openapi.json", headers=basic("alice")).status_code == 200


def test_failed_logins_are_rate_limited_per_client_address(env: AuthEnv) -> None:
    for index in range(30):
        env.http.get("/openapi.json", headers=basic("alice", f"wrong-{index}"))
        env.http.get("/openapi.json", headers=bearer(f"mr_guess-{index}"))
    assert env.http.get("/openapi.json", headers=bearer("mr_guess")).status_code == 429


def test_a_password_change_takes_effect_at_once_despite_the_principal_cache(
    env: AuthEnv,
) -> None:
    assert env.call("alice", "GET", "/openapi.json").status_code == 200  # cached now
    new = "alice-New-Pass-456!"
    env.ok(
        "alice",
        "PATCH",
        f"{API}/users/update-password",
        json={"username": "alice", "password": new, "current_password": PASSWORDS["alice"]},
    )
    assert env.call("alice", "GET", "/openapi.json").status_code == 401
    assert env.http.get("/openapi.json", headers=basic("alice", new)).status_code == 200


def test_changing_your_own_password_needs_the_current_one(env: AuthEnv) -> None:
    body = {"username": "alice", "password": "alice-New-Pass-456!"}
    response = env.call("alice", "PATCH", f"{API}/users/update-password", json=body)
    assert response.status_code == 403
    wrong = {**body, "current_password": "nope-nope-nope"}
    assert env.call("alice", "PATCH", f"{API}/users/update-password", json=wrong).status_code == 403


# ----------------------------------------------------------------- tokens
def test_tokens_are_shown_once_listed_without_secrets_and_revocable(env: AuthEnv) -> None:
    created = env.ok(
        "alice", "POST", f"{TOKENS}/create", json={"name": "ci", "expires_in_days": 30}
    )
    token = created["token"]
    assert token.startswith("mr_") and len(token) > 40
    got = env.http.get(f"{API}/registered-models/get", params={"name": "M"}, headers=bearer(token))
    assert got.status_code == 200
    listed = env.ok("alice", "GET", f"{TOKENS}/list")
    assert [t["name"] for t in listed["tokens"]] == ["ci"]
    assert token not in str(listed) and "hash" not in str(listed)
    assert env.auth.list_tokens("alice")[0].expiry_timestamp is not None
    env.ok("alice", "POST", f"{TOKENS}/revoke", json={"token_id": created["token_info"]["id"]})
    again = env.http.get(
        f"{API}/registered-models/get", params={"name": "M"}, headers=bearer(token)
    )
    assert again.status_code == 401


def test_an_expired_token_is_refused(env: AuthEnv) -> None:
    token, _ = env.auth.create_token("alice", "short", 1)
    env.auth.clock = lambda: 10**15  # far in the future
    response = env.http.get("/openapi.json", headers=bearer(token))
    assert response.status_code == 401


def test_the_database_holds_only_the_tokens_digest(env: AuthEnv) -> None:
    from modelreg.store.tables import auth_tokens

    token, _ = env.auth.create_token("alice", "ci", None)
    with env.auth.db.read() as conn:
        stored = conn.execute(select(auth_tokens.c.token_hash)).scalars().all()
    assert token not in stored and len(stored[0]) == 64


# --------------------------------------------------- grants and filtering
def test_default_deny_hides_other_users_models_in_every_search(env: AuthEnv) -> None:
    assert _model_names(env, "bob") == []
    versions = env.ok("bob", "GET", f"{API}/model-versions/search", params={"filter": "name='M'"})
    assert versions == {}
    experiments = env.ok("bob", "POST", f"{API}/experiments/search", json={"max_results": 100})
    names = [e["name"] for e in experiments.get("experiments", [])]
    assert "alice-exp" not in names
    assert _model_names(env, "admin") == ["M"]
    assert _model_names(env, "alice") == ["M"]


def test_a_read_grant_shows_the_model_and_allows_reads_only(env: AuthEnv) -> None:
    assert _grant(env, "bob", "registered_model", "M", "READ", by="alice").status_code == 200
    assert _model_names(env, "bob") == ["M"]
    versions = env.ok("bob", "GET", f"{API}/model-versions/search", params={"filter": "name='M'"})
    assert [v["version"] for v in versions["model_versions"]] == ["1"]
    tag = {"name": "M", "key": "k", "value": "v"}
    assert env.call("bob", "POST", f"{API}/registered-models/set-tag", json=tag).status_code == 403


def test_an_explicit_deny_wins_over_a_group_grant(env: AuthEnv) -> None:
    role = env.ok(
        "admin", "POST", f"{API3}/roles/create", json={"workspace": "default", "name": "ml"}
    )
    role_id = role["role"]["id"]
    env.ok("admin", "POST", f"{API3}/roles/assign", json={"username": "bob", "role_id": role_id})
    env.ok(
        "admin",
        "POST",
        f"{API3}/roles/permissions/add",
        json={
            "role_id": role_id,
            "resource_type": "registered_model",
            "resource_pattern": "M",
            "permission": "READ",
        },
    )
    assert _model_names(env, "bob") == ["M"]  # through group:ml
    _grant(env, "bob", "registered_model", "M", "DENY")
    assert _model_names(env, "bob") == []
    got = env.call("bob", "GET", f"{API}/registered-models/get", params={"name": "M"})
    assert got.status_code == 403


def test_group_membership_reaches_the_principal(env: AuthEnv) -> None:
    role = env.ok("admin", "POST", f"{API3}/roles/create", json={"name": "ml-leads"})
    env.ok(
        "admin",
        "POST",
        f"{API3}/roles/assign",
        json={"username": "bob", "role_id": role["role"]["id"]},
    )
    principal = env.auth.authenticate_basic("bob", PASSWORDS["bob"])
    assert principal is not None and principal.is_in("group:ml-leads")
    roles = env.ok("bob", "GET", f"{API3}/users/roles/list")
    assert [r["name"] for r in roles["roles"]] == ["ml-leads"]


def test_the_creator_gets_manage(env: AuthEnv) -> None:
    env.ok("bob", "POST", f"{API}/registered-models/create", json={"name": "bobs"})
    assert _model_names(env, "bob") == ["bobs"]
    level = env.ok(
        "bob",
        "GET",
        f"{API3}/users/permissions/get",
        params={"resource_type": "registered_model", "resource_id": "bobs"},
    )
    assert level == {"allowed": True, "permission": "MANAGE"}
    env.ok("bob", "DELETE", f"{API}/registered-models/delete", json={"name": "bobs"})


def test_grants_die_with_the_model_and_follow_renames(env: AuthEnv) -> None:
    _grant(env, "bob", "registered_model", "M", "READ")
    env.ok("alice", "POST", f"{API}/registered-models/rename", json={"name": "M", "new_name": "N"})
    assert _model_names(env, "bob") == ["N"]
    env.ok("alice", "DELETE", f"{API}/registered-models/delete", json={"name": "N"})
    env.ok("admin", "POST", f"{API}/registered-models/create", json={"name": "N"})
    assert _model_names(env, "bob") == []
    got = env.call("bob", "GET", f"{API}/registered-models/get", params={"name": "N"})
    assert got.status_code == 403


def test_the_event_actor_is_the_authenticated_user(env: AuthEnv) -> None:
    with env.auth.db.read() as conn:
        actors = set(conn.execute(select(events.c.actor)).scalars())
    assert actors == {"alice"}


def test_a_claimed_basic_name_is_not_an_identity(env: AuthEnv) -> None:
    response = env.http.post(
        f"{API}/registered-models/create", json={"name": "x"}, headers=basic("admin", "guess")
    )
    assert response.status_code == 401


def test_cached_reads_are_authorised_before_they_are_served(env: AuthEnv) -> None:
    params = {"name": "M", "version": "1"}
    for _ in range(3):  # alice's reads are cached now
        env.ok("alice", "GET", f"{API}/model-versions/get", params=params)
    assert env.call("bob", "GET", f"{API}/model-versions/get", params=params).status_code == 403
    _grant(env, "bob", "registered_model", "M", "READ")
    env.ok("bob", "GET", f"{API}/model-versions/get", params=params)
    env.ok("bob", "GET", f"{API}/model-versions/get", params=params)
    env.call("alice", "POST", f"{API3}/users/permissions/revoke", json={
        "username": "bob", "resource_type": "registered_model", "resource_id": "M"
    })  # fmt: skip
    assert env.call("bob", "GET", f"{API}/model-versions/get", params=params).status_code == 403


def test_lineage_says_a_hidden_run_exists_without_showing_it(
    live_env: tuple[str, AuthEnv], monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelreg.client import MlflowClient

    url, env = live_env
    _grant(env, "bob", "registered_model", "M", "READ")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "bob")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORDS["bob"])
    lineage = MlflowClient(url).get_model_version_lineage("M", 1)
    assert lineage.run is None and lineage.hidden_run_id == env.run_id
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORDS["alice"])
    mine = MlflowClient(url).get_model_version_lineage("M", 1)
    assert mine.run is not None and mine.hidden_run_id is None


def test_default_permission_read_lets_everyone_read_but_not_write(
    settings: Settings,
) -> None:
    app = create_app(settings, ServerSettings(auth=True, default_permission="READ"))
    with asgi_client(app) as http:
        env = make_env(http)
        assert _model_names(env, "bob") == ["M"]
        _grant(env, "bob", "registered_model", "M", "NO_PERMISSIONS")
        assert _model_names(env, "bob") == []
        assert _model_names(env, "eve") == ["M"]
        tag = {"name": "M", "key": "k", "value": "v"}
        response = env.call("bob", "POST", f"{API}/registered-models/set-tag", json=tag)
        assert response.status_code == 403


def test_artifact_proxy_needs_read_on_the_experiment(env: AuthEnv) -> None:
    path = f"/api/2.0/mlflow-artifacts/artifacts/{env.experiment_id}/{env.run_id}/artifacts/f.txt"
    assert env.call("alice", "PUT", path, content=b"hello").status_code == 200
    assert env.call("alice", "GET", path).content == b"hello"
    assert env.call("bob", "GET", path).status_code == 403
    assert env.call("bob", "PUT", path, content=b"x").status_code == 403
    assert env.call(None, "GET", path).status_code == 401
    _grant(env, "bob", "experiment", env.experiment_id, "READ")
    assert env.call("bob", "GET", path).content == b"hello"
    assert env.call("bob", "DELETE", path).status_code == 403
    # The root of the store (every experiment) is for admins.
    listing = "/api/2.0/mlflow-artifacts/artifacts"
    assert env.call("bob", "GET", listing).status_code == 403
    assert env.call("admin", "GET", listing).status_code == 200


@pytest.mark.parametrize("value", ["9223372036854775808", "-1", "١٢", " 1", "1e3", ""])
def test_hostile_ids_in_checks_never_yield_a_5xx(env: AuthEnv, value: str) -> None:
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"{API}/experiments/get", {"params": {"experiment_id": value}}),
        ("POST", f"{API}/runs/search", {"json": {"experiment_ids": [value]}}),
        ("GET", f"/api/2.0/mlflow-artifacts/artifacts/{value}/x", {}),
        ("GET", f"{API3}/roles/get", {"params": {"role_id": value}}),
        ("POST", f"{TOKENS}/revoke", {"json": {"token_id": value}}),
        (
            "GET",
            f"{API3}/users/permissions/get",
            {"params": {"resource_type": "experiment", "resource_id": value}},
        ),
    ]
    for method, path, kwargs in requests:
        for user in ("bob", "admin"):
            response = env.call(user, method, path, **kwargs)
            assert response.status_code < 500, (path, response.text)
