"""Offset pages with MLflow's page tokens: fetch one row more than asked to know if more exist."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from modelreg import filters
from modelreg.entities import PagedList

T = TypeVar("T")


def fetch_page(
    fetch: Callable[[int, int], Sequence[T]], page_token: str | None, limit: int
) -> PagedList[T]:
    """Call ``fetch(offset, limit + 1)`` and turn the result into a page with its next token."""
    offset = filters.decode_page_token(page_token)
    found = fetch(offset, limit + 1)
    token = filters.encode_page_token(offset + limit) if len(found) > limit else None
    return PagedList(found[:limit], token)
