"""Logging in to the UI with ``--auth``: the form, the session cookie, logout."""

from __future__ import annotations

from tests.server.auth_env import PASSWORDS, AuthEnv
from tests.server.ui.conftest import csrf_from

HTML = {"accept": "text/html,application/xhtml+xml"}


def _cookies(response: object) -> dict[str, str]:
    """Each Set-Cookie header of a response by cookie name (the whole header)."""
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    return {h.split("=", 1)[0]: h for h in headers}


def _login(env: AuthEnv, user: str, password: str, **headers: str) -> object:
    form = env.http.get("/login?next=/models/M")
    assert form.status_code == 200 and 'id="login-form"' in form.text
    data = {
        "csrf_token": csrf_from(form.text),
        "username": user,
        "password": password,
        "next": "/models/M",
    }
    return env.http.post("/login", data=data, headers=headers, follow_redirects=False)


def test_a_browser_without_credentials_is_sent_to_the_login_page(env: AuthEnv) -> None:
    response = env.http.get("/models/M?page=2", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/models/M%3Fpage%3D2"
    # Not a browser page view: the API's Basic challenge as before.
    assert env.http.get("/models/M", follow_redirects=False).status_code == 401


def test_login_sets_a_session_cookie_and_a_fresh_csrf_token(env: AuthEnv) -> None:
    before = env.http.cookies.get("modelreg_csrf")
    response = _login(env, "alice", PASSWORDS["alice"])
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/models/M"  # type: ignore[attr-defined]
    cookies = _cookies(response)
    session = cookies["modelreg_session"].lower()
    assert "httponly" in session and "samesite=lax" in session and "secure" not in session
    assert "modelreg_csrf" in cookies and env.http.cookies.get("modelreg_csrf") != before
    page = env.http.get("/models/M", headers=HTML)
    assert page.status_code == 200
    assert '<span title="The caller as the server sees it" id="whoami">alice</span>' in page.text
    assert 'id="logout"' in page.text
    # The cookie is a UI credential only: the JSON API does not accept it.
    api = env.http.get("/api/2.0/mlflow/registered-models/get?name=M")
    assert api.status_code == 401


def test_the_session_cookie_is_secure_behind_tls(env: AuthEnv) -> None:
    response = _login(env, "alice", PASSWORDS["alice"], **{"x-forwarded-proto": "https"})
    assert "secure" in _cookies(response)["modelreg_session"].lower()


def test_a_wrong_password_is_refused_and_rate_limited(env: AuthEnv) -> None:
    response = _login(env, "bob", "wrong")
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert "Wrong user name or password." in response.text  # type: ignore[attr-defined]
    assert "modelreg_session" not in _cookies(response)
    statuses = [_login(env, "bob", "wrong").status_code for _ in range(20)]  # type: ignore[attr-defined]
    assert 429 in statuses
    # While limited, even the right password waits (the gate's limit for Basic).
    assert _login(env, "bob", PASSWORDS["bob"]).status_code == 429  # type: ignore[attr-defined]


def test_login_needs_the_csrf_token(env: AuthEnv) -> None:
    env.http.get("/login")
    data = {"username": "alice", "password": PASSWORDS["alice"]}
    response = env.http.post("/login", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "modelreg_session" not in _cookies(response)


def test_logout_revokes_the_session(env: AuthEnv) -> None:
    _login(env, "alice", PASSWORDS["alice"])
    kept = env.http.cookies.get("modelreg_session")
    assert kept
    page = env.http.get("/models/M", headers=HTML)
    out = env.http.post(
        "/logout", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False
    )
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert 'modelreg_session=""' in _cookies(out)["modelreg_session"]
    assert all(t.revoked for t in env.auth.list_tokens("alice") if t.name == "ui-session")
    # The old cookie, replayed, no longer opens a page.
    env.http.cookies.set("modelreg_session", kept)
    again = env.http.get("/models/M", headers=HTML, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


def test_the_next_page_must_be_on_this_site(env: AuthEnv) -> None:
    form = env.http.get("/login")
    data = {
        "csrf_token": csrf_from(form.text),
        "username": "alice",
        "password": PASSWORDS["alice"],
        "next": "//evil.example/",
    }
    response = env.http.post("/login", data=data, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_webhook_pages_answer_as_the_api(env: AuthEnv) -> None:
    # The list is filtered to what the caller manages; an unknown webhook is a 404.
    assert env.call("alice", "GET", "/webhooks").status_code == 200
    assert env.call("alice", "GET", "/webhooks/abc").status_code == 404
    assert env.call(None, "GET", "/webhooks").status_code == 401
    assert env.call("admin", "GET", "/webhooks").status_code == 200


def test_approval_actions_keep_the_api_levels(env: AuthEnv) -> None:
    page = env.call("eve", "GET", "/models/M/versions/1")
    token = csrf_from(page.text)
    form = {"csrf_token": token, "kind": "stage", "target": "Staging"}
    assert env.call("bob", "POST", "/models/M/versions/1/requests", data=form).status_code == 403
    asked = env.call("eve", "POST", "/models/M/versions/1/requests", data=form)
    assert asked.status_code in (200, 303)
    # eve may edit M, not manage it: no policies.
    policy = {"csrf_token": token, "target": "Production", "required_approvals": "1"}
    assert env.call("eve", "POST", "/models/M/policies", data=policy).status_code == 403
    assert env.call("alice", "POST", "/models/M/policies", data=policy).status_code in (200, 303)
