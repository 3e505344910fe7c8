"""Registry copies' lifetimes: reserved before they are made, freed with their last version.

See :mod:`modelreg.store.copies` for why this is safe against a concurrent registration
re-referencing a copy, on every backend. The files go only after the transaction that
freed the copy has committed; if removing them fails (the store is down), the copy is
an orphan without a row, which ``modelreg gc`` sweeps.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable

from modelreg.service.registry._base import RegistryBase
from modelreg.service.snapshots import Snapshot, SourceFiles
from modelreg.store.copies import CopyStore

logger = logging.getLogger("modelreg.registry")


class CopyLifetimes(RegistryBase):
    """Making, referencing and removing registry copies."""

    def _make_copy(self, files: SourceFiles) -> Snapshot | None:
        """Copy ``files`` under a reserved ``_registry/<uuid>``; None if there is nothing."""
        if self.snapshotter is None:
            return None
        target = self.snapshotter.new_location()
        with self.db.write() as conn:
            CopyStore(conn).reserve(target, self.clock())
        try:
            snapshot = self.snapshotter.snapshot(files, target)
        except BaseException:
            self._drop_copy(target)
            raise
        if snapshot is None:
            self._drop_copy(target)
        return snapshot

    def _drop_copy(self, location: str) -> None:
        """Forget a copy no version got (a failed registration): row and files."""
        with contextlib.suppress(Exception):
            with self.db.write() as conn:
                CopyStore(conn).forget(location)
        self._remove_files([location])

    def _remove_files(self, locations: Iterable[str]) -> None:
        if self.snapshotter is None:
            return
        for location in locations:
            try:
                self.snapshotter.discard(location)
            except Exception:
                logger.warning(
                    "Could not remove the registry copy %s; `modelreg gc --apply` will.",
                    location,
                    exc_info=True,
                )
