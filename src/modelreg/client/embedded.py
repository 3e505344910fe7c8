"""The embedded transport: the client calls the services in-process on a local database.

Services are built by :func:`~modelreg.service.assembly.build_services` (the same
assembly as the server's) once per settings, and databases are shared per URI (and
statement and filter bounds) within a process, so many ``MlflowClient()`` objects use
one connection pool and one schema check.
"""

from __future__ import annotations

import threading

from modelreg.config import Settings
from modelreg.service.assembly import Services, build_services
from modelreg.store.database import Database

# Keyed by everything a Database is built from, so settings that differ only in
# their bounds never share one.
_databases: dict[tuple[object, ...], Database] = {}
_services: dict[Settings, Services] = {}
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


def services(settings: Settings) -> Services:
    """The services for ``settings``, built once per process (clients are cheap to make)."""
    with _lock:
        found = _services.get(settings)
    if found is None:
        found = build_services(settings, database=database_for(settings))
        with _lock:
            found = _services.setdefault(settings, found)
    return found


def reset() -> None:
    """Drop cached databases (tests, and after ``set_tracking_uri`` to a new file)."""
    with _lock:
        for db in _databases.values():
            db.dispose()
        _databases.clear()
        _services.clear()
