"""Bounded reads are served from a per-worker cache only while nothing was committed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import modelreg.server.api as api_module
from modelreg.config import Settings
from modelreg.server import ServerSettings, create_app
from modelreg.server.read_cache import ReadCache
from modelreg.service import RegistryService
from modelreg.store.database import Database
from modelreg.store.prepared import Prepared
from modelreg.store.registry import RegistryStore
from tests.server.asgi import TestClient, asgi_client

API = "/api/2.0/mlflow"


def test_a_kept_response_is_served_only_under_its_token() -> None:
    cache = ReadCache(2)
    cache.put(("a",), 7, b"A")
    assert cache.get(("a",), 7) == b"A"
    assert cache.get(("a",), 8) is None  # something was committed since
    assert cache.get(("a",), 7) is None  # and the stale entry is gone
    assert len(cache) == 0


def test_the_least_recently_used_response_goes_first() -> None:
    cache = ReadCache(2)
    cache.put(("a",), 1, b"A")
    cache.put(("b",), 1, b"B")
    assert cache.get(("a",), 1) == b"A"
    cache.put(("c",), 1, b"C")
    assert cache.get(("b",), 1) is None
    assert cache.get(("a",), 1) == b"A" and cache.get(("c",), 1) == b"C"


def test_entries_must_be_positive() -> None:
    with pytest.raises(ValueError, match="entries"):
        ReadCache(0)


def test_the_kept_bytes_stay_within_the_budget() -> None:
    cache = ReadCache(100, max_bytes=64 * 10)
    for name in "abcdefgh":
        cache.put((name,), 1, b"x" * 10)
    assert cache.kept_bytes == 80 and len(cache) == 8
    cache.put(("big",), 1, b"x" * 11)  # more than a 64th of the budget: never kept
    assert cache.get(("big",), 1) is None and cache.kept_bytes == 80
    cache.put(("a",), 1, b"y" * 10)  # replacing an entry counts its size once
    assert cache.kept_bytes == 80
    assert cache.get(("a",), 2) is None  # a stale entry gives its bytes back
    assert cache.kept_bytes == 70


def test_the_least_recently_used_go_first_when_the_bytes_run_out() -> None:
    cache = ReadCache(100, max_bytes=64 * 10)
    for number in range(70):
        cache.put((number,), 1, b"x" * 10)
    assert cache.kept_bytes <= 640 and len(cache) == 64
    assert cache.get((0,), 1) is None and cache.get((69,), 1) == b"x" * 10


class CountingReads:
    """Counts the service's get_model_version calls behind the app."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = RegistryService.get_model_version

        def counted(service: RegistryService, *args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return original(service, *args, **kwargs)

        monkeypatch.setattr(RegistryService, "get_model_version", counted)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        tracking_uri=f"sqlite:///{tmp_path / 'registry.db'}",
        artifact_root=str(tmp_path / "artifacts"),
        allowed_source_schemes=frozenset({"s3"}),
    )


@pytest.fixture
def http(settings: Settings) -> Iterator[TestClient]:
    with asgi_client(create_app(settings)) as client:
        assert client.post(f"{API}/registered-models/create", json={"name": "m"}).status_code == 200
        made = client.post(f"{API}/model-versions/create", json={"name": "m", "source": "s3://b/k"})
        assert made.status_code == 200
        yield client


def _version(http: TestClient) -> dict[str, Any]:
    response = http.get(f"{API}/model-versions/get", params={"name": "m", "version": "1"})
    assert response.status_code == 200
    found: dict[str, Any] = response.json()["model_version"]
    return found


def test_repeated_reads_are_served_from_the_cache(
    http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = CountingReads(monkeypatch)
    first = _version(http)
    assert _version(http) == first
    assert reads.calls == 1


def test_a_write_through_the_server_is_seen_at_once(
    http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = CountingReads(monkeypatch)
    _version(http)
    tagged = http.post(
        f"{API}/model-versions/set-tag",
        json={"name": "m", "version": "1", "key": "k", "value": "v"},
    )
    assert tagged.status_code == 200
    assert _version(http)["tags"] == [{"key": "k", "value": "v"}]
    assert reads.calls == 2


def test_a_write_by_another_process_or_client_is_seen_at_once(
    http: TestClient, settings: Settings
) -> None:
    assert "tags" not in _version(http)
    # Another connection to the same file (a second worker, an embedded client, ...).
    other = Database(settings.tracking_uri)
    try:
        RegistryService(other).set_model_version_tag("m", 1, "by", "another")
    finally:
        other.dispose()
    assert _version(http)["tags"] == [{"key": "by", "value": "another"}]


def test_a_post_read_is_kept_by_its_body_and_served_without_parsing_it(
    http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[bytes] = []
    original = api_module.parse_body

    def counted(method: str, content_type: str | None, query: bytes, body: bytes) -> Any:
        parsed.append(body)
        return original(method, content_type, query, body)

    monkeypatch.setattr(api_module, "parse_body", counted)
    url = f"{API}/registered-models/get-latest-versions"
    first = http.post(url, json={"name": "m"})
    again = http.post(url, json={"name": "m"})
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert len(parsed) == 1  # the second answer came from the cache, unparsed
    other = http.post(url, json={"name": "m", "stages": ["Production"]})
    assert other.status_code == 200 and other.json() == {}  # other bytes: computed
    assert len(parsed) == 2
    bad = http.post(url, content=b'{"name": ', headers={"content-type": "application/json"})
    assert bad.status_code == 400 and bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_errors_are_not_kept(http: TestClient) -> None:
    missing = {"name": "m", "version": "2"}
    assert http.get(f"{API}/model-versions/get", params=missing).status_code == 404
    http.post(f"{API}/model-versions/create", json={"name": "m", "source": "s3://b/k2"})
    assert http.get(f"{API}/model-versions/get", params=missing).status_code == 200


def test_the_cache_can_be_turned_off(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(settings, ServerSettings(read_cache_entries=0))
    with asgi_client(app) as http:
        http.post(f"{API}/registered-models/create", json={"name": "m"})
        http.post(f"{API}/model-versions/create", json={"name": "m", "source": "s3://b/k"})
        reads = CountingReads(monkeypatch)
        _version(http)
        _version(http)
        assert reads.calls == 2


class CountingSearches:
    """Counts the service's search_model_versions calls behind the app, and their threads."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.threads: list[str] = []
        original = RegistryService.search_model_versions

        def counted(service: RegistryService, *args: Any, **kwargs: Any) -> Any:
            self.threads.append(threading.current_thread().name)
            return original(service, *args, **kwargs)

        monkeypatch.setattr(RegistryService, "search_model_versions", counted)


def _search(http: TestClient, filter_string: str = "name='m'") -> list[dict[str, Any]]:
    response = http.get(f"{API}/model-versions/search", params={"filter": filter_string})
    assert response.status_code == 200
    found: list[dict[str, Any]] = response.json().get("model_versions", [])
    return found


def test_repeated_searches_are_kept_but_run_on_a_thread(
    http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    searches = CountingSearches(monkeypatch)
    first = _search(http)
    assert [v["version"] for v in first] == ["1"]
    assert _search(http) == first
    assert _search(http, "name='other'") == []
    # The same search once, the other once: each ran on a pool thread (it may scan).
    assert len(searches.threads) == 2
    assert all(name.startswith("modelreg-call") for name in searches.threads)


def test_a_kept_search_is_not_served_after_any_commit(
    http: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    searches = CountingSearches(monkeypatch)
    assert len(_search(http)) == 1
    http.post(f"{API}/model-versions/create", json={"name": "m", "source": "s3://b/k2"})
    assert [v["version"] for v in _search(http)] == ["2", "1"]
    other = Database(settings.tracking_uri)
    try:
        RegistryService(other).set_model_version_tag("m", 1, "by", "another")
    finally:
        other.dispose()
    tagged = next(v for v in _search(http) if v["version"] == "1")
    assert tagged["tags"] == [{"key": "by", "value": "another"}]
    assert len(searches.threads) == 3


def test_registered_model_searches_are_kept_too(http: TestClient) -> None:
    def names() -> list[str]:
        response = http.get(f"{API}/registered-models/search", params={"filter": "name LIKE 'm%'"})
        assert response.status_code == 200
        return [m["name"] for m in response.json().get("registered_models", [])]

    assert names() == ["m"]
    assert names() == ["m"]
    http.post(f"{API}/registered-models/create", json={"name": "m2"})
    assert names() == ["m", "m2"]


def test_a_read_cancelled_by_the_statement_timeout_is_a_400_and_is_not_kept(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Bounded reads run on the event loop, through the cache, with their statements on
    # the driver's cursor: a statement timeout there is rendered like anywhere else
    # (400 DEADLINE_EXCEEDED, not retryable), and the next request runs again.
    app = create_app(replace(settings, statement_timeout_ms=200))
    # Long but finite: if the deadline missed it, the test fails instead of hanging.
    long = Prepared(
        text(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
            "WHERE x < 5000000) SELECT max(x) FROM c"
        )
    )
    original = RegistryStore.version_row
    ran_on: list[str] = []

    def slow_version_row(store: RegistryStore, name: str, version: int) -> Any:
        ran_on.append(threading.current_thread().name)
        long.all(store.conn, {})
        return original(store, name, version)

    with asgi_client(app) as http:
        http.post(f"{API}/registered-models/create", json={"name": "m"})
        http.post(f"{API}/model-versions/create", json={"name": "m", "source": "s3://b/k"})
        monkeypatch.setattr(RegistryStore, "version_row", slow_version_row)
        for _ in range(2):
            response = http.get(f"{API}/model-versions/get", params={"name": "m", "version": "1"})
            assert response.status_code == 400
            assert "retry-after" not in response.headers
            body = response.json()
            assert body["error_code"] == "DEADLINE_EXCEEDED"
            assert body["message"].startswith("The query ran longer than the 0.2 s statement")
        assert len(ran_on) == 2  # the failure was not kept
        assert not any(name.startswith("modelreg-call") for name in ran_on)  # inline
        monkeypatch.setattr(RegistryStore, "version_row", original)
        assert _version(http)["version"] == "1"
