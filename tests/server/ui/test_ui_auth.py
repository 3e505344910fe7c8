"""With ``--auth`` the UI checks each page and action as the API checks its call."""

from __future__ import annotations

import pytest

from tests.server.auth_env import AuthEnv
from tests.server.ui.conftest import csrf_from

PAGES = [
    "/models/M",
    "/models/M/versions/1",
    "/compare?name=M&versions=1,1",
    "/audit",
]


@pytest.mark.parametrize("path", ["/", "/models", *PAGES])
def test_anonymous_browsers_are_asked_to_log_in(env: AuthEnv, path: str) -> None:
    response = env.call(None, "GET", path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")


@pytest.mark.parametrize("path", PAGES)
def test_a_user_without_a_grant_sees_no_page_of_the_model(env: AuthEnv, path: str) -> None:
    response = env.call("bob", "GET", path)
    assert response.status_code == 403, response.text
    assert "PERMISSION_DENIED" in response.text


def test_a_claimed_name_with_a_wrong_password_is_refused(env: AuthEnv) -> None:
    response = env.http.get("/models/M", headers={"authorization": "Basic YWRtaW46d3Jvbmc="})
    assert response.status_code == 401


def test_the_models_list_shows_only_readable_models(env: AuthEnv) -> None:
    assert "M" not in _names(env.call("bob", "GET", "/models").text)
    assert "M" in _names(env.call("alice", "GET", "/models").text)


def test_changes_need_edit(env: AuthEnv) -> None:
    page = env.call("eve", "GET", "/models/M/versions/1")
    assert page.status_code == 200
    form = {"csrf_token": csrf_from(page.text), "stage": "Staging"}
    refused = env.call("bob", "POST", "/models/M/versions/1/stage", data=form)
    assert refused.status_code == 403
    moved = env.call("eve", "POST", "/models/M/versions/1/stage", data=form)
    assert moved.status_code in (200, 303), moved.text
    version = env.ok("alice", "GET", "/api/2.0/mlflow/model-versions/get?name=M&version=1")
    assert version["model_version"]["current_stage"] == "Staging"


def _names(html: str) -> set[str]:
    import re

    return set(re.findall(r'href="/models/([^"/?]+)"', html))
