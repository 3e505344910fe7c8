"""What every part of the registry service shares: the database, the actor, events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self, TypeVar

from sqlalchemy import Connection

from modelreg import validation
from modelreg.entities import STAGES, ModelVersion
from modelreg.errors import InvalidArgument, NotFound, RegistryError
from modelreg.events import DomainEvent
from modelreg.principal import Principal, as_principal
from modelreg.service import event_log
from modelreg.service.access import ALLOW_ALL, ReadAccess
from modelreg.service.auth.policy import GrantPolicy
from modelreg.service.clock import Clock, now_ms
from modelreg.service.snapshots import Snapshotter
from modelreg.store.auth import Visibility
from modelreg.store.database import Database
from modelreg.store.registry import RegistryStore

_T = TypeVar("_T")


def model_not_found(name: str) -> NotFound:
    return NotFound(f"Registered Model with name={name} not found")


def version_not_found(name: str, version: int) -> NotFound:
    return NotFound(f"Model Version (name={name}, version={version}) not found")


def read_back(found: _T | None, what: str) -> _T:
    """A row written in this transaction must be readable in it; anything else is a bug."""
    if found is None:
        raise RegistryError(f"{what} vanished inside its own transaction.")
    return found


class RegistryBase:
    """The registry's state: one database, the actor every change is attributed to.

    A service object acts for one actor; :meth:`as_actor` gives the same service
    acting for another (the server binds each request's caller this way, and the
    permission checks of auth will read the same attribute).
    """

    def __init__(
        self,
        db: Database,
        *,
        actor: str | Principal = "unknown",
        clock: Clock = now_ms,
        snapshotter: Snapshotter | None = None,
        grants: GrantPolicy | None = None,
        access: ReadAccess = ALLOW_ALL,
        allowed_source_schemes: frozenset[str] | None = None,
    ) -> None:
        self.db = db
        # Set with ``--auth``: searches keep only what the principal may read.
        self.grants = grants
        self.principal = as_principal(actor)
        self.actor = self.principal.name
        self.clock = clock
        self.snapshotter = snapshotter
        # Asked before the caller's request reads another owner's model or run.
        self.access = access
        # Schemes of sources stored as references, files not copied (None: any).
        self.allowed_source_schemes = allowed_source_schemes

    def as_actor(self, actor: str | Principal) -> Self:
        """The same service acting for ``actor`` (the server passes the caller in)."""
        return type(self)(
            self.db,
            actor=actor,
            clock=self.clock,
            snapshotter=self.snapshotter,
            grants=self.grants,
            access=self.access,
            allowed_source_schemes=self.allowed_source_schemes,
        )

    def _visibility(self) -> Visibility | None:
        """What this principal's searches are restricted to (None: everything)."""
        return None if self.grants is None else self.grants.visibility(self.principal)

    def _record(self, conn: Connection, now: int, *events: DomainEvent) -> None:
        event_log.record(conn, self.actor, now, *events)

    @staticmethod
    def _require_model_id(store: RegistryStore, name: str) -> int:
        model_id = store.model_id(name)
        if model_id is None:
            raise model_not_found(name)
        return model_id

    @staticmethod
    def _require_version_row(store: RegistryStore, name: str, number: int) -> Any:
        row = store.version_row(name, number)
        if row is None:
            raise version_not_found(name, number)
        return row

    @staticmethod
    def _lock_version(store: RegistryStore, name: str, number: int, now: int) -> Any:
        """The version's row, its model locked first (changes that move other versions)."""
        parent_id = store.lock_model(name, now)
        row = store.version_row(name, number) if parent_id is not None else None
        if row is None:
            raise version_not_found(name, number)
        return row


class StoreLookup:
    """Version lookups inside one open transaction (for :mod:`modelreg.model_uris`)."""

    def __init__(self, store: RegistryStore) -> None:
        self.store = store

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        number = validation.parse_version(version)
        found = self.store.get_version(name, number)
        if found is None:
            raise version_not_found(name, number)
        return found

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        model_id = RegistryBase._require_model_id(self.store, name)
        number = self.store.alias_version(model_id, alias)
        if number is None:
            raise InvalidArgument(f"Registered model alias {alias} not found.")
        return self.get_model_version(name, number)

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        model_id = RegistryBase._require_model_id(self.store, name)
        return self.store.latest_of_model(model_id, list(stages or STAGES))
