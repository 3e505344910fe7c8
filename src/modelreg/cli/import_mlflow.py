"""``modelreg import-mlflow``: move an MLflow server's or database's history into modelreg."""

from __future__ import annotations

import sys

import click

from modelreg.cli._common import BACKEND_OPTION, friendly_errors
from modelreg.config import Settings


@click.command("import-mlflow", short_help="Import everything from an MLflow server or database.")
@click.option(
    "--from",
    "source_url",
    required=True,
    help="The MLflow server's URL (http://host:5000), or its database URI "
    "(sqlite:///mlflow.db, postgresql://…, mysql://…), read directly. Server credentials: "
    "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN.",
)
@BACKEND_OPTION
@click.option(
    "--artifacts-destination",
    envvar="MODELREG_ARTIFACT_ROOT",
    default=None,
    help="Where artifacts are stored (folder or s3://bucket/prefix), as for `modelreg "
    "server`. Default: 'artifacts' beside a SQLite database, else ./.modelreg/artifacts.",
)
@click.option(
    "--artifacts-source-root",
    default=None,
    type=click.Path(exists=True, file_okay=False),
    help="With a database URI: the folder the MLflow server kept its files in (its "
    "--artifacts-destination), for the mlflow-artifacts: locations the database records.",
)
@friendly_errors
def import_mlflow(
    source_url: str,
    backend_store_uri: str | None,
    artifacts_destination: str | None,
    artifacts_source_root: str | None,
) -> None:
    """Import experiments, runs, logged models, registered models and versions from MLflow.

    Ids, version numbers and timestamps are kept. Run it again to import what is new
    or changed since, or to finish an import that was interrupted (docs/migrating.md).
    """
    from modelreg.migrate.mlflow_db import MlflowDatabaseSource, is_database_uri
    from modelreg.migrate.mlflow_import import MlflowImporter
    from modelreg.migrate.mlflow_source import MlflowSource
    from modelreg.migrate.progress import terminal_progress
    from modelreg.migrate.source import MlflowReader
    from modelreg.service.assembly import build_services
    from modelreg.service.imports import ImportService

    source: MlflowReader
    if is_database_uri(source_url):
        source = MlflowDatabaseSource(source_url, artifacts_root=artifacts_source_root)
    elif artifacts_source_root is not None:
        raise click.UsageError(
            "--artifacts-source-root goes with a database URI in --from; a server serves "
            "its own files."
        )
    else:
        source = MlflowSource(source_url)
    try:
        settings = Settings.from_env(backend_store_uri, artifacts_destination)
        # As the server: locations under the artifacts destination, nothing external.
        services = build_services(settings.served())
    except BaseException:
        source.close()
        raise
    snapshotter = services.registry.snapshotter
    if snapshotter is None:  # pragma: no cover - build_services always makes one
        raise click.ClickException("The registry has no artifact store to copy into.")
    importer = MlflowImporter(
        source,
        ImportService(services.db, source.name, actor=settings.actor),
        snapshotter.store,
        snapshotter,
        terminal_progress(lambda line: click.echo(line, err=True)),
    )
    try:
        summary = importer.run()
    except KeyboardInterrupt:
        click.echo(
            "Interrupted: what was imported so far is kept; run the same command again to finish.",
            err=True,
        )
        sys.exit(130)
    finally:
        source.close()
        services.db.dispose()
    click.echo(f"Imported from {source.name}:")
    for line in summary.lines():
        click.echo(line)
