"""Webhooks with --auth: MANAGE on the model a webhook is scoped to, admins for the rest.

The cast of tests/server/auth_env.py: ``alice`` created (so MANAGEs) model ``M``,
``eve`` has EDIT on it, ``bob`` nothing. The three webhook APIs (MLflow's, modelreg's,
Databricks') share the rule; a list shows each caller the webhooks they manage.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.auth_env import API, API3, HOOK_URL, AuthEnv, add_webhook

MR = "/api/2.0/modelreg/webhooks"
DB = f"{API}/registry-webhooks"


def _create(env: AuthEnv, user: str, model_name: str | None) -> Any:
    body: dict[str, Any] = {
        "name": "h",
        "url": HOOK_URL,
        "events": ["model_version.created"],
        "kind": "http",
        "status": "DISABLED",
    }
    if model_name is not None:
        body["model_name"] = model_name
    return env.call(user, "POST", MR, json=body)


def _databricks_create(env: AuthEnv, user: str, model_name: str | None) -> Any:
    body: dict[str, Any] = {
        "events": ["MODEL_VERSION_CREATED"],
        "http_url_spec": {"url": HOOK_URL},
        "status": "TEST_MODE",
    }
    if model_name is not None:
        body["model_name"] = model_name
    return env.call(user, "POST", f"{DB}/create", json=body)


def _denied(response: Any) -> None:
    assert response.status_code == 403, response.text
    assert response.json()["error_code"] == "PERMISSION_DENIED"


def test_the_manager_of_a_model_manages_its_webhooks(env: AuthEnv) -> None:
    created = _create(env, "alice", "M")
    assert created.status_code == 200, created.text
    hook_id = created.json()["webhook"]["webhook_id"]
    assert env.ok("alice", "GET", f"{MR}/{hook_id}")["webhook"]["model_name"] == "M"
    env.ok("alice", "PATCH", f"{MR}/{hook_id}", json={"description": "mine"})
    assert env.ok("alice", "GET", f"{MR}/{hook_id}/deliveries") == {"deliveries": []}
    assert env.ok("alice", "POST", f"{MR}/{hook_id}/redeliver", json={}) == {"requeued": 0}
    env.ok("alice", "DELETE", f"{MR}/{hook_id}")
    hooked = _databricks_create(env, "alice", "M")
    assert hooked.status_code == 200, hooked.text
    webhook_id = hooked.json()["webhook"]["id"]
    env.ok("alice", "PATCH", f"{DB}/update", json={"id": webhook_id, "description": "d"})
    env.ok("alice", "DELETE", f"{DB}/delete", json={"id": webhook_id})


def test_a_delivery_is_managed_by_its_webhooks_model_manager(env: AuthEnv) -> None:
    _, delivery_id = add_webhook(env)
    found = env.ok("alice", "GET", f"/api/2.0/modelreg/webhook-deliveries/{delivery_id}")
    assert found["delivery"]["delivery_id"] == delivery_id
    for user in ("bob", "eve"):
        _denied(env.call(user, "GET", f"/api/2.0/modelreg/webhook-deliveries/{delivery_id}"))
        _denied(
            env.call(
                user,
                "POST",
                f"/api/2.0/modelreg/webhook-deliveries/{delivery_id}/redeliver",
                json={},
            )
        )


@pytest.mark.parametrize("user", ["bob", "eve"])
def test_read_or_edit_on_the_model_is_not_enough(env: AuthEnv, user: str) -> None:
    _denied(_create(env, user, "M"))
    _denied(_databricks_create(env, user, "M"))
    hook_id, _ = add_webhook(env)
    _denied(env.call(user, "GET", f"{MR}/{hook_id}"))
    _denied(env.call(user, "GET", f"{API}/webhooks/{hook_id}"))
    _denied(env.call(user, "PATCH", f"{MR}/{hook_id}", json={"description": "x"}))
    _denied(env.call(user, "POST", f"{MR}/{hook_id}/test", json={}))
    _denied(env.call(user, "DELETE", f"{MR}/{hook_id}"))
    _denied(env.call(user, "GET", f"{MR}/{hook_id}/deliveries"))
    assert env.ok("admin", "GET", f"{MR}/{hook_id}")["webhook"]["webhook_id"] == hook_id


def test_registry_wide_webhooks_are_for_admins(env: AuthEnv) -> None:
    # alice manages M, yet a webhook without a model sends every model's events.
    _denied(_create(env, "alice", None))
    _denied(_databricks_create(env, "alice", None))
    event = {"entity": "model_version", "action": "created"}
    body = {"name": "w", "url": HOOK_URL, "events": [event]}
    _denied(env.call("alice", "POST", f"{API}/webhooks", json=body))
    hook_id, delivery_id = add_webhook(env, None)
    _denied(env.call("alice", "GET", f"{MR}/{hook_id}"))
    _denied(env.call("alice", "PATCH", f"{API}/webhooks/{hook_id}", json={"name": "x"}))
    _denied(env.call("alice", "DELETE", f"{API}/webhooks/{hook_id}"))
    _denied(env.call("alice", "GET", f"/api/2.0/modelreg/webhook-deliveries/{delivery_id}"))
    assert _create(env, "admin", None).status_code == 200


def test_a_webhook_for_a_model_nobody_holds_is_for_admins(env: AuthEnv) -> None:
    # Else it would receive the events of whoever creates that model next.
    _denied(_create(env, "alice", "not-yet"))
    assert _create(env, "admin", "not-yet").status_code == 200


def _listed(env: AuthEnv, user: str) -> dict[str, set[str]]:
    modelreg = env.ok(user, "GET", MR).get("webhooks", [])
    databricks = env.ok(user, "GET", f"{DB}/list").get("webhooks", [])
    mlflow = env.ok(user, "GET", f"{API}/webhooks").get("webhooks", [])
    return {
        "modelreg": {h["webhook_id"] for h in modelreg},
        "databricks": {h["id"] for h in databricks},
        "mlflow": {h["webhook_id"] for h in mlflow},
    }


def test_a_list_shows_the_webhooks_of_models_the_caller_manages(env: AuthEnv) -> None:
    env.ok("bob", "POST", f"{API}/registered-models/create", json={"name": "B"})
    mine = _create(env, "alice", "M").json()["webhook"]["webhook_id"]
    theirs = _create(env, "bob", "B").json()["webhook"]["webhook_id"]
    wide = _create(env, "admin", None).json()["webhook"]["webhook_id"]
    on_m = _databricks_create(env, "alice", "M").json()["webhook"]["id"]
    both = {mine, on_m}
    assert _listed(env, "alice") == {"modelreg": both, "databricks": {on_m}, "mlflow": both}
    assert _listed(env, "bob")["modelreg"] == {theirs}
    assert _listed(env, "eve")["modelreg"] == set()
    assert _listed(env, "admin")["modelreg"] == {mine, theirs, wide, on_m}
    # A grant of MANAGE brings the model's webhooks into the list.
    env.ok(
        "admin",
        "POST",
        f"{API3}/users/permissions/grant",
        json={
            "username": "eve",
            "resource_type": "registered_model",
            "resource_id": "M",
            "permission": "MANAGE",
        },
    )
    assert _listed(env, "eve")["modelreg"] == {mine, on_m}


def test_webhooks_follow_a_rename_and_stop_with_their_model(env: AuthEnv) -> None:
    hook_id = _create(env, "alice", "M").json()["webhook"]["webhook_id"]
    env.ok("alice", "POST", f"{API}/registered-models/rename", json={"name": "M", "new_name": "M2"})
    hook = env.ok("alice", "GET", f"{MR}/{hook_id}")["webhook"]
    assert hook["model_name"] == "M2"
    env.ok("alice", "PATCH", f"{MR}/{hook_id}", json={"status": "ACTIVE"})
    env.ok("alice", "DELETE", f"{API}/registered-models/delete", json={"name": "M2"})
    # The model is gone: its webhooks stop, and only an admin may touch them.
    hook = env.ok("admin", "GET", f"{MR}/{hook_id}")["webhook"]
    assert hook["status"] == "DISABLED"
    _denied(env.call("alice", "PATCH", f"{MR}/{hook_id}", json={"status": "ACTIVE"}))
    # A new model of that name does not hand the old webhook to its creator's peers.
    env.ok("bob", "POST", f"{API}/registered-models/create", json={"name": "M2"})
    _denied(env.call("alice", "GET", f"{MR}/{hook_id}"))


def test_without_auth_webhooks_are_unrestricted(http: Any) -> None:
    created = http.post(
        MR,
        json={"name": "h", "url": HOOK_URL, "events": ["model_version.created"], "kind": "http"},
    )
    assert created.status_code == 200, created.text
    assert len(http.get(MR).json()["webhooks"]) == 1
