"""Fixtures for the server tests: an app on a fresh SQLite per test, and a client for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

from modelreg.config import Settings
from modelreg.server import ServerSettings, create_app
from tests.server.asgi import TestClient, asgi_client


@pytest.fixture
def settings(sqlite_uri: str, tmp_path: Path) -> Settings:
    return Settings(tracking_uri=sqlite_uri, artifact_root=str(tmp_path / "artifacts"))


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
