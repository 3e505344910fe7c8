"""The UI in a real browser: headless Debian Chromium driven by Selenium.

Needs /usr/bin/chromium and /usr/bin/chromedriver (scripts/setup-browser installs them;
.ci/run calls it). ``MODELREG_UI_SCREENSHOTS=1`` also writes the screenshots of
docs/ui.md (docs/images/ui-*.png); without it nothing under docs/ is touched.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

from tests.server.ui.conftest import services_of_app
from tests.server.ui.seed import HOSTILE, seed_model

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("MODELREG_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MODELREG_CHROMEDRIVER", "/usr/bin/chromedriver")
SHOTS = Path(__file__).resolve().parents[3] / "docs" / "images"

if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
    pytest.skip(
        "headless Chromium is not installed: run scripts/setup-browser", allow_module_level=True
    )

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root in a container
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def site(app: Starlette, live_server: str, browser: WebDriver) -> Iterator[str]:
    browser.get_log("browser")  # start each test with an empty console
    yield live_server
    problems = [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE" and "favicon" not in entry["message"]
    ]
    assert not problems, problems  # no CSP violation, no script error


def wait(browser: WebDriver, seconds: float = 10) -> WebDriverWait[WebDriver]:
    return WebDriverWait(browser, seconds)


def shoot(browser: WebDriver, name: str) -> None:
    if os.environ.get("MODELREG_UI_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SHOTS / f"ui-{name}.png"))


def test_browse_from_home_to_a_version_and_compare(
    app: Starlette, site: str, browser: WebDriver
) -> None:
    services = services_of_app(app)
    seed_model(services, "churn", versions=3)
    services.registry.transition_model_version_stage("churn", 3, "Production")
    services.registry.set_registered_model_alias("churn", "champion", 3)
    for name in ("fraud-detector", "ranker"):
        seed_model(services, name, versions=1)
    browser.get(site + "/")
    shoot(browser, "models")
    browser.find_element(By.LINK_TEXT, "churn").click()
    wait(browser).until(ec.url_to_be(site + "/models/churn"))
    assert "Predicts churn." in browser.find_element(By.ID, "description").text
    shoot(browser, "model")
    browser.find_element(By.LINK_TEXT, "v2").click()
    wait(browser).until(ec.url_to_be(site + "/models/churn/versions/2"))
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".plot .uplot")))
    assert "weights.bin" in browser.find_element(By.ID, "file-list").text
    shoot(browser, "version")
    browser.back()
    wait(browser).until(ec.url_to_be(site + "/models/churn"))
    browser.find_element(By.ID, "cmp-1").click()
    browser.find_element(By.ID, "cmp-3").click()
    browser.find_element(By.XPATH, "//button[text()='Compare selected']").click()
    wait(browser).until(ec.url_contains("/compare"))
    differs = browser.find_elements(By.CSS_SELECTOR, "tr.differs th")
    assert "alpha" in [row.text for row in differs]
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".plot .uplot")))
    shoot(browser, "compare")


def test_edit_description_in_place(app: Starlette, site: str, browser: WebDriver) -> None:
    services = services_of_app(app)
    seed_model(services, "churn", versions=1)
    browser.get(site + "/models/churn")
    browser.find_element(By.CSS_SELECTOR, "#description summary").click()
    box = browser.find_element(By.ID, "description-text")
    box.clear()
    box.send_keys("Edited in the **browser**")
    browser.find_element(By.XPATH, "//button[text()='Save description']").click()
    wait(browser).until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, "#description strong"), "browser")
    )
    assert browser.current_url == site + "/models/churn"  # swapped in place by htmx
    assert services.registry.get_registered_model("churn").description == (
        "Edited in the **browser**"
    )


def test_transition_stage_from_the_version_page(
    app: Starlette, site: str, browser: WebDriver
) -> None:
    services = services_of_app(app)
    seed_model(services, "churn", versions=1)
    browser.get(site + "/models/churn/versions/1")
    Select(browser.find_element(By.ID, "stage")).select_by_visible_text("Staging")
    browser.find_element(By.ID, "transition").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "h1 .stage"), "Staging"))
    assert services.registry.get_model_version("churn", 1).current_stage == "Staging"
    assert "model_version.stage_transitioned" in browser.find_element(By.ID, "history").text


def test_hostile_strings_stay_text(app: Starlette, site: str, browser: WebDriver) -> None:
    services = services_of_app(app)
    seed_model(services, "evil", versions=1, description=HOSTILE, run_name=HOSTILE)
    services.registry.set_registered_model_tag("evil", "note", HOSTILE)
    for path in ("/models", "/models/evil", "/models/evil/versions/1", "/audit"):
        browser.get(site + path)
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.accept()
        assert HOSTILE in browser.find_element(By.TAG_NAME, "main").text, path
        assert not browser.find_elements(By.CSS_SELECTOR, "main img")


def test_mlflow_run_links_land_on_the_run_page(
    app: Starlette, site: str, browser: WebDriver
) -> None:
    seeded = seed_model(services_of_app(app), "churn", versions=1)
    run_path = f"/experiments/{seeded.experiment_id}/runs/{seeded.run_ids[0]}"
    browser.get(f"{site}/#{run_path}")
    wait(browser).until(ec.url_to_be(site + run_path))
    assert "train-1" in browser.find_element(By.TAG_NAME, "h1").text
    wait(browser).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".plot .uplot")))
    shoot(browser, "run")


def test_keyboard_and_phone_width(app: Starlette, site: str, browser: WebDriver) -> None:
    seed_model(services_of_app(app), "churn", versions=2)
    browser.get(site + "/models")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == "Skip to content"
    search = browser.find_element(By.ID, "q")
    search.send_keys("chu", Keys.ENTER)
    wait(browser).until(ec.url_contains("q=chu"))
    assert browser.find_element(By.LINK_TEXT, "churn")
    browser.get(site + "/audit")
    shoot(browser, "audit")
    browser.get(site + "/experiments")
    shoot(browser, "experiments")
    browser.set_window_size(390, 844)
    try:
        browser.get(site + "/models/churn/versions/1")
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 400  # nothing forces sideways scrolling of the page
        shoot(browser, "phone")
    finally:
        browser.set_window_size(1280, 900)


def test_a_refused_in_place_edit_shows_why(app: Starlette, site: str, browser: WebDriver) -> None:
    services = services_of_app(app)
    seed_model(services, "gone", versions=1)
    browser.get(site + "/models/gone")
    services.registry.delete_registered_model("gone")  # someone else deletes it meanwhile
    browser.find_element(By.CSS_SELECTOR, "#description summary").click()
    browser.find_element(By.ID, "description-text").send_keys(" more")
    browser.find_element(By.XPATH, "//button[text()='Save description']").click()
    alert = wait(browser).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#description .error"))
    )
    assert "not found" in alert.text
    # The browser logs the 404 as an error, as it should: not a finding here.
    assert any("404" in entry["message"] for entry in browser.get_log("browser"))


def test_the_model_pages_webhooks_lead_to_the_webhook(
    app: Starlette, site: str, browser: WebDriver
) -> None:
    services = services_of_app(app)
    seed_model(services, "churn", versions=1)
    events = ["model_version.created", "alias.set"]
    hook = services.webhooks.create_webhook(
        "deploy-on-champion",
        "https://hooks.example/services/T0/B0/SECRET",
        events,
        kind="slack",
        model_name="churn",
    )
    services.webhooks.create_webhook("audit-feed", "https://audit.example/in", events)
    browser.get(site + "/models/churn")
    panel = browser.find_element(By.ID, "webhooks")
    assert "https://hooks.example" in panel.text and "SECRET" not in panel.text
    browser.execute_script("arguments[0].scrollIntoView()", panel)
    shoot(browser, "model-webhooks")
    panel.find_element(By.LINK_TEXT, "deploy-on-champion").click()
    wait(browser).until(ec.url_to_be(f"{site}/webhooks/{hook.webhook_id}"))
    shoot(browser, "webhook")
    assert browser.find_element(By.LINK_TEXT, "churn").get_attribute("href") == (
        site + "/models/churn"
    )
    browser.get(site + "/webhooks")
    assert "audit-feed" in browser.find_element(By.ID, "webhook-list").text
    shoot(browser, "webhooks")
