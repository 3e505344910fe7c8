"""The modelreg server: MLflow's REST wire protocol as an ASGI app (needs the ``server`` extra).

``create_app(settings)`` builds the app; ``modelreg server`` runs it under uvicorn.
"""

from __future__ import annotations

from modelreg.server.app import create_app
from modelreg.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]
