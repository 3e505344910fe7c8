"""Artifact repositories the client reads and writes, chosen by URI scheme.

A local folder or ``s3://`` location is opened directly with the fsspec store;
``mlflow-artifacts:`` locations go through a server's artifact proxy, with the
repository factory the HTTP ``MlflowClient`` registers for its tracking URI.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Protocol

from modelreg.artifacts import CHUNK_SIZE, FileInfo, open_artifact_store
from modelreg.errors import InvalidArgument

PROXY_SCHEME = "mlflow-artifacts:"


class ArtifactRepository(Protocol):
    """What the client needs of a place that holds artifacts (a store, or the proxy).

    Paths are relative to the repository's location; :class:`~modelreg.artifacts.
    FsspecArtifactStore` and :class:`~modelreg.client.http_artifacts.
    HttpArtifactRepository` both provide it.
    """

    def write_file(self, rel_path: str, local_path: str | os.PathLike[str]) -> int: ...

    def upload_tree(self, local_dir: str | os.PathLike[str], rel_path: str = "") -> int: ...

    def list_dir(self, rel_path: str = "") -> list[FileInfo]: ...

    def is_dir(self, rel_path: str) -> bool: ...

    def exists(self, rel_path: str) -> bool: ...

    def iter_read(self, rel_path: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]: ...

    def download_tree(self, rel_path: str, local_dir: str | os.PathLike[str]) -> str: ...


# Set by the HTTP transport: builds a repository over the server's artifact proxy.
ProxyFactory = Callable[[str], ArtifactRepository]
_proxy_factories: dict[str, ProxyFactory] = {}


def register_proxy(tracking_uri: str, factory: ProxyFactory) -> None:
    _proxy_factories[tracking_uri] = factory


def repository_for(uri: str, tracking_uri: str | None = None) -> ArtifactRepository:
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
