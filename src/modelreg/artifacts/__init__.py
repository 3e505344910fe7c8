"""Artifact storage: where model files live, local or on S3-compatible object stores.

Layer rule: this package uses only the standard library, fsspec/s3fs (imported when a
store is opened, so ``import modelreg.artifacts`` stays cheap) and the pure core
(``modelreg.errors``, and ``FileInfo`` from ``modelreg.tracking_entities``).
It knows nothing of the database, the service or the client.
"""

from __future__ import annotations

from typing import Any

from modelreg.artifacts.paths import (
    SUPPORTED_STORE_URIS,
    join_under,
    safe_relative_path,
)
from modelreg.artifacts.store import (
    CHUNK_SIZE,
    ArtifactStore,
    FileInfo,
    FsspecArtifactStore,
    Upload,
)


def open_artifact_store(uri: str, **storage_options: Any) -> ArtifactStore:
    """Open the artifact store at ``uri``.

    Supported: a local path, ``file:///absolute/path`` and ``s3://bucket/prefix``.
    Any other scheme raises ``InvalidArgument`` naming these. ``storage_options`` are
    passed to the S3 filesystem (endpoint and credentials otherwise come from the
    standard AWS variables or ``MLFLOW_S3_ENDPOINT_URL``).
    """
    # One implementation serves every supported scheme today; the URI is validated
    # (scheme included) by the store itself, so a new backend only changes this line.
    return FsspecArtifactStore(uri, **storage_options)


__all__ = [
    "CHUNK_SIZE",
    "SUPPORTED_STORE_URIS",
    "ArtifactStore",
    "FileInfo",
    "FsspecArtifactStore",
    "Upload",
    "join_under",
    "open_artifact_store",
    "safe_relative_path",
]
