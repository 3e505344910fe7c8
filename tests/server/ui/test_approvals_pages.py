"""The approval panels of the version and model pages: requests, checks, comments and
policies, driven through their forms as a browser would (CSRF token, redirects)."""

from __future__ import annotations

import base64
from html import unescape

from modelreg.service.assembly import Services
from tests.server.asgi import TestClient
from tests.server.ui.conftest import csrf_from, services_of
from tests.server.ui.seed import HOSTILE, seed_model

PAGE = "/models/churn/versions/1"


def _as(user: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:x".encode()).decode()}


def _post(http: TestClient, user: str, path: str, **fields: str) -> tuple[int, str]:
    token = csrf_from(http.get(PAGE, headers=_as(user)).text)
    response = http.post(
        path, data={"csrf_token": token, **fields}, headers=_as(user), follow_redirects=False
    )
    return response.status_code, response.text


def _seeded(http: TestClient) -> Services:
    services = services_of(http)
    seed_model(services, versions=2)
    return services


def test_a_protected_target_is_named_and_a_direct_move_shows_the_refusal(
    http: TestClient,
) -> None:
    services = _seeded(http)
    services.approvals.set_promotion_policy("churn", "Production", required_approvals=1)
    page = http.get(PAGE).text
    assert 'id="protected-note"' in page and "1 approval(s)" in page
    status, body = _post(http, "alice", f"{PAGE}/stage", stage="Production")
    assert status == 403 and "PERMISSION_DENIED" in body
    assert services.registry.get_model_version("churn", 1).current_stage == "None"


def test_request_then_approve_moves_the_version(http: TestClient) -> None:
    services = _seeded(http)
    services.approvals.set_promotion_policy(
        "churn", "Production", required_approvals=1, four_eyes=True
    )
    status, _ = _post(
        http, "alice", f"{PAGE}/requests", kind="stage", target="Production", comment="ship it"
    )
    assert status == 303
    page = http.get(PAGE, headers=_as("bob")).text
    assert "alice</strong> asks to move v1" in page and "ship it" in page
    # Four eyes: the requester cannot approve; the refusal is the service's message.
    status, body = _post(
        http, "alice", f"{PAGE}/requests/approve", kind="stage", target="Production"
    )
    assert status == 403 and "four-eyes" in unescape(body)
    status, _ = _post(
        http, "bob", f"{PAGE}/requests/approve", kind="stage", target="Production", comment="ok"
    )
    assert status == 303
    assert services.registry.get_model_version("churn", 1).current_stage == "Production"
    assert "No open requests." in http.get(PAGE).text


def test_reject_and_withdraw_close_requests(http: TestClient) -> None:
    services = _seeded(http)
    _post(http, "alice", f"{PAGE}/requests", kind="alias", target="champion")
    _post(http, "alice", f"{PAGE}/requests", kind="stage", target="Staging")
    page = http.get(PAGE, headers=_as("alice")).text
    assert "@champion" in page and "Withdraw" in page
    status, _ = _post(
        http, "bob", f"{PAGE}/requests/reject", kind="alias", target="champion", comment="no"
    )
    assert status == 303
    status, _ = _post(http, "alice", f"{PAGE}/requests/withdraw", kind="stage", target="Staging")
    assert status == 303
    approvals = services.approvals
    assert approvals.list_alias_requests("churn", 1) == []
    assert approvals.list_transition_requests("churn", 1) == []
    assert "champion" not in services.registry.get_registered_model("churn").aliases


def test_a_bad_request_kind_is_a_400_not_a_500(http: TestClient) -> None:
    _seeded(http)
    status, body = _post(http, "alice", f"{PAGE}/requests", kind="tag", target="x")
    assert status == 400 and "must be &#39;stage&#39; or &#39;alias&#39;" in body


def test_status_checks_show_latest_state_and_only_web_links(http: TestClient) -> None:
    services = _seeded(http)
    approvals = services.approvals
    approvals.set_status_check("churn", 1, "ci", "pending")
    approvals.set_status_check("churn", 1, "ci", "success", details_url="https://ci.example/1")
    approvals.set_status_check("churn", 1, "scan", "failure", details_url="javascript:alert(1)")
    page = http.get(PAGE).text
    assert '<span class="check check-success">success</span>' in page
    assert '<span class="check check-failure">failure</span>' in page
    assert "check-pending" not in page
    assert 'href="https://ci.example/1"' in page and 'href="javascript:' not in page


def test_comments_post_render_markdown_safely_edit_and_delete(http: TestClient) -> None:
    services = _seeded(http)
    status, _ = _post(http, "alice", f"{PAGE}/comments", comment=f"**bold** {HOSTILE}")
    assert status == 303
    page = http.get(PAGE, headers=_as("alice")).text
    assert "<strong>bold</strong>" in page
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    (found,) = services.approvals.list_comments("churn", 1)
    assert f"/comments/{found.id}/edit" in page
    assert f"/comments/{found.id}/edit" not in http.get(PAGE, headers=_as("bob")).text
    status, body = _post(http, "bob", f"{PAGE}/comments/{found.id}/edit", comment="mine now")
    assert status == 403 and "PERMISSION_DENIED" in body
    status, _ = _post(http, "alice", f"{PAGE}/comments/{found.id}/edit", comment="_edited_")
    assert status == 303
    assert "<em>edited</em>" in http.get(PAGE).text
    status, _ = _post(http, "alice", f"{PAGE}/comments/{found.id}/delete")
    assert status == 303
    assert services.approvals.list_comments("churn", 1) == []
    status, body = _post(http, "alice", f"{PAGE}/comments", comment="  ")
    assert status == 400


def test_comment_without_the_csrf_token_is_refused(http: TestClient) -> None:
    services = _seeded(http)
    http.get(PAGE)
    response = http.post(f"{PAGE}/comments", data={"comment": "hi"})
    assert response.status_code == 403
    assert services.approvals.list_comments("churn", 1) == []


def test_model_page_sets_and_deletes_policies(http: TestClient) -> None:
    services = _seeded(http)
    status, _ = _post(
        http,
        "alice",
        "/models/churn/policies",
        target="@champion",
        required_approvals="2",
        approvers="bob, group:ml",
        required_tags="validated=yes",
        required_checks="ci",
        four_eyes="on",
    )
    assert status == 303
    policy = services.approvals.get_promotion_policy("churn", "@champion")
    assert policy.required_approvals == 2 and policy.approvers == ["bob", "group:ml"]
    assert policy.required_tags == {"validated": "yes"} and policy.four_eyes
    page = http.get("/models/churn").text
    assert "@champion" in page and "status check ci succeeded" in page
    status, body = _post(
        http, "alice", "/models/churn/policies", target="Production", required_tags="novalue"
    )
    assert status == 400 and "key=value" in body
    status, _ = _post(http, "alice", "/models/churn/policies/delete", target="@champion")
    assert status == 303
    assert services.approvals.list_promotion_policies("churn") == []


def test_model_page_lists_open_requests_of_every_version(http: TestClient) -> None:
    services = _seeded(http)
    _post(http, "alice", f"{PAGE}/requests", kind="stage", target="Staging")
    _post(http, "alice", "/models/churn/versions/2/requests", kind="alias", target="champion")
    page = http.get("/models/churn").text
    section = page[page.index('id="requests"') :]
    assert 'href="/models/churn/versions/1#requests">v1</a>' in section
    assert 'href="/models/churn/versions/2#requests">v2</a>' in section and "@champion" in section
    assert len(services.approvals.list_open_requests("churn")) == 2
