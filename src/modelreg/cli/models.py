"""``modelreg models``: registered models (list, get, create, update, rename, delete, tags)."""

from __future__ import annotations

from typing import Any

import click

from modelreg.cli._output import Output, client_command, parse_tags
from modelreg.codec.registry import registered_model_json
from modelreg.limits import SEARCH_MODELS_DEFAULT

MODEL_COLUMNS = [
    ("NAME", "name"),
    ("LATEST", "latest"),
    ("ALIASES", "aliases"),
    ("TAGS", "tags"),
    ("UPDATED", "last_updated_timestamp"),
    ("DESCRIPTION", "description"),
]


def _row(model: dict[str, Any]) -> dict[str, Any]:
    """The table view of a RegisteredModel message: versions and aliases flattened."""
    row = {key: value for key, value in model.items() if key != "latest_versions"}
    return {
        **row,
        "latest": [
            f"{v['version']}:{v['current_stage']}" for v in model.get("latest_versions", [])
        ],
        "aliases": [f"{a['alias']}={a['version']}" for a in model.get("aliases", [])],
        "tags": {t["key"]: t["value"] for t in model.get("tags", [])},
    }


def show_model(out: Output, model: dict[str, Any]) -> None:
    out.record({"registered_model": model}, _row(model))


@click.group()
def models() -> None:
    """Registered models: list, inspect, create, describe, rename, tag, delete."""


@models.command("list")
@click.option("--filter", "filter_string", default=None, help="e.g. \"name LIKE 'churn%'\".")
@click.option(
    "--max-results", type=click.IntRange(min=1), default=SEARCH_MODELS_DEFAULT, show_default=True
)
@click.option("--page-token", default=None, help="Continue from a previous page.")
@client_command
def models_list(
    client: Any, out: Output, filter_string: str | None, max_results: int, page_token: str | None
) -> None:
    """List registered models, newest names first as the server orders them."""
    page = client.search_registered_models(filter_string, max_results, None, page_token)
    found = [registered_model_json(m) for m in page]
    data: dict[str, Any] = {"registered_models": found}
    if page.token:
        data["next_page_token"] = page.token
    out.rows(data, [_row(m) for m in found], MODEL_COLUMNS)
    if page.token and not out.as_json:
        click.echo(f"(more: --page-token {page.token})", err=True)


@models.command("get")
@click.argument("name")
@client_command
def models_get(client: Any, out: Output, name: str) -> None:
    """Show one registered model."""
    show_model(out, registered_model_json(client.get_registered_model(name)))


@models.command("create")
@click.argument("name")
@click.option("--description", default=None)
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Repeatable.")
@client_command
def models_create(
    client: Any, out: Output, name: str, description: str | None, tags: tuple[str, ...]
) -> None:
    """Register a new model NAME."""
    model = client.create_registered_model(name, parse_tags(tags) or None, description)
    show_model(out, registered_model_json(model))


@models.command("update")
@click.argument("name")
@click.option("--description", required=True)
@client_command
def models_update(client: Any, out: Output, name: str, description: str) -> None:
    """Replace a model's description."""
    show_model(out, registered_model_json(client.update_registered_model(name, description)))


@models.command("rename")
@click.argument("name")
@click.argument("new_name")
@client_command
def models_rename(client: Any, out: Output, name: str, new_name: str) -> None:
    """Rename a model (its versions, aliases and history follow)."""
    show_model(out, registered_model_json(client.rename_registered_model(name, new_name)))


@models.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@client_command
def models_delete(client: Any, out: Output, name: str, yes: bool) -> None:
    """Delete a model and all its versions."""
    if not yes:
        click.confirm(f"Delete model {name!r} and all its versions?", abort=True)
    client.delete_registered_model(name)
    out.done({}, f"Deleted model {name!r}.")


@models.group("tag")
def models_tag() -> None:
    """Set or delete a registered model's tags."""


@models_tag.command("set")
@click.argument("name")
@click.argument("key")
@click.argument("value")
@client_command
def models_tag_set(client: Any, out: Output, name: str, key: str, value: str) -> None:
    """Set tag KEY to VALUE on model NAME."""
    client.set_registered_model_tag(name, key, value)
    out.done({}, f"Set tag {key!r} on model {name!r}.")


@models_tag.command("delete")
@click.argument("name")
@click.argument("key")
@client_command
def models_tag_delete(client: Any, out: Output, name: str, key: str) -> None:
    """Delete tag KEY from model NAME."""
    client.delete_registered_model_tag(name, key)
    out.done({}, f"Deleted tag {key!r} from model {name!r}.")
