"""The checks before a server listens, and running them in a process of their own.

Before anything is served: the database schema (a brand-new SQLite file is created at
head), the artifacts destination, and with ``--auth`` the first admin. A one-line
error from any of them stops the server before it listens.

With several workers, the supervisor only hands the socket to its workers and watches
them; everything it imports stays in its memory for the server's life. The checks need
the whole service layer (SQLAlchemy, alembic, the stores: about 45 MiB), so the
supervisor runs them in a short-lived child process and keeps to uvicorn's own
footprint. One worker serves from the supervisor's own process and checks there.
"""

from __future__ import annotations

import concurrent.futures
import logging.config
import multiprocessing
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from modelreg.errors import RegistryError

if TYPE_CHECKING:
    from modelreg.config import Settings
    from modelreg.server.settings import ServerSettings
    from modelreg.service.assembly import Services


def check_services(services: Services, server: ServerSettings, env: Mapping[str, str]) -> None:
    """Schema, artifacts destination and (with ``--auth``) the first admin."""
    from modelreg.server.auth_setup import prepare_auth
    from modelreg.server.destination import check_artifacts_destination

    services.db.ensure_schema()
    check_artifacts_destination(services.artifacts.store)
    if server.auth:
        prepare_auth(services.auth, env)


def _check_in_this_process(settings: Settings, server: ServerSettings) -> str | None:
    """The child's work: the checks on services of its own; the error's message, if any."""
    from modelreg.server.logging import log_config
    from modelreg.service.assembly import build_services

    logging.config.dictConfig(log_config(server.log_level, server.access_log, server.log_format))
    try:
        services = build_services(settings)
        try:
            check_services(services, server, os.environ)
        finally:
            services.db.dispose()
    except RegistryError as error:
        return str(error)
    return None


def check_in_child(settings: Settings, server: ServerSettings) -> None:
    """Run the checks in a spawned child process; raise its one-line error here."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as child:
        failed = child.submit(_check_in_this_process, settings, server).result()
    if failed is not None:
        raise RegistryError(failed)
