"""The webhook pages: list, create, a webhook's deliveries and attempts, test, redeliver."""

from __future__ import annotations

import dataclasses

from modelreg.service.webhooks.worker import DeliveryWorker
from tests.server.asgi import TestClient, free_port
from tests.server.ui.conftest import csrf_from, services_of
from tests.server.ui.seed import HOSTILE, seed_model


def _create(http: TestClient, **fields: str) -> str:
    # The hooks point at a closed loopback port: allow loopback targets in this app.
    hooks = services_of(http).webhooks
    hooks.settings = dataclasses.replace(hooks.settings, allow_private_ips=True)
    token = csrf_from(http.get("/webhooks").text)
    response = http.post(
        "/webhooks/create", data={"csrf_token": token, **fields}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    return location


def test_create_list_and_open_a_webhook(http: TestClient) -> None:
    # Nothing listens on this loopback port: deliveries and tests fail, and say why.
    url = f"https://127.0.0.1:{free_port()}/hook"
    location = _create(
        http,
        name=HOSTILE,
        kind="http",
        url=url,
        events="model_version.created",
        model_name="churn",
        secret="s3cret",
    )
    listing = http.get("/webhooks").text
    assert location in listing and "<script>alert(1)" not in listing
    assert "model_version.created" in listing
    page = http.get(location).text
    assert "No deliveries yet." in page and "s3cret" not in page and "set" in page
    token = csrf_from(page)
    tested = http.post(f"{location}/test", data={"csrf_token": token})
    assert tested.status_code == 200 and 'id="test-result"' in tested.text
    assert "Test failed" in tested.text


def test_deliveries_attempts_and_redeliver(http: TestClient) -> None:
    services = services_of(http)
    url = f"https://127.0.0.1:{free_port()}/hook"
    location = _create(http, name="ci", kind="http", url=url, events="model_version.created")
    seed_model(services, versions=1)
    # One tick of a worker: match the new events to deliveries, attempt them (refused).
    DeliveryWorker(services.db, services.webhooks.settings).run_once()
    webhook_id = location.rsplit("/", 1)[1]
    (delivery,) = services.webhooks.list_deliveries(webhook_id)
    page = http.get(location).text
    assert "model_version.created" in page and "Redeliver" in page
    detail = http.get(location, params={"delivery": delivery.delivery_id}).text
    assert 'id="attempts"' in detail and "Not attempted yet." not in detail
    again = http.post(
        f"{location}/redeliver",
        data={"csrf_token": csrf_from(page), "delivery_id": delivery.delivery_id},
        follow_redirects=False,
    )
    assert again.status_code == 303
    assert services.webhooks.get_delivery(delivery.delivery_id).status in {"pending", "PENDING"}


def test_a_bad_webhook_form_is_a_400(http: TestClient) -> None:
    token = csrf_from(http.get("/webhooks").text)
    response = http.post(
        "/webhooks/create",
        data={
            "csrf_token": token,
            "name": "x",
            "kind": "pigeon",
            "url": "https://a.example",
            "events": "model_version.created",
        },
    )
    assert response.status_code == 400 and "Unknown webhook kind" in response.text


def test_the_list_filters_to_one_models_webhooks(http: TestClient) -> None:
    seed_model(services_of(http), "churn", versions=1)
    url = f"https://127.0.0.1:{free_port()}/hook"
    mine = _create(http, name="mine", url=url, events="model_version.created", model_name="churn")
    other = _create(http, name="other", url=url, events="model_version.created")
    page = http.get("/webhooks?model=churn").text
    assert mine in page and other not in page
    assert 'id="wh-model" name="model_name" maxlength="256" value="churn"' in page
    assert other in http.get("/webhooks").text


def test_the_model_page_lists_its_webhooks(http: TestClient) -> None:
    """Without --auth every caller may open the webhook pages: the panel shows."""
    seed_model(services_of(http), "churn", versions=1)
    url = f"https://127.0.0.1:{free_port()}/secret-token-path"
    hook = _create(http, name="deploy", url=url, events="model_version.created", model_name="churn")
    page = http.get("/models/churn").text
    panel = page[page.index('id="webhooks"') :]
    assert f'href="{hook}"' in panel and "https://127.0.0.1:" in panel
    assert "secret-token-path" not in panel and "active" in panel
    assert 'href="/webhooks?model=churn#new-h"' in panel
