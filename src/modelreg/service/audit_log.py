"""Reading the event log for people: filtered, newest first, in pages.

The web UI's audit page and the history timelines of its model and version pages read
through here. Filters are checked so a bad one is a clear 400, never a scan of garbage.
"""

from __future__ import annotations

import re
from typing import Final

from modelreg import filters, validation
from modelreg.entities import Event, PagedList
from modelreg.errors import InvalidArgument
from modelreg.service.paging import fetch_page
from modelreg.store.database import Database
from modelreg.store.event_search import EventFilter, search_events

AUDIT_PAGE_DEFAULT: Final = 50
AUDIT_PAGE_MAX: Final = 500
_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.?$")
_MAX_ACTOR: Final = 256


class AuditLog:
    """Filtered pages of the event log (registry and tracking events alike)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def search(
        self,
        *,
        model_name: str | None = None,
        version: int | str | None = None,
        actor: str | None = None,
        type: str | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        max_results: int = AUDIT_PAGE_DEFAULT,
        page_token: str | None = None,
    ) -> PagedList[Event]:
        """Events matching every given filter, newest first."""
        limit = filters.validate_max_results(
            max_results, maximum=AUDIT_PAGE_MAX, default=AUDIT_PAGE_DEFAULT
        )
        where = EventFilter(
            model_name=validation.validate_model_name(model_name) if model_name else None,
            version=validation.parse_version(version) if version not in (None, "") else None,
            actor=_actor(actor),
            type=_type(type),
            since_ms=since_ms,
            until_ms=until_ms,
        )
        if since_ms is not None and until_ms is not None and since_ms >= until_ms:
            raise InvalidArgument("The time filter's start must be before its end.")

        def fetch(offset: int, count: int) -> list[Event]:
            with self.db.read() as conn:
                return search_events(conn, where, offset, count)

        return fetch_page(fetch, page_token, limit)


def _actor(actor: str | None) -> str | None:
    if not actor:
        return None
    if len(actor) > _MAX_ACTOR:
        raise InvalidArgument(f"An actor name has at most {_MAX_ACTOR} characters.")
    return actor


def _type(value: str | None) -> str | None:
    if not value:
        return None
    if len(value) > 64 or not _TYPE.match(value):
        raise InvalidArgument(
            f"Invalid event type filter {value[:80]!r}: give a type such as "
            "'model_version.created', or a family ending in '.' such as 'model_version.'."
        )
    return value
