"""Markdown for descriptions and comments: CommonMark with raw HTML disabled.

``html=False`` makes any ``<script>`` or ``<img onerror>`` in the text come out as
escaped text; ``linkify`` stays off and link targets are checked by markdown-it's
``validateLink`` (no ``javascript:``, ``vbscript:``, ``file:`` or non-image ``data:``).
"""

from __future__ import annotations

from typing import Final

from markdown_it import MarkdownIt
from markupsafe import Markup

_MD: Final = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
MAX_MARKDOWN: Final = 64 * 1024


def render_markdown(text: str | None) -> Markup:
    """Safe HTML for ``text`` (already escaped where needed: mark it safe for Jinja)."""
    if not text:
        return Markup("")
    return Markup(_MD.render(text[:MAX_MARKDOWN]))  # html=False: the input is escaped
