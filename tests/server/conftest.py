"""Fixtures for the server tests: an app on a fresh SQLite per test, and a client for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette

from modelreg.config import Settings
from modelreg.server import ServerSettings, create_app
from tests.server.asgi import TestClient, asgi_client, free_port


@pytest.fixture
def settings(sqlite_uri: str, tmp_path: Path) -> Settings:
    # Tests register s3:// sources, which a server stores only for schemes it allows.
    return Settings(
        tracking_uri=sqlite_uri,
        artifact_root=str(tmp_path / "artifacts"),
        allowed_source_schemes=frozenset({"s3"}),
    )


@pytest.fixture
def server_settings() -> ServerSettings:
    return ServerSettings()


@pytest.fixture
def app(settings: Settings, server_settings: ServerSettings) -> Starlette:
    return create_app(settings, server_settings)


@pytest.fixture
def http(app: Starlette) -> Iterator[TestClient]:
    with asgi_client(app) as client:  # runs the lifespan (schema check, dispose)
        yield client


@pytest.fixture
def live_server(app: Starlette) -> Iterator[str]:
    """The app on a real socket (uvicorn in a thread, 127.0.0.1, a free port)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


# The --auth tests' app, cast and live server (tests/server/auth_env.py).
from tests.server.auth_env import (  # noqa: E402, F401
    auth_app,
    auth_server_settings,
    env,
    fast_hashes,
    live_env,
)
