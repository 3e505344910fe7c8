"""The model registry's use cases, one module per concern.

* :mod:`.models`: registered models and their tags;
* :mod:`.versions`: registration of versions (with the registry's own copy of the
  files), reads, edits, searches and version tags;
* :mod:`.stages_aliases`: stage transitions, latest versions, aliases, ``models:/`` URIs;
* :mod:`.history`: the event log as history: feed, time travel, rollback, verification.

Each public method is one transaction: it validates its input, applies the rules
(version allocation, stage and alias rules) and records its events in the same
transaction. :class:`RegistryService` is all of them, and implements
:class:`~modelreg.protocols.Registry`.
"""

from __future__ import annotations

from modelreg import model_uris
from modelreg.entities import Event, ModelVersion
from modelreg.protocols import Registry
from modelreg.service.registry.history import RegistryHistory
from modelreg.service.registry.models import RegisteredModels
from modelreg.service.registry.stages_aliases import StagesAndAliases
from modelreg.service.registry.versions import ModelVersions
from modelreg.store.events import EventStore


class RegistryService(RegisteredModels, ModelVersions, RegistryHistory, StagesAndAliases, Registry):
    """The registry as a set of use cases over one database, acting for one actor."""

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> ModelVersion:
        """Copy the version ``src_model_uri`` names into ``dst_name`` (created if needed)."""
        return model_uris.copy_model_version(self, src_model_uri, dst_name)

    # ---------------------------------------------------------------- events
    def list_events(self, after_id: int = 0, limit: int = 1000) -> list[Event]:
        """Raw event rows in commit order, registry and tracking alike."""
        with self.db.read() as conn:
            return EventStore(conn).list(after_id, limit)


__all__ = ["RegistryService"]
