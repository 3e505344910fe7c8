"""The ``cli`` fixture: each test runs against the embedded store and a live server.

One server per test module (starting one is the slow part on a busy machine); every
test's models are deleted after it, so each starts from an empty registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelreg.client import MlflowClient
from tests.cli.helpers import Cli
from tests.server.live import Server, running_server


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # One worker: enough for a CLI, and light on a shared machine.
    folder = tmp_path_factory.mktemp("cli-server")
    # The tests register s3:// references, which a server stores only for allowed schemes.
    with running_server(folder, "--workers", "1", "--allowed-source-schemes", "s3") as server:
        yield server


@pytest.fixture(params=["embedded", "server"])
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cli]:
    if request.param == "embedded":
        yield Cli(f"sqlite:///{tmp_path / 'cli.db'}")
        return
    server: Server = request.getfixturevalue("live_server")
    yield Cli(server.url)
    client = MlflowClient(server.url)
    for model in client.search_registered_models(max_results=1000):
        client.delete_registered_model(model.name)
