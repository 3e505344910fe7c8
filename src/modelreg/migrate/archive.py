"""``modelreg export`` and ``modelreg import``: every row and every file, portable.

Export reads each table of :mod:`modelreg.store.tables` in primary-key order, a page
at a time, inside one repeatable-read transaction (a consistent snapshot that never
holds a table in memory), then every file under the artifact root, hashing as it
goes. Import writes the rows into a fresh database in the archive's order (parents
before children) in one transaction, then the files, checking each one's SHA-256
against the manifest. Rows are copied as they are, ids, version numbers, timestamps
and the event log included: the round trip is lossless (tests/migrate/test_archive.py
compares every row and file), across SQLite, PostgreSQL and MySQL.

The layout is in :mod:`modelreg.migrate.archive_format` and docs/migrating.md.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import Connection, Table, delete, func, insert, inspect, select, text, tuple_

from modelreg._version import __version__
from modelreg.artifacts import ArtifactStore
from modelreg.errors import InvalidArgument, RegistryError
from modelreg.migrate.archive_format import (
    FILE_MANIFEST,
    FILES_DIR,
    FORMAT_NAME,
    FORMAT_VERSION,
    HEADER,
    SUMMARY,
    TABLES_DIR,
    SpooledMember,
    json_line,
    open_reader,
    open_writer,
)
from modelreg.migrate.progress import Progress, SilentProgress
from modelreg.store import migrations
from modelreg.store.database import Database
from modelreg.store.tables import counters, experiments, metadata, webhook_cursor

PAGE_ROWS = 5_000
INSERT_BATCH = 1_000
_CHUNK = 1024 * 1024


@dataclass(slots=True)
class ArchiveSummary:
    """What an export wrote or an import read."""

    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        rows = sum(self.tables.values())
        out = [
            f"{rows} rows in {len(self.tables)} tables, {self.files} files "
            f"({self.bytes} bytes) in {self.seconds:.1f} s"
        ]
        out += [f"  {name}: {count}" for name, count in self.tables.items() if count]
        out += [f"  skipped: {reason}" for reason in self.skipped]
        return out


def _tables() -> list[Table]:
    """Every table, parents before children (the order rows are imported in)."""
    return list(metadata.sorted_tables)


def _pages(conn: Connection, table: Table) -> Iterator[list[dict[str, Any]]]:
    """The table's rows in primary-key order, ``PAGE_ROWS`` at a time (keyset paging)."""
    key = list(table.primary_key.columns)
    names = [c.name for c in table.columns]
    last: tuple[Any, ...] | None = None
    while True:
        query = select(table).order_by(*key).limit(PAGE_ROWS)
        if last is not None:
            query = query.where(key[0] > last[0] if len(key) == 1 else tuple_(*key) > tuple_(*last))
        rows = conn.execute(query).all()
        if not rows:
            return
        yield [dict(zip(names, row, strict=True)) for row in rows]
        if len(rows) < PAGE_ROWS:
            return
        last = tuple(getattr(rows[-1], c.name) for c in key)


def walk_files(store: ArtifactStore, rel: str = "") -> Iterator[tuple[str, int]]:
    """Every file under ``rel`` as (store-relative path, size), depth first, sorted."""
    for entry in store.list_dir(rel):
        if entry.is_dir:
            yield from walk_files(store, entry.path)
        else:
            yield entry.path, entry.file_size or 0


class _HashingReader:
    """A file object that hashes and counts what is read through it."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        self.digest.update(data)
        self.size += len(data)
        return data


def export_archive(
    db: Database,
    store: ArtifactStore,
    target: str,
    progress: Progress | None = None,
) -> ArchiveSummary:
    """Write every row of ``db`` and every file of ``store`` to ``target`` (folder or tar)."""
    progress = progress or SilentProgress()
    started = time.monotonic()
    summary = ArchiveSummary()
    db.ensure_schema()
    tables = _tables()
    writer = open_writer(target)
    try:
        with db.engine.connect() as conn:
            if db.dialect != "sqlite":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                header = {
                    "format": FORMAT_NAME,
                    "format_version": FORMAT_VERSION,
                    "modelreg_version": __version__,
                    "schema_revision": migrations.current_revision(db.engine),
                    "source_dialect": db.dialect,
                    "created_at_ms": int(time.time() * 1000),
                    "tables": [t.name for t in tables],
                }
                writer.add_bytes(HEADER, json.dumps(header, indent=2).encode() + b"\n")
                for table in tables:
                    total = conn.execute(select(func.count()).select_from(table)).scalar_one()
                    progress.phase(f"export {table.name}", total)
                    member = SpooledMember()
                    count = 0
                    for page in _pages(conn, table):
                        for row in page:
                            member.write(json_line(row))
                        count += len(page)
                        progress.advance(len(page))
                    member.store(writer, f"{TABLES_DIR}/{table.name}.jsonl")
                    summary.tables[table.name] = count
        files = list(walk_files(store))
        progress.phase("export files", len(files))
        manifest = SpooledMember()
        for path, size in files:
            reader = _HashingReader(store.iter_read(path))
            writer.add_stream(f"{FILES_DIR}/{path}", reader, size)  # type: ignore[arg-type]
            if reader.size != size:
                raise RegistryError(f"{path!r} changed size while it was exported.")
            manifest.write(
                json_line({"path": path, "size": size, "sha256": reader.digest.hexdigest()})
            )
            summary.files += 1
            summary.bytes += size
            progress.advance(1, size)
        manifest.store(writer, FILE_MANIFEST)
        summary.seconds = time.monotonic() - started
        writer.add_bytes(
            SUMMARY,
            json.dumps(
                {"tables": summary.tables, "files": summary.files, "bytes": summary.bytes},
                indent=2,
            ).encode()
            + b"\n",
        )
    finally:
        writer.close()
        progress.close()
    return summary


# ----------------------------------------------------------------------- import
# Rows a fresh schema is created with (the Default experiment and its counter, the
# webhook worker's cursor); the archive brings them back with their original values.
_SEEDED = {experiments.name: 1, counters.name: 1, webhook_cursor.name: 1}


def _prepare_target(db: Database) -> None:
    """Create the schema of an empty database; refuse one that holds anything."""
    if not inspect(db.engine).get_table_names():
        db.upgrade_schema()
    db.ensure_schema()
    with db.read() as conn:
        for table in _tables():
            count = conn.execute(select(func.count()).select_from(table)).scalar_one()
            seeded = _SEEDED.get(table.name, 0)
            if count > seeded:
                raise InvalidArgument(
                    f"The target database is not empty ({count} rows in {table.name}): "
                    "import into a fresh database."
                )


def _reset_sequences(conn: Connection, dialect: str) -> None:
    """PostgreSQL's serial counters do not move for explicit ids: move them past the rows."""
    if dialect != "postgresql":
        return
    for table in _tables():
        column = table.autoincrement_column
        if column is None:
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                f"COALESCE(MAX({column.name}), 1), MAX({column.name}) IS NOT NULL) "
                f"FROM {table.name}"
            )
        )


def _rows(stream: IO[bytes], table: Table) -> Iterator[dict[str, Any]]:
    columns = set(table.columns.keys())
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        unknown = set(row) - columns
        if unknown:
            raise InvalidArgument(
                f"Archive table {table.name} line {number} has columns this modelreg does "
                f"not know ({', '.join(sorted(unknown))}): import with a newer modelreg."
            )
        yield row


def import_archive(
    db: Database,
    store: ArtifactStore,
    source: str,
    progress: Progress | None = None,
) -> ArchiveSummary:
    """Load an archive (folder or tar) into an empty database and artifact store."""
    progress = progress or SilentProgress()
    started = time.monotonic()
    summary = ArchiveSummary()
    by_name = {t.name: t for t in _tables()}
    reader = open_reader(source)
    expected: dict[str, str] = {}
    written: dict[str, str] = {}
    try:
        members = reader.members()
        first: tuple[str, IO[bytes] | None] = next(members, ("", None))
        name, stream = first
        if name != HEADER or stream is None:
            raise InvalidArgument(f"{source!r} does not start with {HEADER}.")
        header = json.loads(stream.read())
        if header.get("format") != FORMAT_NAME or header.get("format_version") != FORMAT_VERSION:
            raise InvalidArgument(
                f"{source!r} is not a {FORMAT_NAME} version {FORMAT_VERSION} archive "
                f"(format {header.get('format')!r}, version {header.get('format_version')!r})."
            )
        _prepare_target(db)
        pending = _import_tables(db, members, by_name, summary, progress)
        if pending is not None:
            progress.phase("import files")
        while pending is not None:
            name, stream = pending
            if name.startswith(FILES_DIR + "/"):
                path = name.removeprefix(FILES_DIR + "/")
                digest = hashlib.sha256()

                def chunks(stream: IO[bytes] = stream, digest: Any = digest) -> Iterator[bytes]:
                    while chunk := stream.read(_CHUNK):
                        digest.update(chunk)
                        yield chunk

                size = store.write_stream(path, chunks())
                written[path] = digest.hexdigest()
                summary.files += 1
                summary.bytes += size
                progress.advance(1, size)
            elif name == FILE_MANIFEST:
                for line in stream:
                    if line.strip():
                        entry = json.loads(line)
                        expected[entry["path"]] = entry["sha256"]
            pending = next(members, None)
    finally:
        reader.close()
        progress.close()
    _check_files(expected, written)
    summary.seconds = time.monotonic() - started
    return summary


def _import_tables(
    db: Database,
    members: Iterator[tuple[str, IO[bytes]]],
    by_name: dict[str, Table],
    summary: ArchiveSummary,
    progress: Progress,
) -> tuple[str, IO[bytes]] | None:
    """Insert the table members in one transaction; returns the first member after them."""
    with db.write() as conn:
        # The fresh schema's seed rows come back from the archive with their values.
        conn.execute(delete(counters))
        conn.execute(delete(experiments))
        conn.execute(delete(webhook_cursor))
        for name, stream in members:
            if not name.startswith(TABLES_DIR + "/"):
                _reset_sequences(conn, db.dialect)
                return name, stream
            table_name = name.removeprefix(TABLES_DIR + "/").removesuffix(".jsonl")
            table = by_name.get(table_name)
            if table is None:
                raise InvalidArgument(
                    f"The archive has a table {table_name!r} this modelreg does not know: "
                    "import with a newer modelreg."
                )
            progress.phase(f"import {table_name}")
            count = 0
            batch: list[dict[str, Any]] = []
            for row in _rows(stream, table):
                batch.append(row)
                if len(batch) >= INSERT_BATCH:
                    conn.execute(insert(table), batch)
                    count += len(batch)
                    progress.advance(len(batch))
                    batch = []
            if batch:
                conn.execute(insert(table), batch)
                count += len(batch)
                progress.advance(len(batch))
            summary.tables[table_name] = count
        _reset_sequences(conn, db.dialect)
    return None


def _check_files(expected: dict[str, str], written: dict[str, str]) -> None:
    if not expected and not written:
        return
    missing = sorted(set(expected) - set(written))
    damaged = sorted(p for p, digest in written.items() if expected.get(p) != digest)
    if missing or damaged:
        raise RegistryError(
            "The archive's files do not match its manifest: "
            + ", ".join(
                [f"missing {p}" for p in missing[:5]]
                + [f"checksum differs for {p}" for p in damaged[:5]]
            )
        )
