"""``modelreg server`` over a real socket: start, serve, shut down gracefully.

The socket tests are marked ``slow`` (a subprocess each, ~2 s): deselect them with
``-m 'not slow'``. Start-up time is measured and recorded (``startup_seconds`` in the
test's user properties, printed with ``-rP``), never asserted.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from modelreg.cli import main
from modelreg.client import MlflowClient
from modelreg.client.http import HttpRegistry
from tests.server.live import Server, running_server


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    # One worker: this test reads the one process's log.
    with running_server(tmp_path, "--workers", "1", "--allowed-source-schemes", "s3") as running:
        # Reported, not asserted: shown by `pytest -rP` and kept in the test's properties.
        request.node.user_properties.append(("startup_seconds", round(running.startup_seconds, 3)))
        print(f"modelreg server start-up: {running.startup_seconds:.3f} s")  # noqa: T201
        yield running


@pytest.mark.slow
def test_serves_over_a_socket_and_exits_gracefully(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = f"{server.url}/api/2.0/mlflow"
    with httpx.Client() as http:
        created = http.post(f"{api}/registered-models/create", json={"name": "m"})
        assert created.status_code == 200
        assert created.headers["content-type"] == "application/json"
        assert "server" not in created.headers  # no product banner
        version = http.post(
            f"{api}/model-versions/create", json={"name": "m", "source": "s3://b/k"}
        )
        assert version.json()["model_version"]["version"] == "1"
        elsewhere = http.post(
            f"{api}/model-versions/create", json={"name": "m", "source": "https://x/m"}
        )
        assert (elsewhere.status_code, elsewhere.json()["error_code"]) == (
            400,
            "INVALID_PARAMETER_VALUE",
        )
        assert "'https' URI" in elsewhere.json()["message"]
        assert "external references: s3." in elsewhere.json()["message"]
        missing = http.get(f"{api}/registered-models/get", params={"name": "nope"})
        assert (missing.status_code, missing.json()["error_code"]) == (
            404,
            "RESOURCE_DOES_NOT_EXIST",
        )

    with HttpRegistry(server.url) as registry:
        assert registry.get_model_version("m", 1).source == "s3://b/k"
    monkeypatch.setenv("MODELREG_TRACKING_USERNAME", "dora")
    client = MlflowClient(tracking_uri=server.url)
    assert client.create_registered_model("n").user_id == "dora"

    lines = server.stop()
    access = [line for line in lines if line["logger"] == "modelreg.access"]
    assert {"method", "path", "status", "duration_ms", "bytes"} <= set(access[-1])
    assert any(line["message"] == "Application shutdown complete." for line in lines)


@pytest.mark.slow
def test_multiple_workers_share_the_port(tmp_path: Path) -> None:
    with running_server(tmp_path, "--workers", "2") as running:
        with httpx.Client() as http:
            for i in range(6):  # new connections, spread over both workers
                response = http.post(
                    f"{running.url}/api/2.0/mlflow/registered-models/create",
                    json={"name": f"m{i}"},
                    headers={"connection": "close"},
                )
                assert response.status_code == 200
        running.stop()


@pytest.mark.parametrize("workers", ["1", "2"])  # 2: checked in a child process
def test_stale_schema_is_a_one_line_error(tmp_path: Path, workers: str) -> None:
    database = tmp_path / "old.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE something_else (id INTEGER)")
    result = CliRunner().invoke(
        main,
        [
            "server",
            "--backend-store-uri",
            f"sqlite:///{database}",
            "--port",
            "0",
            "--workers",
            workers,
        ],
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "modelreg db upgrade" in result.output
    assert "Traceback" not in result.output


def test_the_supervisor_never_loads_the_service_layer() -> None:
    # What `modelreg server --workers N` imports in the process that only watches its
    # workers: the service layer (SQLAlchemy, alembic, the stores) stays out of it.
    script = (
        "import sys, modelreg.cli, modelreg.server.main; "
        "print(sorted(m for m in ('sqlalchemy', 'alembic', 'modelreg.service', "
        "'modelreg.store', 'modelreg.server.app') if m in sys.modules))"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"


def test_http_backend_uri_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["server", "--backend-store-uri", "http://elsewhere:5000", "--port", "0"]
    )
    assert result.exit_code == 1
    assert "stores its metadata in a database" in result.output
