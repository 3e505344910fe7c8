"""What the approval use cases share: the registry's state, version lookups, moves."""

from __future__ import annotations

from typing import Any

from modelreg import validation
from modelreg.service.registry._base import RegistryBase
from modelreg.service.registry.stages_aliases import StagesAndAliases
from modelreg.store.registry import RegistryStore


class ApprovalsBase(RegistryBase):
    """The registry's database and actor, plus the moves an approval executes."""

    def _moves(self) -> StagesAndAliases:
        # The registry's own stage and alias moves, acting for the same principal, so an
        # approved request changes rows and records events exactly as a direct move.
        return StagesAndAliases(
            self.db, actor=self.principal, clock=self.clock, snapshotter=self.snapshotter
        )

    def _version_row(self, store: RegistryStore, name: str, version: int | str) -> Any:
        name = validation.validate_model_name(name)
        return self._require_version_row(store, name, validation.parse_version(version))

    def _locked_version_row(
        self, store: RegistryStore, name: str, version: int | str, now: int
    ) -> Any:
        """The version's row with its model's row lock taken: approvals serialise on it."""
        name = validation.validate_model_name(name)
        return self._lock_version(store, name, validation.parse_version(version), now)
