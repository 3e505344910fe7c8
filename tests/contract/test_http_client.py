"""What only the HTTP transport has: credentials, transport failures, foreign responses."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from modelreg.client import MlflowClient
from modelreg.client.http import HttpRegistry, auth_for, shared_client
from modelreg.config import Credentials, tracking_credentials
from modelreg.errors import (
    InvalidArgument,
    NotFound,
    RegistryError,
    TemporarilyUnavailable,
    Unauthenticated,
)
from modelreg.limits import SEARCH_VERSIONS_DEFAULT


def _registry(handler: httpx.MockTransport) -> HttpRegistry:
    return HttpRegistry("http://registry.test", http=httpx.Client(transport=handler))


def _reply(status: int, body: bytes, content_type: str = "application/json") -> httpx.MockTransport:
    return httpx.MockTransport(
        lambda request: httpx.Response(status, content=body, headers={"content-type": content_type})
    )


def test_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("USERNAME", "PASSWORD", "TOKEN"):
        monkeypatch.delenv(f"MODELREG_TRACKING_{name}", raising=False)
        monkeypatch.delenv(f"MLFLOW_TRACKING_{name}", raising=False)
    assert tracking_credentials() == Credentials()
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ml")
    monkeypatch.setenv("MODELREG_TRACKING_USERNAME", "mr")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "pw")
    found = tracking_credentials()
    assert (found.username, found.password) == ("mr", "pw")
    assert "pw" not in repr(found)


def test_basic_and_bearer_auth_headers() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", ""))
        return httpx.Response(200, json={})

    for credentials in (Credentials("alice", "s3cret"), Credentials(token="tok"), Credentials()):
        client = httpx.Client(transport=httpx.MockTransport(handler), auth=auth_for(credentials))
        HttpRegistry("http://r", http=client).delete_registered_model("m")
    assert seen == [
        "Basic " + base64.b64encode(b"alice:s3cret").decode(),
        "Bearer tok",
        "",
    ]


def test_shared_pool_per_credentials() -> None:
    assert shared_client(Credentials("a")) is shared_client(Credentials("a"))
    assert shared_client(Credentials("a")) is not shared_client(Credentials("b"))


def test_requests_on_the_wire() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    registry = _registry(httpx.MockTransport(handler))
    registry.delete_model_version_tag("m", 3, "k")
    registry.search_model_versions("name = 'm'", order_by=["name", "version_number DESC"])
    delete, search = sent
    assert (delete.method, delete.url.path) == (
        "DELETE",
        "/api/2.0/mlflow/model-versions/delete-tag",
    )
    assert delete.headers["content-type"] == "application/json"
    assert json.loads(delete.content) == {"name": "m", "version": "3", "key": "k"}
    assert search.url.params.get_list("order_by") == ["name", "version_number DESC"]
    assert search.url.params["max_results"] == str(SEARCH_VERSIONS_DEFAULT)


def test_unreachable_server_is_temporarily_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(TemporarilyUnavailable, match="Cannot reach the modelreg server"):
        _registry(httpx.MockTransport(refuse)).get_registered_model("m")


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (502, b"<html>Bad Gateway</html>", TemporarilyUnavailable),
        (401, b"", Unauthenticated),
        (404, b"not json", NotFound),
        (418, b"teapot", RegistryError),
        (400, b'{"error_code": "BAD_REQUEST", "message": "nope"}', InvalidArgument),
        (500, b'{"error_code": "SOMETHING_NEW", "message": "hm"}', RegistryError),
    ],
)
def test_error_responses_map_to_the_error_tree(
    status: int, body: bytes, expected: type[RegistryError]
) -> None:
    with pytest.raises(expected) as caught:
        _registry(_reply(status, body)).get_registered_model("m")
    assert type(caught.value) is expected
    if status == 500:
        assert caught.value.error_code == "SOMETHING_NEW"


@pytest.mark.parametrize("body", [b"[]", b"<html>", b'{"registered_model": {"nameless": true}}'])
def test_malformed_success_bodies_are_registry_errors(body: bytes) -> None:
    with pytest.raises(RegistryError, match="server at http://registry.test"):
        _registry(_reply(200, body)).get_registered_model("m")


def test_mlflow_client_picks_the_http_transport() -> None:
    client = MlflowClient(tracking_uri="http://127.0.0.1:9")
    assert isinstance(client._registry, HttpRegistry)
    assert client._registry.base_url == "http://127.0.0.1:9"


def test_tracking_requests_on_the_wire() -> None:
    import math

    from modelreg.client.http_tracking import HttpTracking

    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    tracking = HttpTracking("http://t", http=httpx.Client(transport=httpx.MockTransport(handler)))
    tracking.log_metric("r1", "loss", math.nan, timestamp=5)
    tracking.delete_logged_model_tag("m-1", "a/b c")
    tracking.log_batch("r1", params={"depth": 4, "none": None}, tags={"t": 1})
    metric, tag, batch = sent
    assert json.loads(metric.content) == {
        "run_id": "r1",
        "run_uuid": "r1",
        "key": "loss",
        "value": "NaN",  # proto JSON's spelling: a bare NaN is not JSON
        "timestamp": 5,
        "step": 0,
    }
    assert (tag.method, tag.url.raw_path) == (
        "DELETE",
        b"/api/2.0/mlflow/logged-models/m-1/tags/a%2Fb%20c",
    )
    assert json.loads(batch.content) == {
        "run_id": "r1",
        "params": [{"key": "depth", "value": "4"}, {"key": "none", "value": "None"}],
        "tags": [{"key": "t", "value": "1"}],
    }


def test_missing_experiment_by_name_is_none_only_for_that_error() -> None:
    from modelreg.client.http_tracking import HttpTracking

    body = b'{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Could not find"}'
    tracking = HttpTracking("http://t", http=httpx.Client(transport=_reply(404, body)))
    assert tracking.get_experiment_by_name("x") is None
    broken = HttpTracking("http://t", http=httpx.Client(transport=_reply(503, b"down")))
    with pytest.raises(TemporarilyUnavailable):
        broken.get_experiment_by_name("x")
