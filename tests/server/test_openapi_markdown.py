"""docs/reference/rest.md is generated from the OpenAPI document, and kept in sync."""

from __future__ import annotations

from pathlib import Path

from modelreg.server.app import endpoints
from modelreg.server.openapi_markdown import render_markdown

PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "rest.md"


def test_the_committed_rest_reference_is_the_generated_one() -> None:
    assert PAGE.read_text() == render_markdown(), (
        "docs/reference/rest.md is stale: run "
        "`python -m modelreg.server.openapi_markdown > docs/reference/rest.md`"
    )


def test_every_operation_is_listed_once_under_its_first_path() -> None:
    page = render_markdown()
    for endpoint in endpoints():
        heading = f"### `{endpoint.method} "
        first = endpoint.paths[0].split("{")[0]
        assert f"{heading}{first}" in page, endpoint.operation_id
    assert "### `POST /ajax-api/" not in page  # aliases are named, not repeated
