"""The ``modelreg`` command: one module per command group, registered here.

Errors print one line and exit 1; ``--traceback`` shows the Python stack instead.
"""

from __future__ import annotations

import click

from modelreg._version import __version__
from modelreg.cli._common import spell_out_short_help
from modelreg.cli.aliases import aliases
from modelreg.cli.archive import export, import_
from modelreg.cli.checks import checks
from modelreg.cli.db import db
from modelreg.cli.events import events
from modelreg.cli.gc import gc
from modelreg.cli.import_mlflow import import_mlflow
from modelreg.cli.models import models
from modelreg.cli.policies import policies
from modelreg.cli.requests import requests
from modelreg.cli.server import server
from modelreg.cli.tokens import tokens
from modelreg.cli.users import users
from modelreg.cli.versions import versions
from modelreg.cli.webhooks import webhooks
from modelreg.cli.worker import worker


@click.group()
@click.version_option(__version__, prog_name="modelreg")
@click.option("--traceback", is_flag=True, help="Show the full Python traceback on errors.")
def main(traceback: bool) -> None:
    """modelreg: a fast, MLflow-compatible model registry."""


main.add_command(db)
main.add_command(server)
main.add_command(events)
main.add_command(worker)
main.add_command(webhooks)
main.add_command(users)
main.add_command(tokens)
main.add_command(gc)
main.add_command(export)
main.add_command(import_)
main.add_command(import_mlflow)
main.add_command(models)
main.add_command(versions)
main.add_command(aliases)
main.add_command(requests)
main.add_command(checks)
main.add_command(policies)

spell_out_short_help(main)

__all__ = ["main"]
