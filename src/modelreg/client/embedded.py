"""The embedded transport: the client calls the services in-process on a local database.

Databases are shared per URI within a process, so many ``MlflowClient()`` objects use
one connection pool and one schema check.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from modelreg.config import Settings
from modelreg.service import RegistryService
from modelreg.service.artifact_locations import ArtifactLocations
from modelreg.service.snapshots import open_snapshotter
from modelreg.service.tracking import TrackingService
from modelreg.store.database import Database

_databases: dict[tuple[object, ...], Database] = {}
_services: dict[Settings, EmbeddedServices] = {}
_lock = threading.Lock()


def database_for(settings: Settings) -> Database:
    key = (settings.tracking_uri, settings.statement_timeout_ms, settings.filter_limits)
    with _lock:
        db = _databases.get(key)
        if db is None:
            db = _databases[key] = Database(
                settings.tracking_uri,
                statement_timeout_ms=settings.statement_timeout_ms,
                filter_limits=settings.filter_limits,
            )
        return db


@dataclass(frozen=True, slots=True)
class EmbeddedServices:
    registry: RegistryService
    tracking: TrackingService


def services(settings: Settings) -> EmbeddedServices:
    """The services for ``settings``, built once per process (clients are cheap to make)."""
    with _lock:
        found = _services.get(settings)
    if found is None:
        found = _build(settings)
        with _lock:
            found = _services.setdefault(settings, found)
    return found


def _build(settings: Settings) -> EmbeddedServices:
    db = database_for(settings)
    # Embedded users own their machine: local folders may be registered and
    # experiments may keep artifacts wherever their owner points them.
    locations = ArtifactLocations(root=settings.artifact_root, allow_external=True)
    snapshotter = open_snapshotter(locations, settings.artifact_root)
    return EmbeddedServices(
        registry=RegistryService(db, actor=settings.actor, snapshotter=snapshotter),
        tracking=TrackingService(db, locations, actor=settings.actor),
    )


def registry_service(settings: Settings) -> RegistryService:
    return services(settings).registry


def reset() -> None:
    """Drop cached databases (tests, and after ``set_tracking_uri`` to a new file)."""
    with _lock:
        for db in _databases.values():
            db.dispose()
        _databases.clear()
        _services.clear()
