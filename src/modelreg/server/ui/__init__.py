"""The web UI: server-rendered pages over the services, mounted at ``/``.

:func:`ui_routes` gives the routes; :mod:`.sections` is where other features add
panels to the model and version pages. See docs/ui.md.
"""

from modelreg.server.ui.routes import ui_routes
from modelreg.server.ui.sections import Section, SectionContext, Sections, default_sections

__all__ = ["Section", "SectionContext", "Sections", "default_sections", "ui_routes"]
