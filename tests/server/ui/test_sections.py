"""The extension points: sections other features add to the model and version pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from starlette.applications import Starlette

from modelreg.config import Settings
from modelreg.entities import Event
from modelreg.server.context import AppContext
from modelreg.server.runner import Runner
from modelreg.server.settings import ServerSettings
from modelreg.server.ui import Section, SectionContext, default_sections, ui_routes
from modelreg.server.ui.markdown import render_markdown
from modelreg.service.assembly import build_services
from tests.server.asgi import asgi_client
from tests.server.ui.seed import seed_model


def test_a_registered_section_renders_on_the_version_page(settings: Settings) -> None:
    seen: list[SectionContext] = []

    def load(context: SectionContext) -> Mapping[str, Any]:
        seen.append(context)
        event = Event(1, 0, "checker", "status_check.set", context.name, context.version, {})
        return {"events": [event], "next_token": None, "token": ""}

    sections = default_sections()
    # A feature's panel: here the history template, fed by the feature's own loader.
    sections.add("version", Section("custom", "Custom panel", "sections/history.html", load, 50))
    services = build_services(settings.served(actor="anonymous"))
    services.db.ensure_schema()
    runner = Runner(1)
    app = Starlette(routes=ui_routes(AppContext(services, runner, ServerSettings()), sections))
    seed_model(services, "churn", versions=1)
    try:
        with asgi_client(app) as http:
            page = http.get("/models/churn/versions/1", auth=("carol", "")).text
            assert page.index('id="custom"') < page.index('id="history"')  # by order
            assert "Custom panel" in page and "status_check.set" in page
            assert 'id="custom"' not in http.get("/models/churn").text  # version page only
    finally:
        runner.close()
        services.db.dispose()
    assert [(c.name, c.version, c.principal.name) for c in seen] == [("churn", 1, "carol")]


def test_section_keys_are_unique_per_page() -> None:
    sections = default_sections()
    (history,) = [s for s in sections.of("model") if s.key == "history"]
    with pytest.raises(ValueError, match="already has a section 'history'"):
        sections.add("model", history)


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("<script>alert(1)</script>", "<script>"),
        ('"><img src=x onerror=alert(1)>', "<img"),
        ("[click](javascript:alert(1))", 'href="javascript:'),
        ("<a href='x' onclick='y'>a</a>", "<a href"),
    ],
)
def test_markdown_never_passes_html_through(text: str, absent: str) -> None:
    assert absent not in render_markdown(text)


def test_markdown_still_formats() -> None:
    assert str(render_markdown("**bold** and [link](https://example.com)")) == (
        '<p><strong>bold</strong> and <a href="https://example.com">link</a></p>\n'
    )
