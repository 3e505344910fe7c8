"""Install the client's URI resolvers into the model loaders, on first need.

Local paths load without importing the client (and SQLAlchemy); ``models:/``,
``runs:/``, ``s3://`` and ``mlflow-artifacts:/`` need it, so it is imported then.
"""

from __future__ import annotations

import os

_CLIENT_SCHEMES = ("models:", "runs:", "s3:", "mlflow-artifacts:")
_installed = False


def ensure_for(uri: str | os.PathLike[str]) -> None:
    global _installed
    if _installed or not isinstance(uri, str) or not uri.lower().startswith(_CLIENT_SCHEMES):
        return
    from modelreg.client.model_download import install_resolvers

    install_resolvers()
    _installed = True
