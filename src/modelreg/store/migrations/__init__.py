"""Alembic migrations: the only source of the schema.

Run with ``modelreg db upgrade``. The helpers here let the CLI, the schema check in
:class:`~modelreg.store.database.Database` and the tests drive Alembic without an
``alembic.ini``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from modelreg.errors import RegistryError

_HERE = Path(__file__).parent


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RegistryError("modelreg was installed without its database migrations.")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def stale_schema_error(uri: str, current: str | None, head: str) -> RegistryError:
    shown = _redact(uri)
    if current is None:
        return RegistryError(
            f"The database at {shown} has no modelreg schema. Create it with: "
            f"modelreg db upgrade --backend-store-uri '{shown}'"
        )
    return RegistryError(
        f"The database at {shown} is at schema revision {current}, but this modelreg needs "
        f"{head}. Upgrade it with: modelreg db upgrade --backend-store-uri '{shown}' "
        "(back up shared databases first)."
    )


def _redact(uri: str) -> str:
    scheme, sep, rest = uri.partition("://")
    if "@" in rest and ":" in rest.split("@", 1)[0]:
        user = rest.split("@", 1)[0].split(":", 1)[0]
        return f"{scheme}{sep}{user}:***@{rest.split('@', 1)[1]}"
    return uri
