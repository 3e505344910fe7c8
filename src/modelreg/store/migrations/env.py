"""Alembic environment: runs against the engine handed over in ``config.attributes``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from modelreg.config import sqlalchemy_url
from modelreg.store.tables import metadata

config = context.config


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if isinstance(engine, Engine):
        return engine
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(
            "No database given to the migrations (pass an engine or sqlalchemy.url)."
        )
    return create_engine(sqlalchemy_url(url))


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=sqlite,
            compare_type=True,
            # All or nothing: SQLite's DDL is transactional, but Alembic assumes it is
            # not and commits after each revision, so a first start killed mid-way
            # left a half-built schema that the next start refused. One transaction
            # for the whole upgrade (PostgreSQL's default too); MySQL cannot roll DDL
            # back at all, which is why shared databases are upgraded explicitly.
            transactional_ddl=True if sqlite else None,
            transaction_per_migration=False,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
