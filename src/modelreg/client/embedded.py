"""The embedded transport: the client calls the service in-process on a local database.

Databases are shared per URI within a process, so many ``MlflowClient()`` objects use
one connection pool and one schema check.
"""

from __future__ import annotations

import threading

from modelreg.config import Settings
from modelreg.service import RegistryService
from modelreg.store.database import Database

_databases: dict[str, Database] = {}
_lock = threading.Lock()


def database_for(uri: str) -> Database:
    with _lock:
        db = _databases.get(uri)
        if db is None:
            db = _databases[uri] = Database(uri)
        return db


def registry_service(settings: Settings) -> RegistryService:
    return RegistryService(database_for(settings.tracking_uri), actor=settings.actor)


def reset() -> None:
    """Drop cached databases (tests, and after ``set_tracking_uri`` to a new file)."""
    with _lock:
        for db in _databases.values():
            db.dispose()
        _databases.clear()
