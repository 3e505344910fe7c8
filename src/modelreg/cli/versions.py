"""``modelreg versions``: model versions (list, get, create, update, delete, stage, tags)."""

from __future__ import annotations

from typing import Any

import click

from modelreg.cli._output import Output, client_command, parse_tags
from modelreg.codec.registry import model_version_json
from modelreg.entities import STAGES
from modelreg.limits import SEARCH_VERSIONS_DEFAULT

VERSION_COLUMNS = [
    ("VERSION", "version"),
    ("STAGE", "current_stage"),
    ("STATUS", "status"),
    ("ALIASES", "aliases"),
    ("RUN_ID", "run_id"),
    ("SOURCE", "source"),
    ("CREATED", "creation_timestamp"),
]


def _row(mv: dict[str, Any]) -> dict[str, Any]:
    return {**mv, "tags": {t["key"]: t["value"] for t in mv.get("tags", [])}}


def show_version(out: Output, mv: dict[str, Any]) -> None:
    out.record({"model_version": mv}, _row(mv))


def _quoted(name: str) -> str:
    # A filter string literal: single quotes inside the name are doubled.
    return "'" + name.replace("'", "''") + "'"


@click.group()
def versions() -> None:
    """Model versions: list, inspect, create, describe, move between stages, tag, delete."""


@versions.command("list")
@click.argument("name")
@click.option(
    "--max-results",
    type=click.IntRange(min=1),
    default=SEARCH_VERSIONS_DEFAULT,
    show_default=True,
)
@click.option("--page-token", default=None, help="Continue from a previous page.")
@client_command
def versions_list(
    client: Any, out: Output, name: str, max_results: int, page_token: str | None
) -> None:
    """List the versions of model NAME, newest first."""
    page = client.search_model_versions(
        f"name = {_quoted(name)}", max_results, ["version_number DESC"], page_token
    )
    found = [model_version_json(mv) for mv in page]
    if not found and page_token is None:
        client.get_registered_model(name)  # NotFound (exit 3) when the model is missing
    data: dict[str, Any] = {"model_versions": found}
    if page.token:
        data["next_page_token"] = page.token
    out.rows(data, [_row(mv) for mv in found], VERSION_COLUMNS)
    if page.token and not out.as_json:
        click.echo(f"(more: --page-token {page.token})", err=True)


@versions.command("get")
@click.argument("name")
@click.argument("version")
@client_command
def versions_get(client: Any, out: Output, name: str, version: str) -> None:
    """Show version VERSION of model NAME."""
    show_version(out, model_version_json(client.get_model_version(name, version)))


@versions.command("create")
@click.argument("name")
@click.argument("source")
@click.option("--run-id", default=None, help="The run that produced the model.")
@click.option("--description", default=None)
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Repeatable.")
@client_command
def versions_create(
    client: Any,
    out: Output,
    name: str,
    source: str,
    run_id: str | None,
    description: str | None,
    tags: tuple[str, ...],
) -> None:
    """Register SOURCE (an artifact URI) as the next version of model NAME."""
    mv = client.create_model_version(
        name, source, run_id=run_id, tags=parse_tags(tags) or None, description=description
    )
    show_version(out, model_version_json(mv))


@versions.command("update")
@click.argument("name")
@click.argument("version")
@click.option("--description", required=True)
@client_command
def versions_update(client: Any, out: Output, name: str, version: str, description: str) -> None:
    """Replace a version's description."""
    show_version(out, model_version_json(client.update_model_version(name, version, description)))


@versions.command("delete")
@click.argument("name")
@click.argument("version")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@client_command
def versions_delete(client: Any, out: Output, name: str, version: str, yes: bool) -> None:
    """Delete version VERSION of model NAME."""
    if not yes:
        click.confirm(f"Delete version {version} of model {name!r}?", abort=True)
    client.delete_model_version(name, version)
    out.done({}, f"Deleted version {version} of model {name!r}.")


@versions.command("transition")
@click.argument("name")
@click.argument("version")
@click.argument("stage", type=click.Choice(STAGES, case_sensitive=False))
@click.option("--archive-existing", is_flag=True, help="Archive the versions now in STAGE.")
@client_command
def versions_transition(
    client: Any, out: Output, name: str, version: str, stage: str, archive_existing: bool
) -> None:
    """Move a version to STAGE (subject to the model's promotion policy)."""
    mv = client.transition_model_version_stage(name, version, stage, archive_existing)
    show_version(out, model_version_json(mv))


@versions.command("download-uri")
@click.argument("name")
@click.argument("version")
@client_command
def versions_download_uri(client: Any, out: Output, name: str, version: str) -> None:
    """Print where a version's files can be downloaded from."""
    uri = client.get_model_version_download_uri(name, version)
    out.done({"artifact_uri": uri}, uri)


@versions.group("tag")
def versions_tag() -> None:
    """Set or delete a model version's tags."""


@versions_tag.command("set")
@click.argument("name")
@click.argument("version")
@click.argument("key")
@click.argument("value")
@client_command
def versions_tag_set(
    client: Any, out: Output, name: str, version: str, key: str, value: str
) -> None:
    """Set tag KEY to VALUE on version VERSION of model NAME."""
    client.set_model_version_tag(name, version, key, value)
    out.done({}, f"Set tag {key!r} on version {version} of model {name!r}.")


@versions_tag.command("delete")
@click.argument("name")
@click.argument("version")
@click.argument("key")
@client_command
def versions_tag_delete(client: Any, out: Output, name: str, version: str, key: str) -> None:
    """Delete tag KEY from version VERSION of model NAME."""
    client.delete_model_version_tag(name, version, key)
    out.done({}, f"Deleted tag {key!r} from version {version} of model {name!r}.")
