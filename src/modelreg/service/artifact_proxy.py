"""The artifact proxy's use cases: files under the server's artifacts destination.

Clients name files by paths relative to the destination (``mlflow-artifacts:/<path>``).
Every path is checked by :func:`~modelreg.artifacts.safe_relative_path` before anything
touches storage (security-checklist T-09/T-10): the transport decodes a URL once, and
whatever still looks like traversal after that is refused, never repaired.

Two rules are modelreg's own, on the registry's copies of model versions
(``_registry/<uuid>/``):

* They are never reached directly: not read, not listed, not written, not deleted.
  A version's files are served at ``_model-versions/<name>/<version>/…``, which is
  resolved through the version row on every request, so a deleted version's files
  are gone at once (and a copy's id is nobody's business). The root listing leaves
  ``_registry`` out.
* They cannot be changed through the proxy at all (``_model-versions/`` is
  read-only): manifests are checked on load, but a version must not be breakable
  by a PUT or DELETE in the first place.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Iterator
from typing import Final, Protocol, runtime_checkable

from modelreg.artifacts import ArtifactStore, FileInfo, Upload, safe_relative_path
from modelreg.errors import InvalidArgument, NotFound, PermissionDenied
from modelreg.service.snapshots import REGISTRY_PREFIX, VERSIONS_PREFIX

_HIDDEN: Final = REGISTRY_PREFIX
_READ_ONLY: Final = (REGISTRY_PREFIX, VERSIONS_PREFIX)

# (model name, version text) -> the version's copy, ``_registry/<uuid>``; NotFound if none.
VersionFiles = Callable[[str, str], str]


def _under(rel: str, prefix: str) -> bool:
    return rel == prefix or rel.startswith(prefix + "/")


@runtime_checkable
class _PieceWiseStore(Protocol):
    def open_write(self, rel_path: str, *, size_hint: int | None = None) -> Upload: ...


class ArtifactProxy:
    """Read, write, list and delete files of one artifact store by relative path."""

    def __init__(self, store: ArtifactStore, version_files: VersionFiles | None = None) -> None:
        self.store = store
        self.version_files = version_files

    def _readable(self, path: str) -> str:
        """The store path behind a proxy path; registry copies only through a version."""
        rel = safe_relative_path(path)
        if _under(rel, _HIDDEN):
            raise NotFound(f"Artifact {rel!r} not found")
        if _under(rel, VERSIONS_PREFIX):
            name, _, rest = rel.removeprefix(VERSIONS_PREFIX).lstrip("/").partition("/")
            version, _, inner = rest.partition("/")
            if not name or not version or self.version_files is None:
                raise NotFound(f"Artifact {rel!r} not found")
            return posixpath.join(self.version_files(name, version), inner).rstrip("/")
        return rel

    def read(self, path: str) -> Iterator[bytes]:
        """The file's bytes in chunks; opened now, so a missing file raises ``NotFound`` here."""
        return self.store.iter_read(self._readable(path))

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
        """One level of ``path``; a missing folder, an empty one or a file lists as ``[]``.

        Entries keep the path that was asked for: a version's files list under
        ``_model-versions/<name>/<version>/``, never under their copy's id.
        """
        rel = safe_relative_path(path)
        try:
            target = self._readable(rel)
        except NotFound:
            return []
        found = self.store.list_dir(target)
        if target != rel:
            found = [_renamed(info, target, rel) for info in found]
        if not rel:
            found = [info for info in found if info.path != _HIDDEN]
        return found

    def delete(self, path: str) -> None:
        """Delete a file or a folder tree; deleting what is not there does nothing."""
        self.store.delete(_writable(path))


def _renamed(info: FileInfo, actual: str, shown: str) -> FileInfo:
    inner = info.path.removeprefix(actual).lstrip("/")
    return FileInfo(posixpath.join(shown, inner), info.is_dir, info.file_size)


def _writable(path: str) -> str:
    rel = safe_relative_path(path)
    if any(_under(rel, prefix) for prefix in _READ_ONLY):
        raise PermissionDenied(
            f"{rel!r} is part of the registry's copy of a model version, which cannot be "
            "changed or deleted through the artifact proxy."
        )
    return rel
