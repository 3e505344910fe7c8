"""``modelreg gc``: free registry copies that no model version references."""

from __future__ import annotations

import time

import click

from modelreg.cli._common import BACKEND_OPTION, friendly_errors
from modelreg.config import Settings


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{value:.1f} {unit}"


@click.command("gc", short_help="Free registry copies no version references (dry run first).")
@BACKEND_OPTION
@click.option(
    "--artifacts-destination",
    envvar="MODELREG_ARTIFACT_ROOT",
    default=None,
    help="The server's artifacts destination (folder or s3://bucket/prefix).",
)
@click.option(
    "--apply",
    "apply_changes",
    is_flag=True,
    help="Delete the copies. Without it, only list what would be freed (a dry run).",
)
@friendly_errors
def gc(
    backend_store_uri: str | None, artifacts_destination: str | None, apply_changes: bool
) -> None:
    """Free registry copies (_registry/…) that no model version references.

    Copies are removed with their last version since migration 0005 (#8); this
    sweeps those left by deletions before that. A copy any version references is never
    touched: each is checked again in the transaction that removes it.
    """
    from modelreg.service.assembly import build_services
    from modelreg.service.registry_gc import DEFAULT_GRACE_MS, find_orphans, remove_orphans

    settings = Settings.from_env(backend_store_uri, artifacts_destination)
    services = build_services(settings)
    try:
        services.db.ensure_schema()
        store = services.artifacts.store
        reserved_before = int(time.time() * 1000) - DEFAULT_GRACE_MS
        orphans = find_orphans(services.db, store, reserved_before)
        if apply_changes:
            orphans = remove_orphans(services.db, store, orphans, reserved_before)
        verb = "freed" if apply_changes else "would free"
        for orphan in orphans:
            click.echo(f"{verb} {orphan.location}  {orphan.files} files  {_size(orphan.size)}")
        total = sum(o.size for o in orphans)
        click.echo(f"{len(orphans)} orphaned copies, {_size(total)} {verb}.")
        if orphans and not apply_changes:
            click.echo("Dry run: nothing was deleted. Run `modelreg gc --apply` to delete.")
    finally:
        services.db.dispose()
