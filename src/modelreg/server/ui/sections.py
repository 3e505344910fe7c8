"""Extension points of the model and version pages: panels other features add.

A page (``"model"`` or ``"version"``) renders its own content, then each registered
:class:`Section` in ``order``: the section's ``load`` runs in the worker thread with the
caller's :class:`SectionContext` (services acting as the caller, the model name and
version) and returns what its ``template`` needs, under ``section.data`` in the
template. The history timeline is such a section; approvals (requests, comments,
checks, policies) and webhooks register theirs in :func:`default_sections`.

A section reads through services, never SQL; its forms POST to routes of its own,
carrying the page's CSRF token (``{{ csrf }}``); it issues a fixed number of statements
per page view (tests/server/ui/test_statement_counts.py counts every page).

A section names the routes its forms post to in ``actions`` (name → route path
template). The page checks them all at once for the caller (:mod:`.access`, the
routes' own requirements) before any section loads: the loader sees the answers in
``context.can`` and the template in ``can``, and shows a form only where it is true.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from modelreg.principal import Principal
from modelreg.service.assembly import Services
from modelreg.service.audit_log import AuditLog

Page = Literal["model", "version"]
HISTORY_PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class SectionContext:
    """What a section's loader gets."""

    services: Services  # acting as the caller
    principal: Principal
    audit: AuditLog
    name: str
    version: int | None = None  # set on the version page
    query: Mapping[str, str] = field(default_factory=dict)  # the page's query parameters
    # Which of the page's and its sections' actions the caller may take (by name).
    can: Mapping[str, bool] = field(default_factory=dict)
    # The version's creator, on the version page (four-eyes rules name them).
    version_creator: str = ""


# None: the caller may not see this panel (it is left out of the page).
Loader = Callable[[SectionContext], Mapping[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Section:
    """One panel: an anchor id, a heading, a template and the data it renders."""

    key: str
    title: str
    template: str
    load: Loader
    order: int = 100
    # The routes the section's forms post to: action name -> route path template.
    actions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LoadedSection:
    section: Section
    data: Mapping[str, Any]


class Sections:
    """The sections of each page, in order."""

    def __init__(self) -> None:
        self._by_page: dict[Page, list[Section]] = {"model": [], "version": []}

    def add(self, page: Page, section: Section) -> None:
        taken = {s.key for s in self._by_page[page]}
        if section.key in taken:
            raise ValueError(f"The {page} page already has a section {section.key!r}")
        self._by_page[page].append(section)
        self._by_page[page].sort(key=lambda s: (s.order, s.key))

    def of(self, page: Page) -> list[Section]:
        return list(self._by_page[page])

    def actions(self, page: Page) -> dict[str, str]:
        """Every action the page's sections offer (name -> route path template)."""
        found: dict[str, str] = {}
        for section in self._by_page[page]:
            for name, route in section.actions.items():
                if found.setdefault(name, route) != route:
                    raise ValueError(f"The {page} page's action {name!r} names two routes")
        return found

    def load(self, page: Page, context: SectionContext) -> list[LoadedSection]:
        loaded = ((s, s.load(context)) for s in self._by_page[page])
        return [LoadedSection(s, data) for s, data in loaded if data is not None]


def _history(context: SectionContext) -> Mapping[str, Any]:
    token = context.query.get("history")
    found = context.audit.search(
        model_name=context.name,
        version=context.version,
        max_results=HISTORY_PAGE_SIZE,
        page_token=token or None,
    )
    return {"events": list(found), "next_token": found.token, "token": token or ""}


def default_sections() -> Sections:
    """The sections every app starts with; features add theirs here (one line each)."""
    sections = Sections()
    history = Section("history", "History", "sections/history.html", _history, order=900)
    sections.add("model", history)
    sections.add("version", history)
    # Imported here: the approvals module builds on this one's Section and Sections.
    from modelreg.server.ui.approvals import add_sections as add_approval_sections

    add_approval_sections(sections)
    from modelreg.server.ui.webhooks import add_sections as add_webhook_sections

    add_webhook_sections(sections)
    return sections
