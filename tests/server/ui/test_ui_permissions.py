"""With ``--auth`` the UI offers only the actions the signed-in user may take.

The cast (tests/server/auth_env.py): alice created model M (MANAGE), eve has EDIT on
it, bob gets READ here, admin is an admin. Each form shows exactly when the route it
posts to would accept the caller, and the services' own rules (a comment's author, a
policy's approvers and four eyes) hide the rest.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from modelreg.principal import Principal
from tests.server.asgi import free_port
from tests.server.auth_env import API, API3, AuthEnv, add_webhook
from tests.server.ui.conftest import csrf_from, services_of

MODEL_FORMS = ["/models/M/description", "/models/M/policies", "/models/M/policies/delete"]
V = "/models/M/versions/1"
VERSION_EDIT_FORMS = [
    f"{V}/description",
    f"{V}/stage",
    f"{V}/aliases",
    f"{V}/aliases/delete",
    f"{V}/requests/approve",
    f"{V}/requests/reject",
]


def _grant(env: AuthEnv, user: str, level: str) -> None:
    env.ok(
        "admin",
        "POST",
        f"{API3}/users/permissions/grant",
        json={
            "username": user,
            "resource_type": "registered_model",
            "resource_id": "M",
            "permission": level,
        },
    )


def _posts_to(html: str) -> set[str]:
    """Every path a form (or a button's formaction) on the page posts to."""
    return set(re.findall(r'(?:action|formaction)="(/[^"]*)"', html))


def _post(env: AuthEnv, user: str, path: str, **form: str) -> None:
    response = env.call(user, "POST", path, data=form, follow_redirects=False)
    assert response.status_code == 303, response.text


def _page(env: AuthEnv, user: str, path: str) -> str:
    response = env.call(user, "GET", path)
    assert response.status_code == 200, response.text
    text: str = response.text
    return text


@pytest.fixture
def requested(env: AuthEnv) -> AuthEnv:
    """bob may read M; a policy (MANAGE) and an open request (eve's) are there."""
    _grant(env, "bob", "READ")
    token = csrf_from(_page(env, "alice", V))
    _post(env, "alice", "/models/M/policies", csrf_token=token, target="Production")
    _post(env, "eve", f"{V}/requests", csrf_token=token, kind="stage", target="Staging")
    return env


def test_a_read_only_user_sees_no_edit_forms(requested: AuthEnv) -> None:
    env = requested
    model, version = _page(env, "bob", "/models/M"), _page(env, "bob", V)
    assert not _posts_to(model) & set(MODEL_FORMS), _posts_to(model)
    assert not _posts_to(version) & set(VERSION_EDIT_FORMS), _posts_to(version)
    assert "Edit description" not in model + version
    assert 'id="no-actions"' in version  # says why, and where to ask instead
    # READ may still discuss a version and ask for it to move, as on the API.
    assert {f"{V}/comments", f"{V}/requests"} <= _posts_to(version)
    # Webhooks are for M's managers, the registry-wide audit log for admins.
    assert 'id="webhooks"' not in model
    assert 'href="/audit"' not in model


def test_a_managing_user_sees_every_form(requested: AuthEnv) -> None:
    env = requested
    model, version = _page(env, "alice", "/models/M"), _page(env, "alice", V)
    assert set(MODEL_FORMS) <= _posts_to(model)
    assert set(VERSION_EDIT_FORMS) <= _posts_to(version)
    assert "Edit description" in model and "Edit description" in version


def test_an_editor_moves_versions_but_sets_no_policies(requested: AuthEnv) -> None:
    env = requested
    model, version = _page(env, "eve", "/models/M"), _page(env, "eve", V)
    assert "/models/M/description" in _posts_to(model)
    assert not {"/models/M/policies", "/models/M/policies/delete"} & _posts_to(model)
    assert {f"{V}/stage", f"{V}/aliases", f"{V}/requests/withdraw"} <= _posts_to(version)


def test_only_the_author_or_an_admin_is_offered_a_comment_edit(env: AuthEnv) -> None:
    token = csrf_from(_page(env, "alice", V))
    _post(env, "alice", f"{V}/comments", csrf_token=token, comment="hi")
    comment_id = services_of(env.http).approvals.list_comments("M", 1)[0].id
    edit, delete = f"{V}/comments/{comment_id}/edit", f"{V}/comments/{comment_id}/delete"
    for user, offered in (("alice", True), ("admin", True), ("eve", False)):
        forms = _posts_to(_page(env, user, V))
        assert ({edit, delete} <= forms) is offered, user
        assert (edit in forms) is offered, user


def test_approve_is_offered_only_to_whom_the_policy_allows(env: AuthEnv) -> None:
    services = services_of(env.http)
    services.as_actor(Principal("admin", True, True)).approvals.set_promotion_policy(
        "M", "Staging", required_approvals=1, four_eyes=True
    )
    token = csrf_from(_page(env, "eve", V))
    _post(env, "eve", f"{V}/requests", csrf_token=token, kind="stage", target="Staging")
    # eve asked: four eyes leaves the approval to someone else, and the page says why.
    page = _page(env, "eve", V)
    assert f"{V}/requests/approve" not in _posts_to(page)
    assert "You cannot approve: four-eyes: eve requested this move" in page
    assert f"{V}/requests/reject" in _posts_to(page)  # rejecting is still hers to do
    # alice created version 1: four eyes excludes her too; admin may approve.
    assert f"{V}/requests/approve" not in _posts_to(_page(env, "alice", V))
    assert f"{V}/requests/approve" in _posts_to(_page(env, "admin", V))


def test_the_model_page_lists_its_webhooks_to_its_managers(env: AuthEnv) -> None:
    hooks = services_of(env.http).webhooks
    hook = hooks.create_webhook(
        "<b>deploy</b>",
        "https://hooks.example:8443/services/T0/SECRET-PATH",
        ["model_version.created", "alias.set"],
        kind="http",
        model_name="M",
    )
    hooks.create_webhook(
        "elsewhere", "https://other.example/x", ["model_version.created"], model_name="Other"
    )
    for user in ("admin", "alice"):  # alice created M: MANAGE
        page = _page(env, user, "/models/M")
        panel = page[page.index('id="webhooks"') :]
        assert f'href="/webhooks/{hook.webhook_id}"' in panel
        assert "&lt;b&gt;deploy&lt;/b&gt;" in panel and "<b>deploy" not in panel
        assert "https://hooks.example:8443" in panel and "SECRET-PATH" not in panel
        assert "alias.set" in panel and "active" in panel
        assert "elsewhere" not in panel
        assert 'href="/webhooks?model=M#new-h"' in panel
    # EDIT or READ is not enough (the webhook pages answer them 403): no panel.
    _grant(env, "bob", "READ")
    for user in ("eve", "bob"):
        assert 'id="webhooks"' not in _page(env, user, "/models/M")
    assert env.call("eve", "GET", f"/webhooks/{hook.webhook_id}").status_code == 403


def _form(env: AuthEnv, user: str, path: str, **fields: str) -> Any:
    token = csrf_from(_page(env, user, "/webhooks"))
    data = {"csrf_token": token, **fields}
    return env.call(user, "POST", path, data=data, follow_redirects=False)


def test_a_model_manager_manages_its_webhooks_through_the_pages(env: AuthEnv) -> None:
    """alice manages M; bob creates (and so manages) B. alice creates, tests and
    redelivers M's webhooks as the API lets her, and never reaches B's or the
    registry-wide ones."""
    hooks = services_of(env.http).webhooks
    # Tests are sent to a closed loopback port: refused at once.
    hooks.settings = dataclasses.replace(hooks.settings, allow_private_ips=True)
    env.ok("bob", "POST", f"{API}/registered-models/create", json={"name": "B"})
    theirs, their_delivery = add_webhook(env, "B")
    wide, _ = add_webhook(env, None)
    old, dead = add_webhook(env, "M")

    form = _page(env, "alice", "/webhooks?model=M")
    assert 'name="model_name" required maxlength="256" value="M"' in form
    fields = {"name": "ci", "kind": "http", "events": "model_version.created"}
    url = f"https://127.0.0.1:{free_port()}/hook"
    created = _form(env, "alice", "/webhooks/create", url=url, model_name=" M ", **fields)
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    mine = location.rsplit("/", 1)[1]
    assert hooks.get_webhook(mine).model_name == "M"
    # Another's model, or the whole registry: refused as the API refuses.
    for model, why in (("B", "MANAGE on model"), ("", "registry-wide")):
        refused = _form(env, "alice", "/webhooks/create", url=url, model_name=model, **fields)
        assert refused.status_code == 403 and why in refused.text

    listing = _page(env, "alice", "/webhooks")
    assert location in listing and f"/webhooks/{old}" in listing
    assert theirs not in listing and wide not in listing
    assert f'href="{location}"' in _page(env, "alice", "/models/M")
    assert "No deliveries yet." in _page(env, "alice", location)
    tested = _form(env, "alice", f"{location}/test")
    assert tested.status_code == 200 and 'id="test-result"' in tested.text
    assert 'id="attempts"' in _page(env, "alice", f"/webhooks/{old}?delivery={dead}")
    again = _form(env, "alice", f"/webhooks/{old}/redeliver", delivery_id=dead)
    assert again.status_code == 303, again.text

    # B's webhook: its page and its actions answer 403, as the API does.
    assert env.call("alice", "GET", f"/webhooks/{theirs}").status_code == 403
    assert _form(env, "alice", f"/webhooks/{theirs}/test").status_code == 403
    redeliver = _form(env, "alice", f"/webhooks/{theirs}/redeliver", delivery_id=their_delivery)
    assert redeliver.status_code == 403
    # Nor through her own webhook's page.
    through = _form(env, "alice", f"{location}/redeliver", delivery_id=their_delivery)
    assert through.status_code == 400
    assert env.call("alice", "GET", f"{location}?delivery={their_delivery}").status_code == 400
    assert hooks.get_delivery(their_delivery).status == "DEAD"


def test_the_menu_offers_the_webhooks_list_to_every_user(env: AuthEnv) -> None:
    """The list opens for every signed-in user (filtered to what they manage, as the
    API's); the registry-wide audit log is for admins."""
    page = _page(env, "admin", "/models")
    assert 'href="/webhooks"' in page and 'href="/audit"' in page
    page = _page(env, "bob", "/models")
    assert 'href="/webhooks"' in page and 'href="/audit"' not in page
    listing = _page(env, "bob", "/webhooks")
    assert "No webhooks of the models you manage." in listing
    assert 'name="model_name" required' in listing


def test_lineage_shows_only_runs_the_user_may_read(env: AuthEnv) -> None:
    """eve may edit model M but has no grant on alice's experiment: the version page
    names the run without its parameters, as the API would refuse her getRun."""
    env.ok(
        "alice",
        "POST",
        "/api/2.0/mlflow/runs/log-parameter",
        json={"run_id": env.run_id, "key": "secret_param", "value": "hunter2"},
    )
    assert "hunter2" in _page(env, "alice", V)
    page = _page(env, "eve", V)
    assert "hunter2" not in page and "secret_param" not in page
    assert env.run_id in page and "you may not read its experiment" in page
    source = {"name": "M", "source": f"runs:/{env.run_id}/model", "run_id": env.run_id}
    env.ok("alice", "POST", "/api/2.0/mlflow/model-versions/create", json=source)
    assert "hunter2" in _page(env, "alice", "/compare?name=M&versions=1,2")
    compared = _page(env, "eve", "/compare?name=M&versions=1,2")
    assert "hunter2" not in compared and "not readable by you" in compared


def test_a_reader_reaches_the_models_audit_log_from_its_history(requested: AuthEnv) -> None:
    """The whole log is for admins; a model's part is for its readers, linked from the
    history panel (the menu link is gone for them)."""
    page = _page(requested, "bob", "/models/M")
    assert 'href="/audit?model=M"' in page
    assert "model_version.created" in _page(requested, "bob", "/audit?model=M")
    assert requested.call("bob", "GET", "/audit").status_code == 403
