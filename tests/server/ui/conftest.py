"""UI test fixtures: the app on a fresh SQLite, a client that keeps the CSRF cookie."""

from __future__ import annotations

import re

from modelreg.service.assembly import Services
from tests.server.asgi import TestClient

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def services_of(http: TestClient) -> Services:
    services: Services = http.app.state.services  # type: ignore[attr-defined]
    return services


def csrf_from(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def services_of_app(app: object) -> Services:
    services: Services = app.state.services  # type: ignore[attr-defined]
    return services
