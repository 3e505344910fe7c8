"""Artifact repositories the client reads and writes, chosen by URI scheme.

A local folder or ``s3://`` location is opened directly with the fsspec store;
``mlflow-artifacts:`` locations go through a server's artifact proxy.
"""

from __future__ import annotations

from collections.abc import Callable

from modelreg.artifacts import ArtifactStore, open_artifact_store
from modelreg.errors import InvalidArgument

PROXY_SCHEME = "mlflow-artifacts:"

# Set by the HTTP transport: builds a repository over the server's artifact proxy.
ProxyFactory = Callable[[str], ArtifactStore]
_proxy_factories: dict[str, ProxyFactory] = {}


def register_proxy(tracking_uri: str, factory: ProxyFactory) -> None:
    _proxy_factories[tracking_uri] = factory


def repository_for(uri: str, tracking_uri: str | None = None) -> ArtifactStore:
    """The artifact repository holding ``uri`` (a folder, bucket prefix or proxy path)."""
    if uri.startswith(PROXY_SCHEME):
        factory = _proxy_factories.get(tracking_uri or "")
        if factory is None:
            raise InvalidArgument(
                f"{uri!r} is served by a modelreg or MLflow server's artifact proxy; set the "
                "tracking URI to that server (http://host:port) to read or write it."
            )
        return factory(uri)
    return open_artifact_store(uri)
