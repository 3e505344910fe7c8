"""``modelreg export`` and ``modelreg import``: portable archives of a whole registry."""

from __future__ import annotations

import click

from modelreg.cli._common import BACKEND_OPTION, friendly_errors
from modelreg.config import Settings

ARTIFACTS_OPTION = click.option(
    "--artifacts-destination",
    envvar="MODELREG_ARTIFACT_ROOT",
    default=None,
    help="The artifact store (folder or s3://bucket/prefix). "
    "Default: 'artifacts' beside a SQLite database, else ./.modelreg/artifacts.",
)


@click.command("export", short_help="Write every row and file to a portable archive.")
@click.option(
    "--to",
    "target",
    required=True,
    help="A new folder, or a FILE.tar / FILE.tar.gz to create.",
)
@BACKEND_OPTION
@ARTIFACTS_OPTION
@friendly_errors
def export(target: str, backend_store_uri: str | None, artifacts_destination: str | None) -> None:
    """Write every row and file of the registry to a portable archive (docs/migrating.md)."""
    from modelreg.artifacts import open_artifact_store
    from modelreg.migrate.archive import export_archive
    from modelreg.migrate.progress import terminal_progress
    from modelreg.store.database import Database

    settings = Settings.from_env(backend_store_uri, artifacts_destination)
    database = Database(settings.tracking_uri, statement_timeout_ms=settings.statement_timeout_ms)
    try:
        summary = export_archive(
            database,
            open_artifact_store(settings.artifact_root),
            target,
            terminal_progress(lambda line: click.echo(line, err=True)),
        )
    finally:
        database.dispose()
    click.echo(f"Exported to {target}:")
    for line in summary.lines():
        click.echo(line)


@click.command("import", short_help="Load an archive into a fresh database.")
@click.option(
    "--from",
    "source",
    required=True,
    help="An archive made by `modelreg export`: a folder or a .tar / .tar.gz file.",
)
@BACKEND_OPTION
@ARTIFACTS_OPTION
@friendly_errors
def import_(source: str, backend_store_uri: str | None, artifacts_destination: str | None) -> None:
    """Load an archive into a fresh database and artifact store (schema created if empty)."""
    from modelreg.artifacts import open_artifact_store
    from modelreg.migrate.archive import import_archive
    from modelreg.migrate.progress import terminal_progress
    from modelreg.store.database import Database

    settings = Settings.from_env(backend_store_uri, artifacts_destination)
    database = Database(
        settings.tracking_uri,
        auto_upgrade_sqlite=False,
        statement_timeout_ms=settings.statement_timeout_ms,
    )
    try:
        summary = import_archive(
            database,
            open_artifact_store(settings.artifact_root),
            source,
            terminal_progress(lambda line: click.echo(line, err=True)),
        )
    finally:
        database.dispose()
    click.echo(f"Imported {source}:")
    for line in summary.lines():
        click.echo(line)
