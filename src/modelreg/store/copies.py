"""Reference counts of the registry's copies (``registry_copies``), under row locks.

Every change is one ``UPDATE`` (or ``INSERT``/``DELETE``) of the copy's row, which locks
it on PostgreSQL and MariaDB and runs under the writer lock on SQLite, and reads the
latest committed row on all three. So a registration that re-references a copy and
the deletion of its last version are serialised on that row: either the registration
counts first (and the deletion then sees a count above zero), or the deletion removes
the row first (and the registration then finds no copy to reference and is refused).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete, exists, insert, select, update

from modelreg.store.tables import model_versions, registry_copies

c = registry_copies.c


class CopyStore:
    """Reference counts of registry copies, inside the caller's unit of work."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def reserve(self, location: str, now: int) -> None:
        """A copy about to be made: a row with no reference yet (``gc`` leaves it alone)."""
        self.conn.execute(insert(registry_copies).values(location=location, refs=0, created_at=now))

    def add_reference(self, location: str, *, new: bool = False) -> bool:
        """Count one more version on ``location``; False if the copy is gone.

        ``new``: the copy was just reserved by this registration (its count may be 0);
        otherwise only a copy some version still references can be referenced again.
        """
        floor = -1 if new else 0
        done = self.conn.execute(
            update(registry_copies)
            .where(c.location == location, c.refs > floor)
            .values(refs=c.refs + 1)
        )
        return done.rowcount == 1

    def release(self, locations: Iterable[str]) -> list[str]:
        """Count one version less on each; the copies no version references any more.

        Their rows are deleted here, in the caller's transaction; the caller deletes
        the files after it commits.
        """
        freed = []
        for location in locations:
            self.conn.execute(
                update(registry_copies).where(c.location == location).values(refs=c.refs - 1)
            )
            refs = self.conn.execute(
                select(c.refs).where(c.location == location)
            ).scalar_one_or_none()
            if refs is not None and refs <= 0:
                self.conn.execute(delete(registry_copies).where(c.location == location))
                freed.append(location)
        return freed

    def forget(self, location: str) -> None:
        self.conn.execute(delete(registry_copies).where(c.location == location))

    def is_orphan(self, location: str, reserved_before: int, *, lock: bool = False) -> bool:
        """No version references ``location``, and no registration is making it.

        A reservation older than ``reserved_before`` is a registration that died before
        it committed: its copy is an orphan too. ``lock`` (in a write) holds the copy's
        row, if any, until the caller's transaction ends.
        """
        query = select(c.refs, c.created_at).where(c.location == location)
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        if row is not None and (row.refs > 0 or row.created_at >= reserved_before):
            return False
        referenced = self.conn.execute(
            select(exists().where(model_versions.c.storage_location == location))
        ).scalar()
        return not referenced


def version_copies(conn: Connection, model_id: int) -> list[str]:
    """The registry copies the versions of one registered model reference."""
    mv = model_versions.c
    found = conn.execute(
        select(mv.storage_location).where(mv.model_id == model_id, mv.storage_location.is_not(None))
    )
    return [loc for (loc,) in found if loc.startswith("_registry/")]
