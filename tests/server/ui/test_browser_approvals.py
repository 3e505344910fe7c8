"""Approvals, comments and login in a real browser (headless Chromium, Selenium).

Shares the browser fixtures of :mod:`tests.server.ui.test_browser` (skipped with it
when Chromium is missing).
"""

from __future__ import annotations

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from starlette.applications import Starlette

from tests.server.auth_env import PASSWORDS, AuthEnv
from tests.server.ui.conftest import services_of_app
from tests.server.ui.seed import HOSTILE, seed_model
from tests.server.ui.test_browser import (  # noqa: F401 (fixtures)
    browser,
    shoot,
    site,
    wait,
)

pytestmark = pytest.mark.browser


def test_approve_a_request_and_post_a_comment(
    app: Starlette,
    site: str,  # noqa: F811
    browser: WebDriver,  # noqa: F811
) -> None:
    services = services_of_app(app)
    seed_model(services, "churn", versions=1)
    services.approvals.set_promotion_policy("churn", "Production", required_approvals=1)
    services.approvals.set_status_check(
        "churn", 1, "ci", "success", details_url="https://ci.example/1"
    )
    services.as_actor("alice").approvals.create_transition_request(
        "churn", 1, "Production", "Ready: **all green**"
    )
    browser.get(site + "/models/churn/versions/1")
    assert "Protected" in browser.find_element(By.ID, "protected-note").text
    request = browser.find_element(By.CSS_SELECTOR, "#requests .request")
    assert "alice asks to move v1" in request.text
    browser.execute_script("arguments[0].scrollIntoView()", request)
    shoot(browser, "requests")
    request.find_element(By.NAME, "comment").send_keys("Looks good")
    request.find_element(By.CSS_SELECTOR, "button.approve").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "requests"), "No open requests."))
    assert services.registry.get_model_version("churn", 1).current_stage == "Production"

    box = browser.find_element(By.ID, "new-comment")
    box.send_keys(f"Shipped **now** {HOSTILE}")
    browser.find_element(By.ID, "comment-submit").click()
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, "#comments .comment")))
    comment = browser.find_element(By.CSS_SELECTOR, "#comments .comment .md")
    assert comment.find_element(By.TAG_NAME, "strong").text == "now"
    assert "<script>alert(1)</script>" in comment.text  # shown as text
    assert not comment.find_elements(By.TAG_NAME, "img")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.accept()
    browser.execute_script("arguments[0].scrollIntoView()", browser.find_element(By.ID, "checks"))
    shoot(browser, "comments")


def test_log_in_and_out_with_auth(
    live_env: tuple[str, AuthEnv],
    browser: WebDriver,  # noqa: F811
) -> None:
    base, env = live_env
    browser.delete_all_cookies()
    browser.get(base + "/models/M")
    wait(browser).until(ec.presence_of_element_located((By.ID, "login-form")))
    assert "/login?next=/models/M" in browser.current_url
    shoot(browser, "login")
    browser.find_element(By.ID, "username").send_keys("alice")
    browser.find_element(By.ID, "password").send_keys(PASSWORDS["alice"])
    browser.find_element(By.ID, "login").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.ID, "whoami"), "alice"))
    assert browser.current_url.endswith("/models/M")
    # alice manages M: its forms and its webhooks panel are offered; the admin-only
    # Audit menu link is not (the Webhooks list is every user's, filtered).
    assert browser.find_elements(By.CSS_SELECTOR, "#description summary")
    assert browser.find_elements(By.ID, "webhooks")
    assert browser.find_elements(By.LINK_TEXT, "Webhooks")
    assert not browser.find_elements(By.LINK_TEXT, "Audit")
    browser.find_element(By.ID, "logout").click()
    wait(browser).until(ec.presence_of_element_located((By.ID, "login-form")))
    assert all(t.revoked for t in env.auth.list_tokens("alice") if t.name == "ui-session")
    browser.get(base + "/models/M")
    wait(browser).until(ec.presence_of_element_located((By.ID, "login-form")))
