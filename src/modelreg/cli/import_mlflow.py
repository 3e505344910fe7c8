"""``modelreg import-mlflow``: move a live MLflow server's history into modelreg."""

from __future__ import annotations

import sys

import click

from modelreg.cli._common import BACKEND_OPTION, friendly_errors
from modelreg.config import Settings


@click.command("import-mlflow", short_help="Import everything from a live MLflow server.")
@click.option(
    "--from",
    "source_url",
    required=True,
    help="The MLflow server's URL (http://host:5000). Credentials: MLFLOW_TRACKING_USERNAME "
    "and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN.",
)
@BACKEND_OPTION
@click.option(
    "--artifacts-destination",
    envvar="MODELREG_ARTIFACT_ROOT",
    default=None,
    help="Where artifacts are stored (folder or s3://bucket/prefix), as for `modelreg "
    "server`. Default: 'artifacts' beside a SQLite database, else ./.modelreg/artifacts.",
)
@friendly_errors
def import_mlflow(
    source_url: str, backend_store_uri: str | None, artifacts_destination: str | None
) -> None:
    """Import experiments, runs, logged models, registered models and versions from MLflow.

    Ids, version numbers and timestamps are kept. Run it again to import what is new
    or changed since, or to finish an import that was interrupted (docs/migrating.md).
    """
    from modelreg.migrate.mlflow_import import MlflowImporter
    from modelreg.migrate.mlflow_source import MlflowSource
    from modelreg.migrate.progress import terminal_progress
    from modelreg.service.assembly import build_services
    from modelreg.service.imports import ImportService

    settings = Settings.from_env(backend_store_uri, artifacts_destination)
    # As the server: locations under the artifacts destination, nothing external.
    services = build_services(settings.served())
    snapshotter = services.registry.snapshotter
    if snapshotter is None:  # pragma: no cover - build_services always makes one
        raise click.ClickException("The registry has no artifact store to copy into.")
    source = MlflowSource(source_url)
    importer = MlflowImporter(
        source,
        ImportService(services.db, source.url, actor=settings.actor),
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
    click.echo(f"Imported from {source.url}:")
    for line in summary.lines():
        click.echo(line)
