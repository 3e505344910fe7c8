"""The archive's container: a folder or a tar file, written and read as a stream.

An archive is a sequence of named members (docs/migrating.md, "Archive format")::

    format.json            the header: format name and version, schema revision, table order
    tables/<table>.jsonl   one JSON object per row, keyed by column name
    files/<path>           every file of the artifact store, at its path under the root
    files.jsonl            the file manifest: {"path", "size", "sha256"} per file
    summary.json           row counts per table, file and byte counts

In a tar they come in that order, so a reader never seeks: ``modelreg import`` reads
a tar from a pipe. A folder holds the same names.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from modelreg.errors import InvalidArgument

FORMAT_NAME = "modelreg-archive"
FORMAT_VERSION = 1
HEADER = "format.json"
TABLES_DIR = "tables"
FILES_DIR = "files"
FILE_MANIFEST = "files.jsonl"
SUMMARY = "summary.json"
# Table members are staged on disk beyond this size (a tar member needs its size first).
_SPOOL_BYTES = 16 * 1024 * 1024


def is_tar_path(path: str) -> bool:
    return path.endswith((".tar", ".tar.gz", ".tgz"))


def json_line(row: dict[str, Any]) -> bytes:
    # Infinity/-Infinity (metric values) are written as Python's json does; NaN never
    # reaches a row (metrics store NaN as NULL plus a flag).
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


class ArchiveWriter(Protocol):
    def add_bytes(self, name: str, data: bytes) -> None: ...

    def add_stream(self, name: str, stream: IO[bytes], size: int) -> None: ...

    def close(self) -> None: ...


class FolderWriter:
    """Members as files under a folder, which must not exist or be empty."""

    def __init__(self, folder: str) -> None:
        self.root = Path(folder)
        if self.root.exists() and (not self.root.is_dir() or any(self.root.iterdir())):
            raise InvalidArgument(f"{folder!r} exists and is not an empty folder.")
        self.root.mkdir(parents=True, exist_ok=True)

    def _target(self, name: str) -> Path:
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def add_bytes(self, name: str, data: bytes) -> None:
        self._target(name).write_bytes(data)

    def add_stream(self, name: str, stream: IO[bytes], size: int) -> None:
        with self._target(name).open("wb") as out:
            while chunk := stream.read(1024 * 1024):
                out.write(chunk)

    def close(self) -> None:
        pass


class TarWriter:
    """Members appended to a tar (gzip-compressed for ``.tar.gz``/``.tgz``), streaming."""

    def __init__(self, path: str) -> None:
        if os.path.exists(path):
            raise InvalidArgument(f"{path!r} already exists; give a new file name.")
        gz = path.endswith((".gz", ".tgz"))
        self._tar = tarfile.open(path, "w|gz") if gz else tarfile.open(path, "w|")

    def _info(self, name: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = int(time.time())
        info.mode = 0o644
        return info

    def add_bytes(self, name: str, data: bytes) -> None:
        self._tar.addfile(self._info(name, len(data)), io.BytesIO(data))

    def add_stream(self, name: str, stream: IO[bytes], size: int) -> None:
        self._tar.addfile(self._info(name, size), stream)

    def close(self) -> None:
        self._tar.close()


def open_writer(target: str) -> ArchiveWriter:
    return TarWriter(target) if is_tar_path(target) else FolderWriter(target)


class SpooledMember:
    """A member built line by line, in memory until it is large, then on disk."""

    def __init__(self) -> None:
        self.file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)
        self.size = 0

    def write(self, data: bytes) -> None:
        self.file.write(data)
        self.size += len(data)

    def store(self, writer: ArchiveWriter, name: str) -> None:
        self.file.seek(0)
        writer.add_stream(name, self.file, self.size)
        self.file.close()


class ArchiveReader(Protocol):
    def members(self) -> Iterator[tuple[str, IO[bytes]]]: ...

    def close(self) -> None: ...


class FolderReader:
    """A folder archive, read in the order a tar would hold it."""

    def __init__(self, folder: str) -> None:
        self.root = Path(folder)
        if not (self.root / HEADER).is_file():
            raise InvalidArgument(f"{folder!r} is not a modelreg archive (no {HEADER}).")

    def members(self) -> Iterator[tuple[str, IO[bytes]]]:
        header = self.root / HEADER
        with header.open("rb") as stream:
            yield HEADER, stream
        order = json.loads(header.read_bytes()).get("tables", [])
        for table in order:
            path = self.root / TABLES_DIR / f"{table}.jsonl"
            if path.is_file():
                with path.open("rb") as stream:
                    yield f"{TABLES_DIR}/{table}.jsonl", stream
        manifest = self.root / FILE_MANIFEST
        if manifest.is_file():
            for rel in _manifest_paths(manifest.read_bytes().splitlines()):
                with (self.root / FILES_DIR / rel).open("rb") as stream:
                    yield f"{FILES_DIR}/{rel}", stream
            with manifest.open("rb") as stream:
                yield FILE_MANIFEST, stream
        summary = self.root / SUMMARY
        if summary.is_file():
            with summary.open("rb") as stream:
                yield SUMMARY, stream

    def close(self) -> None:
        pass


def _manifest_paths(lines: Iterable[bytes]) -> Iterator[str]:
    for line in lines:
        if line.strip():
            yield str(json.loads(line)["path"])


class TarReader:
    """A tar archive read front to back (works on a pipe: no seeking)."""

    def __init__(self, path: str) -> None:
        if not os.path.isfile(path):
            raise InvalidArgument(f"{path!r} is not a file.")
        try:
            self._tar = tarfile.open(path, "r|*")
        except tarfile.TarError as error:
            raise InvalidArgument(f"{path!r} is not a tar archive: {error}.") from None

    def members(self) -> Iterator[tuple[str, IO[bytes]]]:
        for info in self._tar:
            if not info.isfile():
                continue
            stream = self._tar.extractfile(info)
            if stream is None:  # pragma: no cover - regular files always have data
                continue
            yield info.name, stream

    def close(self) -> None:
        self._tar.close()


def open_reader(source: str) -> ArchiveReader:
    return TarReader(source) if is_tar_path(source) else FolderReader(source)
