"""Run ``modelreg`` in-process against one tracking URI and read its answers."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner, Result

from modelreg.cli import main


class Cli:
    """``modelreg …`` with ``MODELREG_TRACKING_URI`` set, as a user's shell would have it."""

    def __init__(self, tracking_uri: str) -> None:
        self.tracking_uri = tracking_uri
        self.runner = CliRunner()

    def run(self, *args: str, code: int = 0) -> Result:
        result = self.runner.invoke(
            main, list(args), env={"MODELREG_TRACKING_URI": self.tracking_uri}
        )
        assert result.exit_code == code, (result.exit_code, result.output, result.exception)
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)
