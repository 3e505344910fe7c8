"""The security checklist's file and fetch items, T-05..T-12, against the served app.

``reference/security-checklist.md`` §4. Every attack must end in a 4xx (never a 5xx,
which the MLflow client would retry for minutes), and must neither read nor change
anything outside the artifacts destination. ``MARK`` is a canary file beside the
destination (``<tmp>/mr-canary/secret.txt``); ``canary_url`` is an HTTP listener that
records any request the server might be tricked into making.

Paths are sent with :func:`~tests.server.asgi.raw_request` where an HTTP client would
normalise them (``..`` segments, backslashes): it builds the request as uvicorn does,
decoding the path exactly once.
"""

from __future__ import annotations

import http.client
import http.server
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from modelreg.config import Settings
from modelreg.server import create_app
from tests.server.asgi import RawResponse, TestClient, asgi_client, raw_request
from tests.server.live import running_server

API = "/api/2.0/mlflow"
FILES = "/api/2.0/mlflow-artifacts/artifacts"
SECRET = b"MR-CANARY-42"
PROMPT_TAG = [{"key": "mlflow.prompt.is_prompt", "value": "true"}]


# ------------------------------------------------------------------ fixtures
@pytest.fixture
def destination(settings: Settings) -> Path:
    root = Path(settings.artifact_root)
    root.mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture
def mark(tmp_path: Path, destination: Path) -> Path:
    """``<tmp>/mr-canary``: beside the destination, so ``../mr-canary`` escapes it."""
    folder = tmp_path / "mr-canary"
    folder.mkdir()
    (folder / "secret.txt").write_bytes(SECRET)
    (folder / "del.txt").write_bytes(b"delete me and the test fails")
    return folder


# The server's own files beside the destination: its database and its log.
_SERVER_FILES = ("registry.db", "server.log")


def _outside(tmp_path: Path, destination: Path) -> dict[str, tuple[int, bytes]]:
    """Every file outside the destination (the database aside), with its contents."""
    found = {}
    for path in tmp_path.rglob("*"):
        if path.is_dir() or destination in path.parents or path.name.startswith(_SERVER_FILES):
            continue
        found[str(path)] = (path.stat().st_size, path.read_bytes())
    return found


@pytest.fixture
def untouched(tmp_path: Path, destination: Path, mark: Path) -> Iterator[None]:
    """Fails the test if any file outside the destination appears, changes or goes."""
    before = _outside(tmp_path, destination)
    yield
    assert _outside(tmp_path, destination) == before


class _Canary(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(SECRET)

    do_PUT = do_POST = do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def canary() -> Iterator[tuple[str, list[str]]]:
    """An HTTP listener on 127.0.0.1; yields its URL and the paths it was asked for."""
    hits: list[str] = []
    handler = type("Canary", (_Canary,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def rejected(response: Any, *, status: int = 400, code: str = "INVALID_PARAMETER_VALUE") -> str:
    """Assert a clean 4xx JSON refusal and return its message."""
    status_code = response.status if isinstance(response, RawResponse) else response.status_code
    body = response.json()
    assert status_code == status, (status_code, body)
    assert body["error_code"] == code, body
    assert SECRET.decode() not in str(body)
    return body["message"]  # type: ignore[no-any-return]


def _create_model(http: TestClient, name: str = "lfi") -> None:
    assert http.post(f"{API}/registered-models/create", json={"name": name}).status_code == 200


def _create_version(http: TestClient, **body: Any) -> Any:
    return http.post(f"{API}/model-versions/create", json={"name": "lfi", **body})


def _run(http: TestClient) -> dict[str, Any]:
    response = http.post(f"{API}/runs/create", json={"experiment_id": "0"})
    return response.json()["run"]["info"]  # type: ignore[no-any-return]


def _source_variants(mark: Path, tmp_path: Path) -> list[str]:
    hostname = socket.gethostname()
    encoded = "%2e%2e%2f" * 6 + str(mark).lstrip("/").replace("/", "%2f")
    return [
        str(mark),
        f"{mark}/secret.txt",
        f"file://{mark}/",
        f"file://localhost{mark}/",
        f"file://{hostname}{mark}/",
        f"file://.{mark}",
        f"file:{mark}",
        f"file:{str(mark).lstrip('/')}",
        f"//proc/self/root{mark}/",
        f"file://{mark}/#",
        f"file://{mark}/?x",
        "../" * 8 + str(mark).lstrip("/"),
        "../mr-canary",
        encoded,
        encoded.replace("%", "%25"),
        encoded.replace("%", "%2525"),
        # Inside the server's own folders, outside the destination: its database folder.
        str(tmp_path),
        f"file://{tmp_path}/",
        "mlflow-artifacts:/../mr-canary",
        "mlflow-artifacts:/../../../../" + str(mark).lstrip("/"),
        "mlflow-artifacts:/0/%2e%2e/%2e%2e/mr-canary",
    ]


# ------------------------------------------------------------------- T-05
def test_t05_source_lfi_direct(
    http: TestClient, mark: Path, tmp_path: Path, untouched: None
) -> None:
    _create_model(http)
    for source in _source_variants(mark, tmp_path):
        rejected(_create_version(http, source=source))
    # Nothing was registered, so there is nothing to download either.
    found = http.get(f"{API}/model-versions/search", params={"filter": "name = 'lfi'"})
    assert found.json() == {}
    # MLflow's own file-serving routes do not exist here at all.
    for path in ("/model-versions/get-artifact", "/get-artifact"):
        response = http.get(path, params={"name": "lfi", "version": "1", "path": "secret.txt"})
        rejected(response, status=404, code="ENDPOINT_NOT_FOUND")


def test_t05_run_source_traversal(http: TestClient, untouched: None) -> None:
    _create_model(http)
    run = _run(http)
    run_id = run["run_id"]
    for suffix in ("../../..", "model/../../../..", "%2e%2e/%2e%2e/%2e%2e", "a%3f/../../../.."):
        response = _create_version(http, source=f"runs:/{run_id}/{suffix}", run_id=run_id)
        rejected(response)


# ------------------------------------------------------------------- T-06
@pytest.mark.parametrize(
    "location",
    [
        "file:///tmp/mr-canary",
        "/tmp/mr-canary",
        "http:///?/../../../../tmp/mr-canary/",
        "http:///#/../../../../tmp/mr-canary/",
        "dbfs:/x",
        "mlflow-artifacts:/../../tmp/mr-canary",
    ],
)
def test_t06_experiment_artifact_location_is_refused(
    http: TestClient, location: str, untouched: None
) -> None:
    response = http.post(
        f"{API}/experiments/create", json={"name": "e", "artifact_location": location}
    )
    assert "artifact_location" in rejected(response)
    assert (
        http.get(f"{API}/experiments/get-by-name", params={"experiment_name": "e"}).status_code
        == 404
    )


def test_t06_run_scoped_sources_outside_the_run(
    http: TestClient, mark: Path, untouched: None
) -> None:
    _create_model(http)
    run = _run(http)
    base = run["artifact_uri"]  # mlflow-artifacts:/0/<run>/artifacts
    for source in (
        f"file://{mark}/",
        f"{base}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/mr-canary",
        f"{base}/a%3f/../../../../mr-canary",
        f"{base}/#/../../../../mr-canary",
        f"{base}/../../../../mr-canary",
    ):
        rejected(_create_version(http, source=source, run_id=run["run_id"]))


# ------------------------------------------------------------------- T-07
def test_t07_prompt_tag_does_not_skip_validation(
    http: TestClient, mark: Path, tmp_path: Path, untouched: None
) -> None:
    _create_model(http)
    for source in _source_variants(mark, tmp_path):
        rejected(_create_version(http, source=source, tags=PROMPT_TAG))


# ------------------------------------------------------------------- T-08
def test_t08_indirect_sources_never_fetch(
    http: TestClient,
    settings: Settings,
    canary: tuple[str, list[str]],
    tmp_path: Path,
    untouched: None,
) -> None:
    url, hits = canary
    _create_model(http)
    rejected(_create_version(http, source="mlflow-artifacts:/../../x"))
    remote = f"{url}/api/2.0/mlflow-artifacts/artifacts/x"
    # A server stores no http:// source unless configured to (this one allows s3)...
    assert "'http' URI" in rejected(_create_version(http, source=remote))
    # ...and one configured to records it as a reference: it never downloads it...
    allowing = replace(settings, allowed_source_schemes=frozenset({"http"}))
    with asgi_client(create_app(allowing)) as other:
        created = _create_version(other, source=remote)
        assert created.status_code == 200
        chained = _create_version(other, source="models:/lfi/1")
        assert chained.status_code == 200
        for version in ("1", "2"):
            uri = other.get(
                f"{API}/model-versions/get-download-uri", params={"name": "lfi", "version": version}
            )
            assert uri.json() == {"artifact_uri": remote}  # ...and only hands the URI back.
    assert hits == []


def test_t08_runs_source_traversal_of_an_unknown_run(http: TestClient, untouched: None) -> None:
    # No run, so no files would be read, but the source would be stored and later
    # handed to clients as their download URI: it is refused like any traversal.
    _create_model(http)
    rejected(_create_version(http, source="runs:/0123/../../../x"))


# ------------------------------------------------------------------- T-09
DOWNLOAD_TRAVERSALS = [
    "../../mr-canary/secret.txt",
    "0/../../mr-canary/secret.txt",
    "0/..%2f..%2fmr-canary%2fsecret.txt",
    "0/%2e%2e/%2e%2e/mr-canary/secret.txt",
    "0/%252e%252e/%252e%252e/mr-canary/secret.txt",
    "0/%25252e%25252e/%25252e%25252e/mr-canary/secret.txt",
    "0/..%5c..%5cmr-canary%5csecret.txt",
    "0\\..\\..\\mr-canary\\secret.txt",
    "0/a;/../../../mr-canary/secret.txt",
    "0/..;/..;/mr-canary/secret.txt",
    "0/a%3f/../../../mr-canary/secret.txt",
    "0/a%23/../../../mr-canary/secret.txt",
    "0/secret.txt%00.txt",
    "/TMPDIR/mr-canary/secret.txt",
    "C:/Windows/win.ini",
    "0/%EF%BC%8E%EF%BC%8E/%EF%BC%8E%EF%BC%8E/mr-canary/secret.txt",  # fullwidth dots
]


def _traversal(target: str, tmp_path: Path) -> str:
    return target.replace("/TMPDIR", str(tmp_path))


def test_t09_download_path_traversal(app: Starlette, tmp_path: Path, untouched: None) -> None:
    for target in DOWNLOAD_TRAVERSALS:
        response = raw_request(app, "GET", f"{FILES}/{_traversal(target, tmp_path)}")
        assert rejected(response).startswith("Invalid path"), target


# ------------------------------------------------------------------- T-10
def test_t10_proxy_write_traversal(app: Starlette, tmp_path: Path, untouched: None) -> None:
    for target in DOWNLOAD_TRAVERSALS:
        response = raw_request(
            app, "PUT", f"{FILES}/{_traversal(target, tmp_path)}", b"written-by-an-attacker"
        )
        assert rejected(response).startswith("Invalid path"), target


def test_t10_proxy_delete_traversal(
    app: Starlette, tmp_path: Path, mark: Path, untouched: None
) -> None:
    double = "%252E%252E%252F" * 6 + "mr-canary%252Fdel.txt"
    triple = double.replace("%", "%25")
    for target in [*DOWNLOAD_TRAVERSALS, f"0/{double}", f"0/{triple}", "0/../../mr-canary"]:
        response = raw_request(app, "DELETE", f"{FILES}/{_traversal(target, tmp_path)}")
        message = rejected(response)
        # DELETE is a JSON call: a NUL is refused where every request's fields are read.
        refusals = ("Invalid path", "Invalid value for parameter 'artifact_path'")
        assert message.startswith(refusals), target
    assert (mark / "del.txt").exists()


def test_t10_proxy_list_traversal(
    http: TestClient, app: Starlette, tmp_path: Path, untouched: None
) -> None:
    for path in (
        str(tmp_path / "mr-canary"),
        "C:/",
        "..",
        "../mr-canary",
        "0/../../mr-canary",
        "%2e%2e/mr-canary",
        "..\\mr-canary",
        "..;/mr-canary",
    ):
        assert rejected(http.get(FILES, params={"path": path})).startswith("Invalid path"), path
    response = raw_request(app, "GET", f"{FILES}?path=%252e%252e%252fmr-canary")
    assert rejected(response).startswith("Invalid path")
    # MLflow's UI upload route is not served.
    upload = http.post("/ajax-api/2.0/mlflow/upload-artifact", params={"path": "../../x"})
    rejected(upload, status=404, code="ENDPOINT_NOT_FOUND")


def test_t10_run_and_logged_model_listings_stay_under_their_roots(
    http: TestClient, app: Starlette, tmp_path: Path, untouched: None
) -> None:
    """``artifacts/list`` and ``logged-models/{id}/artifacts/directories`` list under the
    run's (model's) root only, with MLflow's "Invalid path" refusal for the rest."""
    run_id = _run(http)["run_id"]
    model = http.post(f"{API}/logged-models", json={"experiment_id": "0"}).json()["model"]
    runs_list = (f"{API}/artifacts/list", "path", {"run_id": run_id})
    model_list = (
        f"{API}/logged-models/{model['info']['model_id']}/artifacts/directories",
        "artifact_directory_path",
        {},
    )
    for url, field, extra in (runs_list, model_list):
        for path in (
            str(tmp_path / "mr-canary"),
            "C:/",
            "..",
            "../../../mr-canary",
            "a/../../../../mr-canary",
            "%2e%2e/%2e%2e/%2e%2e/mr-canary",
            "..\\..\\mr-canary",
            "..;/mr-canary",
            "a#/../..",
        ):
            response = http.get(url, params={**extra, field: path})
            assert rejected(response).startswith("Invalid path"), (url, path)
        query = f"{field}=%252e%252e%252f%252e%252e%252fmr-canary"
        joiner = "&" if extra else "?"
        target = url + ("?run_id=" + run_id if extra else "") + joiner + query
        assert rejected(raw_request(app, "GET", target)).startswith("Invalid path")


def test_t10_same_rules_under_ajax_api(app: Starlette, tmp_path: Path, untouched: None) -> None:
    for method in ("GET", "PUT", "DELETE"):
        response = raw_request(
            app, method, "/ajax-api/2.0/mlflow-artifacts/artifacts/0/../../mr-canary/del.txt"
        )
        rejected(response)


@pytest.mark.slow
def test_t09_t10_over_a_real_socket(tmp_path: Path, mark: Path, untouched: None) -> None:
    """The same raw requests through uvicorn itself (its own URL parsing and decoding)."""
    with running_server(tmp_path) as server:
        host, port = server.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            for target in DOWNLOAD_TRAVERSALS:
                for method in ("GET", "PUT", "DELETE"):
                    path = f"{FILES}/{_traversal(target, tmp_path)}"
                    body = b"written-by-an-attacker" if method == "PUT" else None
                    connection.request(method, path, body=body)
                    response = connection.getresponse()
                    payload = response.read()
                    assert response.status == 400, (method, target, payload)
                    assert SECRET not in payload
        finally:
            connection.close()
        server.stop()


# ------------------------------------------------------------------- T-11
def test_t11_identifiers_never_become_paths(
    http: TestClient, app: Starlette, untouched: None
) -> None:
    rejected(http.post("/api/3.0/mlflow/traces", json={}), status=404, code="ENDPOINT_NOT_FOUND")
    for name in ("a/b", "../x", "..", "a:b"):
        rejected(http.post(f"{API}/registered-models/create", json={"name": name}))
    _create_model(http, "m")
    http.post(f"{API}/model-versions/create", json={"name": "m", "source": "s3://b/k"})
    for alias in ("a/b", "..", "../x"):
        body = {"name": "m", "alias": alias, "version": "1"}
        rejected(http.post(f"{API}/registered-models/alias", json=body))
    rejected(http.get(f"{API}/runs/get", params={"run_id": "../../../mr-canary"}))
    missing = raw_request(app, "GET", f"{API}/logged-models/..%2F..%2Fmr-canary")
    assert 400 <= missing.status < 500
    created = http.post(f"{API}/experiments/create", json={"name": "../../mr-canary"})
    experiment_id = created.json()["experiment_id"]
    got = http.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}).json()
    # The name is a label; where files go is decided by the server, by id.
    assert got["experiment"]["artifact_location"] == f"mlflow-artifacts:/{experiment_id}"


# ------------------------------------------------------------------- T-12
def test_t12_artifact_location_cannot_point_elsewhere(
    http: TestClient, canary: tuple[str, list[str]], untouched: None
) -> None:
    url, hits = canary
    for location in (
        f"{url}/a",
        "http://169.254.169.254/latest/meta-data/",
        "s3://bucket-the-server-can-read/",
        "https://internal.example/",
    ):
        response = http.post(
            f"{API}/experiments/create", json={"name": "e", "artifact_location": location}
        )
        rejected(response)
    run = _run(http)
    # Runs only ever get locations under the destination, served by the proxy.
    assert run["artifact_uri"] == f"mlflow-artifacts:/0/{run['run_id']}/artifacts"
    assert http.get(FILES, params={"path": f"0/{run['run_id']}/artifacts"}).json() == {}
    assert hits == []


# ----------------------------------------------------------- hostile JSON
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "registered-models/create", b'{"name":' + b"[" * 3000 + b"]" * 3000 + b"}"),
        ("POST", "registered-models/create", b'{"name": 1e400}'),
        ("POST", "registered-models/create", b'{"name": {"$gt": ""}}'),
        ("POST", "model-versions/create", b'{"name": "m", "source": ["a"]}'),
        ("POST", "registered-models/alias", b'{"name": "m", "alias": "a", "version": 1e30}'),
        (
            "POST",
            "registered-models/alias",
            b'{"name":"m","alias":"a","version":18446744073709551615}',
        ),
        ("POST", "runs/log-metric", b'{"run_id": "r", "key": "k", "value": 1, "step": 1e19}'),
        (
            "POST",
            "runs/log-metric",
            b'{"run_id": "r", "key": "k", "value": 1, "timestamp": -9223372036854775809}',
        ),
        ("POST", "runs/log-batch", b'{"run_id": "r", "metrics": {"a": 1}}'),
        ("POST", "runs/search", b'{"max_results": 18446744073709551615}'),
        ("POST", "logged-models/search", b'{"experiment_ids": "0"}'),
        ("POST", "experiments/create", b'"just a string"'),
        ("POST", "experiments/create", b"[1, 2, 3]"),
        ("PATCH", "logged-models/m-1", b'{"status": {"nested": true}}'),
    ],
)
def test_hostile_json_is_4xx(http: TestClient, method: str, path: str, body: bytes) -> None:
    _create_model(http, "m")
    response = http.request(
        method, f"{API}/{path}", content=body, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error_code"] in ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")


@pytest.mark.parametrize(
    "query",
    [
        {"max_results": "99999999999999999999999"},
        {"max_results": "1e9"},
        {"max_results": "-1"},
        {"page_token": "A" * 10_000},
        {"filter": "name = '" + "a" * 20_000 + "'"},
        {"order_by": ["name"] * 500},
    ],
)
def test_hostile_queries_are_4xx(http: TestClient, query: dict[str, Any]) -> None:
    for path in ("registered-models/search", "model-versions/search"):
        response = http.get(f"{API}/{path}", params=query)
        assert response.status_code < 500, response.text
