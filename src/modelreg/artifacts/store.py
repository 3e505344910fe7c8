"""The artifact store: one protocol, one fsspec-backed implementation.

:class:`FsspecArtifactStore` serves a local folder (a plain path or ``file://``) and
S3-compatible buckets (``s3://bucket/prefix`` through s3fs). Every path it takes is
relative to the store root and goes through :func:`safe_relative_path` first.

Three promises hold for both backends:

- **Streaming.** Data moves in chunks (1 MiB by default); memory does not grow with
  artifact size.
- **No half-written files.** A local write goes to a temporary file in the target
  directory and is renamed into place; an S3 write becomes visible only when the
  upload completes, and a failed multipart upload is aborted.
- **Errors from our own tree.** Missing paths raise ``NotFound``, misuse raises
  ``InvalidArgument``, an S3 object replaced while being read raises ``Conflict``,
  and backend or network failures raise ``TemporarilyUnavailable`` (the original
  exception stays chained for the logs).

fsspec and s3fs are imported when a store is built, so importing this module is cheap.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import posixpath
import secrets
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, Self

from modelreg.artifacts.paths import parse_store_uri, safe_relative_path
from modelreg.errors import (
    Conflict,
    InvalidArgument,
    Misconfigured,
    NotFound,
    RegistryError,
    TemporarilyUnavailable,
)
from modelreg.tracking_entities import FileInfo  # pure core: the Tracking Protocol returns it

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

CHUNK_SIZE = 1 << 20
# S3 multipart part size, boto3's default. s3fs holds a part and a copy or two of it
# while sending, so this bounds upload memory (~30 MiB measured). With S3's
# 10,000-part limit it allows ~78 GiB per object; larger parts are used when the
# size is known in advance (write_file, or write_stream's size_hint).
_S3_WRITE_BLOCK = 8 << 20
_S3_MAX_PARTS = 10_000
# A GET cut off mid-stream is resumed at the offset reached, this many times.
_S3_READ_RESUMES = 3
# Local temporary files start with this and are hidden from listings and trees.
_TMP_PREFIX = ".modelreg-tmp-"
# Exceptions from these packages are transport or service failures, not our bugs.
_BACKEND_PACKAGES = frozenset({"aiobotocore", "aiohttp", "botocore", "fsspec", "s3fs", "urllib3"})

_Guard = Callable[[], contextlib.AbstractContextManager[None]]


class ArtifactStore(Protocol):
    """What the service needs from an artifact store. Paths are relative to the root."""

    @property
    def root_uri(self) -> str: ...

    def write_stream(
        self, rel_path: str, chunks: Iterable[bytes], *, size_hint: int | None = None
    ) -> int: ...

    def write_file(self, rel_path: str, local_path: str | os.PathLike[str]) -> int: ...

    def open_read(self, rel_path: str) -> BinaryIO: ...

    def iter_read(self, rel_path: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]: ...

    def list_dir(self, rel_path: str = "") -> list[FileInfo]: ...

    def exists(self, rel_path: str) -> bool: ...

    def is_dir(self, rel_path: str) -> bool: ...

    def size(self, rel_path: str) -> int: ...

    def delete(self, rel_path: str) -> None: ...

    def copy_tree(self, src_rel: str, dst_rel: str) -> int: ...

    def download_tree(self, rel_path: str, local_dir: str | os.PathLike[str]) -> str: ...

    def upload_tree(self, local_dir: str | os.PathLike[str], rel_path: str = "") -> int: ...

    def sha256_tree(self, rel_path: str = "") -> dict[str, str]: ...

    def usage(self, rel_path: str) -> tuple[int, int]: ...

    def uri_for(self, rel_path: str = "") -> str: ...


def _is_backend_error(exc: BaseException) -> bool:
    return any(cls.__module__.partition(".")[0] in _BACKEND_PACKAGES for cls in type(exc).__mro__)


_DENIED_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
_DENIED_S3_CODES = frozenset({"AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId"})


def _is_denied(exc: BaseException) -> bool:
    """Whether ``exc`` says the server may not do this at all (not a passing failure)."""
    if isinstance(exc, PermissionError):
        return True
    if isinstance(exc, OSError) and exc.errno in _DENIED_ERRNOS:
        return True
    return _s3_error_code(exc) in _DENIED_S3_CODES


def _describe(exc: BaseException) -> str:
    # strerror leaves out the filename, so server paths do not reach API clients.
    if isinstance(exc, OSError) and exc.strerror:
        text = str(exc.strerror)
    else:
        text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _read_chunks(stream: BinaryIO, chunk_size: int) -> Iterator[bytes]:
    while chunk := stream.read(chunk_size):
        yield chunk


class Upload(Protocol):
    """A file being written piece by piece; it appears at its path only on :meth:`commit`."""

    def write(self, chunk: bytes) -> None: ...

    def commit(self) -> int: ...

    def abort(self) -> None: ...


class _GuardedUpload:
    """An open file being written; backend failures become our errors and abort it.

    ``guard`` wraps our own I/O calls. Subclasses say how the bytes are finished
    (``_finish``: made visible at the path) and how they are thrown away (``abort``).
    """

    def __init__(self, out: Any, guard: _Guard) -> None:
        self._out = out
        self._guard = guard
        self._total = 0

    def write(self, chunk: bytes) -> None:
        try:
            with self._guard():
                self._out.write(chunk)
        except BaseException:
            self.abort()
            raise
        self._total += len(chunk)

    def commit(self) -> int:
        try:
            with self._guard():
                self._finish()
        except BaseException:
            self.abort()
            raise
        return self._total

    def _finish(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError


class _LocalUpload(_GuardedUpload):
    """A local file written to a temporary sibling, fsync'd, and renamed into place."""

    def __init__(self, target: str, guard: _Guard) -> None:
        self._target = target
        self._parent = os.path.dirname(target)
        with guard():
            os.makedirs(self._parent, exist_ok=True)
            self._tmp = os.path.join(self._parent, _TMP_PREFIX + secrets.token_hex(8))
            # O_EXCL against a planted file; mode 0o666 so the umask decides, as for
            # any other file the server creates (mkstemp would force 0o600).
            fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        super().__init__(os.fdopen(fd, "wb"), guard)

    def _finish(self) -> None:
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        os.replace(self._tmp, self._target)
        dir_fd = os.open(self._parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename itself durable
        finally:
            os.close(dir_fd)

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._out.close()
        with contextlib.suppress(OSError):
            os.unlink(self._tmp)


class _RemoteUpload(_GuardedUpload):
    """An fsspec file opened for writing; an S3 upload completes only on close."""

    def _finish(self) -> None:
        self._out.close()

    def abort(self) -> None:
        _discard_upload(self._out)


def _write_all(upload: Upload, chunks: Iterable[bytes]) -> int:
    """Every chunk, then commit; an exception from ``chunks`` aborts and propagates unchanged."""
    try:
        for chunk in chunks:
            upload.write(chunk)
    except BaseException:
        upload.abort()
        raise
    return upload.commit()


def _atomic_local_write(target: str, chunks: Iterable[bytes], guard: _Guard) -> int:
    """Write ``chunks`` to ``target`` through a temporary sibling and an atomic rename."""
    return _write_all(_LocalUpload(target, guard), chunks)


def _part_size(size_hint: int | None) -> int:
    """S3 part size for an upload of ``size_hint`` bytes (unknown: the default)."""
    if size_hint is None:
        return _S3_WRITE_BLOCK
    # One part of slack: the last part may be short.
    return max(_S3_WRITE_BLOCK, -(-size_hint // (_S3_MAX_PARTS - 1)))


def _discard_upload(out: Any) -> None:
    # s3fs's discard() aborts the multipart upload; marking the file closed stops
    # fsspec's close()/__del__ from completing the upload we just gave up on.
    with contextlib.suppress(Exception):
        discard = getattr(out, "discard", None)
        if callable(discard):
            discard()
    with contextlib.suppress(Exception):
        out.closed = True


class _GuardedReader(io.RawIOBase):
    """Raw reader over a backend file that turns backend errors into ours."""

    def __init__(self, inner: Any, guard: _Guard) -> None:
        super().__init__()
        self._inner = inner
        self._guard = guard

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        with self._guard():
            return int(self._inner.readinto(buffer))

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        with self._guard():
            return int(self._inner.seek(offset, whence))

    def tell(self) -> int:
        with self._guard():
            return int(self._inner.tell())

    def close(self) -> None:
        if not self.closed:
            with contextlib.suppress(Exception):
                self._inner.close()
        super().close()


def _s3_error_code(exc: BaseException) -> str | None:
    # s3fs turns botocore's ClientError into OSError and chains the original.
    response = getattr(exc.__cause__, "response", None)
    if not isinstance(response, dict):
        return None
    code = response.get("Error", {}).get("Code")
    return str(code) if code is not None else None


class _S3Object:
    """Reads one S3 object through a single streaming GET.

    s3fs's file objects issue one ranged GET per block; a registry reads whole
    files front to back, so one request per file is both faster (no per-block
    round trip) and leaner (no block cache). A seek re-issues the GET from the new
    offset. Every GET after the first carries ``If-Match`` with the first ETag, so
    an object replaced mid-read fails instead of mixing two versions.
    """

    def __init__(self, fs: Any, path: str) -> None:
        from fsspec.asyn import sync

        self._fs = fs
        self._sync = sync
        self._bucket, self._key, _ = fs.split_path(path)
        self._pos = 0
        self._size = 0
        self._etag: str | None = None
        self._body: Any = None
        self._open()  # now, so a missing object raises before the first read

    def _open(self) -> None:
        kwargs: dict[str, str] = {"Bucket": self._bucket, "Key": self._key}
        if self._pos:
            kwargs["Range"] = f"bytes={self._pos}-"
        if self._etag is not None:
            kwargs["IfMatch"] = self._etag
        try:
            response = self._fs.call_s3("get_object", **kwargs)
        except OSError as exc:
            if self._etag is not None and _s3_error_code(exc) in ("PreconditionFailed", "412"):
                raise Conflict(
                    "The artifact was replaced while it was being read; read it again"
                ) from exc
            raise
        self._body = response["Body"]
        if self._etag is None:
            self._etag = response.get("ETag")
            self._size = int(response["ContentLength"])

    def _close_body(self) -> None:
        body, self._body = self._body, None
        if body is not None:
            with contextlib.suppress(Exception):
                # On fsspec's loop: the connection belongs to that thread.
                self._sync(self._fs.loop, body.aclose)

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        if not len(view) or self._pos >= self._size:
            return 0
        resumes = 0
        while True:
            if self._body is None:
                self._open()
            try:
                count = int(self._sync(self._fs.loop, self._body.readinto, view))
            except Exception as exc:
                self._close_body()
                transient = isinstance(exc, OSError) or _is_backend_error(exc)
                if not transient or resumes >= _S3_READ_RESUMES:
                    raise
                resumes += 1
                continue
            self._pos += count
            return count

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}
        target = base[whence] + offset
        if target < 0:
            raise ValueError(f"negative seek position {target}")
        if target != self._pos:
            self._close_body()
            self._pos = target
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._close_body()


class _ChunkIterator(Iterator[bytes]):
    """Chunks of an already opened artifact; closes it when exhausted or dropped."""

    def __init__(self, reader: BinaryIO, chunk_size: int) -> None:
        self._reader = reader
        self._chunk_size = chunk_size

    def __next__(self) -> bytes:
        if self._reader.closed:
            raise StopIteration
        try:
            chunk = self._reader.read(self._chunk_size)
        except BaseException:
            self.close()
            raise
        if not chunk:
            self.close()
            raise StopIteration
        return chunk

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        # A web response dropped by a disconnecting client never exhausts us.
        self.close()


def _s3_options(storage_options: dict[str, Any]) -> dict[str, Any]:
    options = dict(storage_options)
    client_kwargs = dict(options.get("client_kwargs") or {})
    if not (options.get("endpoint_url") or client_kwargs.get("endpoint_url")):
        # MLflow's variable first, so an MLflow deployment works unchanged.
        for name in (
            "MLFLOW_S3_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_S3",
            "AWS_ENDPOINT_URL",
        ):
            if os.environ.get(name):
                options["endpoint_url"] = os.environ[name]
                break
    if os.environ.get("MLFLOW_S3_IGNORE_TLS", "").lower() == "true":
        client_kwargs.setdefault("verify", False)
    if client_kwargs:
        options["client_kwargs"] = client_kwargs
    # Other replicas write to the same bucket: a cached listing would hide their files.
    options.setdefault("use_listings_cache", False)
    return options


def _make_filesystem(scheme: str, storage_options: dict[str, Any]) -> Any:
    if scheme == "file":
        if storage_options:
            raise InvalidArgument("Local artifact stores take no storage options")
        from fsspec.implementations.local import LocalFileSystem

        return LocalFileSystem()
    try:
        import s3fs
    except ImportError as exc:
        raise InvalidArgument(
            "s3:// artifact stores need s3fs: pip install 'modelreg[s3]'"
        ) from exc
    return s3fs.S3FileSystem(**_s3_options(storage_options))


class FsspecArtifactStore:
    """An :class:`ArtifactStore` over fsspec: a local folder or ``s3://bucket/prefix``.

    ``storage_options`` go to ``s3fs.S3FileSystem`` (``key``, ``secret``,
    ``endpoint_url``, ``client_kwargs``, ...). Without an explicit endpoint,
    ``MLFLOW_S3_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` is
    used; credentials come from the usual AWS sources.

    In a local store, symbolic links are never followed out of the root, and links
    and special files are left out of listings and trees.
    """

    def __init__(self, root_uri: str, **storage_options: Any) -> None:
        scheme, root = parse_store_uri(root_uri)
        self._local = scheme == "file"
        self._root = root
        self._fs = _make_filesystem(scheme, storage_options)
        # Asked on every registration (is the source inside this store?): built once.
        self._root_uri = self.uri_for("")

    # -- paths ---------------------------------------------------------------------

    @property
    def root_uri(self) -> str:
        return self._root_uri

    def __repr__(self) -> str:
        # Never the storage options: they may hold credentials.
        return f"FsspecArtifactStore({self.root_uri!r})"

    def uri_for(self, rel_path: str = "") -> str:
        """The absolute URI of ``rel_path`` in this store."""
        _, full = self._resolve(rel_path)
        return Path(full).as_uri() if self._local else f"s3://{full}"

    def _join(self, rel: str) -> str:
        return f"{self._root.rstrip('/')}/{rel}" if rel else self._root

    def _contained(self, full: str) -> bool:
        root = os.path.realpath(self._root)
        real = os.path.realpath(full)
        return real == root or real.startswith(root.rstrip("/") + "/")

    def _resolve(self, rel_path: str) -> tuple[str, str]:
        rel = safe_relative_path(rel_path)
        full = self._join(rel)
        # The root contains itself: no need to resolve links (two realpath calls, each
        # a few system calls, on every registration's source check).
        if rel and self._local and not self._contained(full):
            raise InvalidArgument(
                f"Invalid path {rel!r}: a symbolic link leads out of the artifact root"
            )
        return rel, full

    def _resolve_file(self, rel_path: str) -> tuple[str, str]:
        rel, full = self._resolve(rel_path)
        if not rel:
            raise InvalidArgument("Invalid path '': a file path is required, not the root")
        return rel, full

    def _relative(self, name: str) -> str | None:
        """Store-relative form of a backend name, or None if it is not a safe one."""
        prefix = self._root.rstrip("/") + "/"
        if not name.startswith(prefix):
            return None
        rel = name[len(prefix) :]
        try:
            return rel if safe_relative_path(rel) == rel else None
        except InvalidArgument:
            return None

    # -- errors --------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(
        self, action: str, rel: str, *, missing_is_not_found: bool = True
    ) -> Iterator[None]:
        try:
            yield
        except RegistryError:
            raise
        except FileNotFoundError as exc:
            if missing_is_not_found:
                raise NotFound(f"Artifact {rel!r} not found") from exc
            raise TemporarilyUnavailable(
                f"{self._describe_store()} could not {action} {rel!r}: "
                "its bucket or root directory is missing"
            ) from exc
        except (IsADirectoryError, NotADirectoryError, FileExistsError) as exc:
            what = (
                "it is a directory" if isinstance(exc, IsADirectoryError) else "a parent is a file"
            )
            raise InvalidArgument(f"Cannot {action} artifact {rel!r}: {what}") from exc
        except Exception as exc:
            if not (isinstance(exc, OSError) or _is_backend_error(exc)):
                raise
            if _is_denied(exc):
                # Permissions do not fix themselves: a 500 naming the cause, not a 503
                # that makes clients retry for minutes with no hint.
                raise Misconfigured(
                    f"{self._describe_store()} may not {action} {rel!r} "
                    f"({type(exc).__name__}: {_describe(exc)}): the server is not allowed "
                    "to write to its artifacts destination; an operator must fix its "
                    "permissions."
                ) from exc
            raise TemporarilyUnavailable(
                f"{self._describe_store()} could not {action} {rel!r} "
                f"({type(exc).__name__}: {_describe(exc)}); retry later"
            ) from exc

    def _describe_store(self) -> str:
        # The bucket helps an operator; a server's local directory is nobody's business.
        return "The local artifact store" if self._local else f"Artifact store {self.root_uri}"

    def _guard(self, action: str, rel: str, *, missing_is_not_found: bool = True) -> _Guard:
        return lambda: self._errors(action, rel, missing_is_not_found=missing_is_not_found)

    def _info(self, rel: str, full: str) -> dict[str, Any] | None:
        with self._errors("inspect", rel):
            try:
                return dict(self._fs.info(full))
            except FileNotFoundError:
                return None

    # -- writing -------------------------------------------------------------------

    def write_stream(
        self, rel_path: str, chunks: Iterable[bytes], *, size_hint: int | None = None
    ) -> int:
        """Store the bytes of ``chunks`` at ``rel_path``; returns the bytes written.

        All or nothing: if ``chunks`` raises or the backend fails, no file (or the
        previous version of it) is left at ``rel_path``. ``size_hint`` (a request's
        Content-Length, say) lets S3 uploads beyond ~78 GiB pick larger parts.
        """
        return self._write(rel_path, chunks, size_hint=size_hint)

    def write_file(self, rel_path: str, local_path: str | os.PathLike[str]) -> int:
        """Upload a local file to ``rel_path``, streaming; returns the bytes written."""
        local = os.fspath(local_path)
        if not os.path.isfile(local):
            raise InvalidArgument(f"Cannot upload {local!r}: not a file")
        with open(local, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            return self._write(rel_path, _read_chunks(stream, CHUNK_SIZE), size_hint=size)

    def open_write(self, rel_path: str, *, size_hint: int | None = None) -> Upload:
        """Start writing ``rel_path`` piece by piece (all or nothing, as ``write_stream``).

        For a caller that receives the bytes over time (the server's upload route):
        nothing holds a thread between two pieces.
        """
        rel, full = self._resolve_file(rel_path)
        guard = self._guard("write", rel, missing_is_not_found=False)
        if self._local:
            return _LocalUpload(full, guard)
        with guard():
            return _RemoteUpload(self._fs.open(full, "wb", block_size=_part_size(size_hint)), guard)

    def _write(self, rel_path: str, chunks: Iterable[bytes], size_hint: int | None) -> int:
        return _write_all(self.open_write(rel_path, size_hint=size_hint), chunks)

    # -- reading -------------------------------------------------------------------

    def open_read(self, rel_path: str) -> BinaryIO:
        """Open a stored file for binary reading; missing → ``NotFound``."""
        rel, full = self._resolve_file(rel_path)
        guard = self._guard("read", rel)
        with guard():
            if self._local:
                inner: Any = open(full, "rb")  # closed by the returned reader
            else:
                try:
                    inner = _S3Object(self._fs, full)
                except FileNotFoundError:
                    if self._fs.isdir(full):
                        raise IsADirectoryError(full) from None
                    raise
        return io.BufferedReader(_GuardedReader(inner, guard))

    def iter_read(self, rel_path: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """Iterate over a stored file in chunks.

        The file is opened *now*, so ``NotFound`` is raised by this call, before a
        web response has started; the iterator closes it when exhausted or dropped.
        """
        return self._chunks(rel_path, chunk_size)

    def _chunks(self, rel_path: str, chunk_size: int = CHUNK_SIZE) -> _ChunkIterator:
        if chunk_size <= 0:
            raise InvalidArgument(f"chunk_size must be positive, got {chunk_size}")
        return _ChunkIterator(self.open_read(rel_path), chunk_size)

    # -- inspecting ----------------------------------------------------------------

    def list_dir(self, rel_path: str = "") -> list[FileInfo]:
        """One level of ``rel_path``, sorted by path; missing, empty or a file → ``[]``.

        Names that are not safe artifact paths (an S3 key like ``a/../b`` written by
        another tool) are left out: nothing could read them through this store.
        """
        rel, full = self._resolve(rel_path)
        with self._errors("list", rel):
            try:
                entries = self._fs.ls(full, detail=True)
            except (FileNotFoundError, NotADirectoryError):
                return []
        infos = []
        for entry in entries:
            name = str(entry["name"]).rstrip("/")
            kind = entry.get("type")
            # A file lists as itself; an S3 directory marker lists as its own dir.
            if name == full or kind not in ("file", "directory"):
                continue
            child = self._relative(name)
            if child is None or posixpath.basename(child).startswith(_TMP_PREFIX):
                continue
            is_dir = kind == "directory"
            infos.append(FileInfo(child, is_dir, None if is_dir else int(entry["size"])))
        return sorted(infos, key=lambda info: info.path)

    def exists(self, rel_path: str) -> bool:
        """Whether ``rel_path`` is a file or a directory (on S3: a non-empty prefix)."""
        # Not fs.exists(): fsspec's default swallows every error, so an unreachable
        # store would look empty instead of unavailable.
        rel, full = self._resolve(rel_path)
        return self._info(rel, full) is not None

    def is_dir(self, rel_path: str) -> bool:
        rel, full = self._resolve(rel_path)
        info = self._info(rel, full)
        return info is not None and info["type"] == "directory"

    def size(self, rel_path: str) -> int:
        """Size in bytes of a stored file; missing → ``NotFound``."""
        rel, full = self._resolve_file(rel_path)
        info = self._info(rel, full)
        if info is None:
            raise NotFound(f"Artifact {rel!r} not found")
        if info["type"] != "file":
            raise InvalidArgument(f"Cannot size artifact {rel!r}: it is a directory")
        return int(info["size"])

    # -- trees ---------------------------------------------------------------------

    def _tree(self, rel: str, full: str) -> tuple[bool, list[tuple[str, str]]]:
        """``(is_file, [(path inside the tree, store-relative path), ...])``, sorted."""
        info = self._info(rel, full)
        if info is None:
            raise NotFound(f"Artifact {rel!r} not found")
        if info["type"] == "file":
            return True, [(posixpath.basename(rel), rel)]
        with self._errors("list", rel):
            found = self._fs.find(full, withdirs=False, detail=True)
        files = []
        for name, entry in sorted(found.items()):
            # A key ending in '/' is a directory marker some S3 tools create.
            if entry.get("type") != "file" or str(name).endswith("/"):
                continue
            child = self._relative(str(name))
            if child is None:
                # Refuse rather than skip: a manifest or a copy must be complete.
                raise InvalidArgument(f"Artifact tree {rel!r} holds an unsafe name: {name!r}")
            if posixpath.basename(child).startswith(_TMP_PREFIX):
                continue
            files.append((child[len(rel) + 1 :] if rel else child, child))
        return False, files

    def usage(self, rel_path: str) -> tuple[int, int]:
        """``(files, bytes)`` of a file or tree, from one listing (nothing is read)."""
        rel, full = self._resolve(rel_path)
        info = self._info(rel, full)
        if info is None:
            raise NotFound(f"Artifact {rel!r} not found")
        if info["type"] == "file":
            return 1, int(info["size"])
        with self._errors("list", rel):
            found = self._fs.find(full, withdirs=False, detail=True)
        files = [
            entry
            for name, entry in found.items()
            if entry.get("type") == "file"
            and not str(name).endswith("/")
            and not posixpath.basename(str(name)).startswith(_TMP_PREFIX)
        ]
        return len(files), sum(int(entry.get("size") or 0) for entry in files)

    def delete(self, rel_path: str) -> None:
        """Delete a file or a directory tree; deleting a missing path does nothing."""
        rel, full = self._resolve(rel_path)
        if not rel:
            raise InvalidArgument("Refusing to delete the artifact store root")
        info = self._info(rel, full)
        if info is None:
            return
        with self._errors("delete", rel):
            # Local rm uses shutil.rmtree, which removes links without following them.
            self._fs.rm(full, recursive=info["type"] == "directory")

    def copy_tree(self, src_rel: str, dst_rel: str) -> int:
        """Copy a file or tree within the store; returns the number of files copied.

        On S3 each file is copied server-side (no bytes pass through this process).
        """
        src, src_full = self._resolve(src_rel)
        dst, _ = self._resolve(dst_rel)
        if src == dst or not src or dst.startswith(src + "/"):
            raise InvalidArgument(
                f"Cannot copy {src!r} to {dst!r}: the destination is inside the source"
            )
        is_file, files = self._tree(src, src_full)
        if is_file:
            files = [("", src)]
        for inner, store_rel in files:
            target_rel, target = self._resolve_file(posixpath.join(dst, inner) if inner else dst)
            if self._local:
                with self._chunks(store_rel) as chunks:
                    _atomic_local_write(target, chunks, self._guard("copy", target_rel))
            else:
                with self._errors("copy", store_rel):
                    self._fs.cp_file(self._join(store_rel), target)
        return len(files)

    def download_tree(self, rel_path: str, local_dir: str | os.PathLike[str]) -> str:
        """Download a file or tree into ``local_dir``; returns the local path.

        A tree's contents land directly in ``local_dir``; a single file lands at
        ``local_dir/<basename>``. Each file appears atomically.
        """
        rel, full = self._resolve(rel_path)
        is_file, files = self._tree(rel, full)
        base = os.path.abspath(os.fspath(local_dir))
        os.makedirs(base, exist_ok=True)
        target = base
        for inner, store_rel in files:
            target = os.path.join(base, *inner.split("/"))
            with self._chunks(store_rel) as chunks:
                _atomic_local_write(target, chunks, contextlib.nullcontext)
        return target if is_file else base

    def upload_tree(self, local_dir: str | os.PathLike[str], rel_path: str = "") -> int:
        """Upload every file under ``local_dir`` to ``rel_path``; returns the count.

        Names are checked before anything is written. A file link that points
        outside ``local_dir`` is refused rather than followed; links to directories
        are not descended into (as ``os.walk`` does by default).
        """
        base = os.path.abspath(os.fspath(local_dir))
        if not os.path.isdir(base):
            raise InvalidArgument(f"Cannot upload {base!r}: not a directory")
        rel, _ = self._resolve(rel_path)
        real_base = os.path.realpath(base)
        planned = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for name in sorted(filenames):
                local = os.path.join(dirpath, name)
                real = os.path.realpath(local)
                if not real.startswith(real_base + os.sep):
                    raise InvalidArgument(f"Cannot upload {local!r}: it links outside {base!r}")
                if not os.path.isfile(local):
                    continue
                inner = os.path.relpath(local, base).replace(os.sep, "/")
                planned.append((safe_relative_path(posixpath.join(rel, inner)), local))
        for target_rel, local in planned:
            self.write_file(target_rel, local)
        return len(planned)

    def sha256_tree(self, rel_path: str = "") -> dict[str, str]:
        """SHA-256 of every file under ``rel_path``, keyed by path inside the tree.

        For a single file the key is its basename. Files are streamed, never loaded.
        """
        rel, full = self._resolve(rel_path)
        _, files = self._tree(rel, full)
        digests = {}
        for inner, store_rel in files:
            digest = hashlib.sha256()
            with self._chunks(store_rel) as chunks:
                for chunk in chunks:
                    digest.update(chunk)
            digests[inner] = digest.hexdigest()
        return digests


__all__ = ["CHUNK_SIZE", "ArtifactStore", "FileInfo", "FsspecArtifactStore"]
