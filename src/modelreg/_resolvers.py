"""Install the client's URI resolvers into the model loaders, on first need.

Local paths load without importing the client (and SQLAlchemy); ``models:/``,
``runs:/``, ``s3://`` and ``mlflow-artifacts:/`` need it, so it is imported then.
"""

from __future__ import annotations

import os

from modelreg.models.resolve import supported_schemes

_CLIENT_SCHEMES = ("models:", "runs:", "s3:", "mlflow-artifacts:")


def ensure_for(uri: str | os.PathLike[str]) -> None:
    if not isinstance(uri, str) or not uri.lower().startswith(_CLIENT_SCHEMES):
        return
    scheme = uri.split(":", 1)[0].lower()
    # Installed on first need; checked against the table itself so a resolver someone
    # unregistered (or replaced) is put back rather than remembered as installed.
    if scheme not in supported_schemes():
        from modelreg.client.model_download import install_resolvers

        install_resolvers()
