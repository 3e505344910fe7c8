"""The ``modelreg`` command: one module per command group, registered here.

Errors print one line and exit 1; ``--traceback`` shows the Python stack instead.
"""

from __future__ import annotations

import click

from modelreg._version import __version__
from modelreg.cli.archive import export, import_
from modelreg.cli.db import db
from modelreg.cli.import_mlflow import import_mlflow
from modelreg.cli.server import server


@click.group()
@click.version_option(__version__, prog_name="modelreg")
@click.option("--traceback", is_flag=True, help="Show the full Python traceback on errors.")
def main(traceback: bool) -> None:
    """modelreg: a fast, MLflow-compatible model registry."""


main.add_command(db)
main.add_command(server)
main.add_command(export)
main.add_command(import_)
main.add_command(import_mlflow)

__all__ = ["main"]
