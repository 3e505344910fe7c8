"""The modelreg server: MLflow's REST wire protocol as an ASGI app (needs the ``server`` extra).

``create_app(settings)`` builds the app; ``modelreg server`` runs it under uvicorn.
``create_app`` is imported on first use: the server's supervisor process imports this
package but never builds an app, and stays without the service layer
(:mod:`modelreg.server.preflight`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelreg.server.settings import ServerSettings

if TYPE_CHECKING:
    from modelreg.server.app import create_app


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from modelreg.server.app import create_app

        return create_app
    raise AttributeError(f"module 'modelreg.server' has no attribute {name!r}")


__all__ = ["ServerSettings", "create_app"]
