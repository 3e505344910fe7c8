"""An artifact repository over a server's artifact proxy, for ``mlflow-artifacts:`` URIs.

``mlflow-artifacts:/<path>`` is served at ``<tracking URI>/api/2.0/mlflow-artifacts/
artifacts/<path>``; a host in the URI (``mlflow-artifacts://host:port/<path>``) takes the
place of the tracking server's, as in MLflow. Files move in chunks both ways (a PUT
streams the local file, a GET is written to disk as it arrives), so memory does not
grow with file size. Paths are checked with the same rules the store uses before any
request is made.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import posixpath
import tempfile
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Final
from urllib.parse import quote, urlsplit

import httpx

from modelreg.artifacts import CHUNK_SIZE, FileInfo, safe_relative_path
from modelreg.client.http import decode_response, unreachable
from modelreg.errors import InvalidArgument, NotFound

PROXY_SCHEME: Final = "mlflow-artifacts:"
_FILES: Final = "/api/2.0/mlflow-artifacts/artifacts"


def _read_file(path: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    with open(path, "rb") as stream:
        while chunk := stream.read(chunk_size):
            yield chunk


class _Download(Iterator[bytes]):
    """The chunks of one streamed GET; closes the response when done or dropped."""

    def __init__(self, response: httpx.Response, chunk_size: int) -> None:
        self._response = response
        self._chunks = response.iter_bytes(chunk_size)

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self._response.close()

    def __enter__(self) -> _Download:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


class HttpArtifactRepository:
    """Files under one ``mlflow-artifacts:`` location, read and written through the proxy.

    Paths given to the methods are relative to that location, as for
    :class:`~modelreg.artifacts.FsspecArtifactStore`, and listings are relative to it too.
    """

    def __init__(self, uri: str, tracking_uri: str, *, http: httpx.Client) -> None:
        if not uri.startswith(PROXY_SCHEME):
            raise InvalidArgument(f"Not an artifact proxy URI: {uri!r}.")
        parts = urlsplit(uri)
        server = tracking_uri.rstrip("/")
        if parts.netloc:
            server = f"{urlsplit(tracking_uri).scheme or 'http'}://{parts.netloc}"
        self._server = server
        self._files = server + _FILES
        self._root = safe_relative_path(parts.path.lstrip("/"))
        self._http = http

    @property
    def root_uri(self) -> str:
        return f"{PROXY_SCHEME}/{self._root}" if self._root else PROXY_SCHEME

    def uri_for(self, rel_path: str = "") -> str:
        rel = self._full(rel_path)
        return f"{PROXY_SCHEME}/{rel}" if rel else PROXY_SCHEME

    def _full(self, rel_path: str) -> str:
        rel = safe_relative_path(rel_path)
        return posixpath.join(self._root, rel) if rel and self._root else rel or self._root

    def _url(self, full: str) -> str:
        return f"{self._files}/{quote(full, safe='/')}"

    def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        try:
            return self._http.send(request, stream=stream)
        except httpx.TransportError as error:
            raise unreachable(self._server, error) from None

    def _check(self, method: str, full: str, response: httpx.Response) -> None:
        if response.status_code != 200:
            response.read()
            decode_response(self._server, method, f"mlflow-artifacts/artifacts/{full}", response)

    # -- writing -------------------------------------------------------------------

    def write_stream(
        self, rel_path: str, chunks: Iterable[bytes], *, size_hint: int | None = None
    ) -> int:
        """PUT the bytes of ``chunks`` at ``rel_path``; returns the bytes sent."""
        full = self._full(rel_path)
        if not full:
            raise InvalidArgument("Invalid path '': a file path is required, not the root")
        sent = 0

        def counted() -> Iterator[bytes]:
            nonlocal sent
            for chunk in chunks:
                sent += len(chunk)
                yield chunk

        headers = {"Content-Type": _media_type(full)}
        if size_hint is not None:
            headers["Content-Length"] = str(size_hint)
        request = self._http.build_request(
            "PUT", self._url(full), content=counted(), headers=headers
        )
        response = self._send(request)
        self._check("PUT", full, response)
        return sent

    def write_file(self, rel_path: str, local_path: str | os.PathLike[str]) -> int:
        """Upload one local file, streamed, to ``rel_path``; returns its size."""
        local = os.fspath(local_path)
        if not os.path.isfile(local):
            raise InvalidArgument(f"Cannot upload {local!r}: not a file")
        return self.write_stream(rel_path, _read_file(local), size_hint=os.path.getsize(local))

    def upload_tree(self, local_dir: str | os.PathLike[str], rel_path: str = "") -> int:
        """Upload every file under ``local_dir`` to ``rel_path``; returns the count.

        As the local store does: names are checked before anything is sent, and a file
        link that points outside ``local_dir`` is refused rather than followed.
        """
        base = os.path.abspath(os.fspath(local_dir))
        if not os.path.isdir(base):
            raise InvalidArgument(f"Cannot upload {base!r}: not a directory")
        rel = safe_relative_path(rel_path)
        real_base = os.path.realpath(base)
        planned = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for name in sorted(filenames):
                local = os.path.join(dirpath, name)
                if not os.path.realpath(local).startswith(real_base + os.sep):
                    raise InvalidArgument(f"Cannot upload {local!r}: it links outside {base!r}")
                if os.path.isfile(local):
                    inner = os.path.relpath(local, base).replace(os.sep, "/")
                    planned.append((safe_relative_path(posixpath.join(rel, inner)), local))
        for target, local in planned:
            self.write_file(target, local)
        return len(planned)

    def delete(self, rel_path: str) -> None:
        full = self._full(rel_path)
        response = self._send(self._http.build_request("DELETE", self._url(full)))
        self._check("DELETE", full, response)

    # -- reading -------------------------------------------------------------------

    def iter_read(self, rel_path: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The file's bytes in chunks. The request is made *now*: a missing file raises here."""
        return self._open(rel_path, chunk_size)

    def _open(self, rel_path: str, chunk_size: int = CHUNK_SIZE) -> _Download:
        full = self._full(rel_path)
        response = self._send(self._http.build_request("GET", self._url(full)), stream=True)
        try:
            self._check("GET", full, response)
        finally:
            if response.status_code != 200:
                response.close()
        return _Download(response, chunk_size)

    def list_dir(self, rel_path: str = "") -> list[FileInfo]:
        """One level of ``rel_path``, sorted; a missing folder, an empty one or a file → []."""
        rel = safe_relative_path(rel_path)
        full = self._full(rel)
        request = self._http.build_request("GET", self._files, params={"path": full})
        response = self._send(request)
        data = decode_response(self._server, "GET", "mlflow-artifacts/artifacts", response)
        infos = []
        for item in data.get("files") or ():
            # The server sends basenames; re-check them before they become local paths.
            name = safe_relative_path(str(item["path"]))
            if not name or "/" in name:
                raise InvalidArgument(f"The server listed an invalid name: {item['path']!r}")
            size = item.get("file_size")
            is_dir = bool(item.get("is_dir"))
            path = posixpath.join(rel, name) if rel else name
            infos.append(FileInfo(path, is_dir, None if is_dir or size is None else int(size)))
        return sorted(infos, key=lambda info: info.path)

    def is_dir(self, rel_path: str) -> bool:
        """Whether ``rel_path`` is a folder with something in it (all the proxy can tell)."""
        return bool(self.list_dir(rel_path))

    def exists(self, rel_path: str) -> bool:
        rel = safe_relative_path(rel_path)
        if not rel:
            return self.is_dir("")
        parent, name = posixpath.split(rel)
        return any(posixpath.basename(f.path) == name for f in self.list_dir(parent))

    def download_tree(self, rel_path: str, local_dir: str | os.PathLike[str]) -> str:
        """Download a file or tree into ``local_dir``; returns the local path.

        As the local store does: a tree's contents land directly in ``local_dir``, a
        single file at ``local_dir/<basename>``, and each file appears atomically.
        """
        rel = safe_relative_path(rel_path)
        base = os.path.abspath(os.fspath(local_dir))
        files = self._tree(rel)
        os.makedirs(base, exist_ok=True)
        if files is None:  # a single file
            target = os.path.join(base, posixpath.basename(rel))
            self._download(rel, target)
            return target
        for inner in files:
            self._download(posixpath.join(rel, inner) if rel else inner, os.path.join(base, inner))
        return base

    def _tree(self, rel: str) -> list[str] | None:
        """Files under ``rel`` (paths inside it), or None when ``rel`` is one file."""
        entries = self.list_dir(rel)
        if not entries:
            if not rel:
                raise NotFound(f"Artifact {self.root_uri!r} not found")
            return None
        files: list[str] = []
        for entry in entries:
            inner = entry.path[len(rel) + 1 :] if rel else entry.path
            if entry.is_dir:
                files += [posixpath.join(inner, f) for f in self._tree(entry.path) or ()]
            else:
                files.append(inner)
        return files

    def _download(self, rel: str, target: str) -> None:
        folder = os.path.dirname(target)
        os.makedirs(folder, exist_ok=True)
        with self._open(rel) as chunks:
            fd, temporary = tempfile.mkstemp(dir=folder, prefix=".modelreg-download-")
            try:
                with os.fdopen(fd, "wb") as out:
                    for chunk in chunks:
                        out.write(chunk)
                os.replace(temporary, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise


def _media_type(path: str) -> str:
    return mimetypes.guess_type(path, strict=False)[0] or "application/octet-stream"


__all__ = ["PROXY_SCHEME", "HttpArtifactRepository"]
