"""The artifact proxy's use cases: files under the server's artifacts destination.

Clients name files by paths relative to the destination (``mlflow-artifacts:/<path>``).
Every path is checked by :func:`~modelreg.artifacts.safe_relative_path` before anything
touches storage (security-checklist T-09/T-10): the transport decodes a URL once, and
whatever still looks like traversal after that is refused, never repaired.

One rule is modelreg's own: the registry's copies of model versions (``_registry/``)
are read-only through the proxy. Their manifests are checked on load, but a version
must not be breakable by a PUT or DELETE in the first place.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final, Protocol, runtime_checkable

from modelreg.artifacts import ArtifactStore, FileInfo, Upload, safe_relative_path
from modelreg.errors import InvalidArgument, PermissionDenied
from modelreg.service.snapshots import REGISTRY_PREFIX

_READ_ONLY: Final = REGISTRY_PREFIX


@runtime_checkable
class _PieceWiseStore(Protocol):
    def open_write(self, rel_path: str, *, size_hint: int | None = None) -> Upload: ...


class ArtifactProxy:
    """Read, write, list and delete files of one artifact store by relative path."""

    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    def read(self, path: str) -> Iterator[bytes]:
        """The file's bytes in chunks; opened now, so a missing file raises ``NotFound`` here."""
        return self.store.iter_read(safe_relative_path(path))

    def write(self, path: str, chunks: Iterable[bytes], size_hint: int | None = None) -> int:
        """Store ``chunks`` at ``path`` (all or nothing); returns the bytes written."""
        return self.store.write_stream(_writable(path), chunks, size_hint=size_hint)

    def open_write(self, path: str, size_hint: int | None = None) -> Upload:
        """Start storing a file at ``path`` piece by piece; it appears on ``commit()``."""
        store = self.store
        if not isinstance(store, _PieceWiseStore):
            raise InvalidArgument("This artifact store cannot take uploads piece by piece.")
        return store.open_write(_writable(path), size_hint=size_hint)

    def list(self, path: str = "") -> list[FileInfo]:
        """One level of ``path``; a missing folder, an empty one or a file lists as ``[]``."""
        return self.store.list_dir(safe_relative_path(path))

    def delete(self, path: str) -> None:
        """Delete a file or a folder tree; deleting what is not there does nothing."""
        self.store.delete(_writable(path))


def _writable(path: str) -> str:
    rel = safe_relative_path(path)
    if rel == _READ_ONLY or rel.startswith(_READ_ONLY + "/"):
        raise PermissionDenied(
            f"{rel!r} is part of the registry's copy of a model version, which cannot be "
            "changed or deleted through the artifact proxy."
        )
    return rel
