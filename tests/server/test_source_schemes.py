"""A server stores external sources only with the URI schemes it was told to accept.

Issue 8: a stored source is handed to every client that loads the version, who then
downloads from it; ``http://…`` and ``C:\\…`` were stored by default.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

from modelreg.config import ALLOWED_SOURCE_SCHEMES_ENV, Settings, allowed_source_schemes
from modelreg.errors import InvalidArgument
from modelreg.server import ServerSettings, create_app
from tests.server.asgi import TestClient, asgi_client

CREATE = "/api/2.0/mlflow/model-versions/create"


def _client(settings: Settings) -> Iterator[TestClient]:
    app: Starlette = create_app(settings, ServerSettings())
    with asgi_client(app) as client:
        client.post("/api/2.0/mlflow/registered-models/create", json={"name": "m"})
        yield client


@pytest.fixture
def default_server(sqlite_uri: str, tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(Settings(tracking_uri=sqlite_uri, artifact_root=str(tmp_path / "a")))


@pytest.mark.parametrize("source", ["http://host/model", "C:\\models\\m", "s3://b/model"])
def test_the_default_server_stores_no_external_source(
    default_server: TestClient, source: str
) -> None:
    answer = default_server.post(CREATE, json={"name": "m", "source": source})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "(MODELREG_ALLOWED_SOURCE_SCHEMES): none." in answer.json()["message"]


def test_configured_schemes_are_stored(
    sqlite_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ALLOWED_SOURCE_SCHEMES_ENV, " S3, gs:// ,")
    assert allowed_source_schemes() == {"s3", "gs"}
    settings = Settings.from_env(sqlite_uri, str(tmp_path / "a"))
    for client in _client(settings):
        stored = client.post(CREATE, json={"name": "m", "source": "s3://b/model"})
        assert stored.status_code == 200, stored.text
        refused = client.post(CREATE, json={"name": "m", "source": "http://host/model"})
        assert refused.status_code == 400
        assert "(MODELREG_ALLOWED_SOURCE_SCHEMES): gs, s3." in refused.json()["message"]


def test_a_bad_scheme_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOWED_SOURCE_SCHEMES_ENV, "s3,9p")
    with pytest.raises(InvalidArgument, match="'9p' is not a URI scheme"):
        allowed_source_schemes()
