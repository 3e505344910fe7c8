"""Sweeping registry copies no version references (``modelreg gc``).

Since revision ``0005_registry_copies`` a copy is removed with the last version that
references it. Copies left by deletions before that (and by a process that died
between making a copy and recording its version) have no reference: this finds them,
and removes them only after checking again, in the same write transaction that
forgets them, that no version references them and no registration is making them.
A registration can only reference a copy that some version still references, so a
copy found orphaned in that transaction stays orphaned: this holds with any number
of servers on one database and store.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from modelreg.artifacts import ArtifactStore
from modelreg.service.snapshots import REGISTRY_PREFIX
from modelreg.store.copies import CopyStore
from modelreg.store.database import Database

# A reservation this old belongs to a registration that died: nothing copies for a day.
DEFAULT_GRACE_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class Orphan:
    """A registry copy no version references: where it is and what it holds."""

    location: str
    files: int
    size: int


def _walk_sizes(store: ArtifactStore, rel: str) -> Iterator[int]:
    for info in store.list_dir(rel):
        if info.is_dir:
            yield from _walk_sizes(store, info.path)
        else:
            yield info.file_size or 0


def find_orphans(db: Database, store: ArtifactStore, reserved_before: int) -> list[Orphan]:
    """Every copy under ``_registry/`` that no version references (a read-only pass)."""
    found = []
    for entry in store.list_dir(REGISTRY_PREFIX):
        if not entry.is_dir:
            continue
        location = posixpath.join(REGISTRY_PREFIX, posixpath.basename(entry.path))
        with db.read() as conn:
            orphan = CopyStore(conn).is_orphan(location, reserved_before)
        if orphan:
            sizes = list(_walk_sizes(store, location))
            found.append(Orphan(location, len(sizes), sum(sizes)))
    return found


def remove_orphans(
    db: Database, store: ArtifactStore, orphans: list[Orphan], reserved_before: int
) -> list[Orphan]:
    """Remove the copies that are still orphans, each checked again in a write."""
    removed = []
    for orphan in orphans:
        with db.write() as conn:
            copies = CopyStore(conn)
            if not copies.is_orphan(orphan.location, reserved_before, lock=True):
                continue
            copies.forget(orphan.location)  # a dead registration's reservation
        store.delete(orphan.location)
        removed.append(orphan)
    return removed
