"""The artifact proxy (mlflow-wire.md §3.3): streaming PUT/GET, listings, DELETE, multipart."""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

from modelreg.config import Settings
from modelreg.server import ServerSettings, create_app
from tests.server.asgi import DISCONNECT, TestClient, asgi_client, raw_request

FILES = "/api/2.0/mlflow-artifacts/artifacts"
API = "/api/2.0/mlflow"
MIB = 1 << 20


@pytest.fixture
def destination(settings: Settings) -> Path:
    return Path(settings.artifact_root)


def put(http: TestClient, path: str, body: bytes, **headers: str) -> None:
    response = http.put(f"{FILES}/{path}", content=body, headers=headers)
    # MLflow's answer: {} as JSON (issue 8: it was an empty body without a type).
    assert (response.status_code, response.content) == (200, b"{}"), response.text
    assert response.headers["content-type"] == "application/json"


def listing(http: TestClient, path: str | None = None) -> object:
    response = http.get(FILES, params={} if path is None else {"path": path})
    assert response.status_code == 200, response.text
    return response.json()


# -------------------------------------------------------------- PUT and GET
def test_put_then_get(http: TestClient, destination: Path) -> None:
    put(http, "0/run/artifacts/model/MLmodel", b"flavors: {}\n", **{"content-type": "text/plain"})
    put(http, "0/run/artifacts/model/model.skops", b"\x00\x01binary")
    assert (destination / "0/run/artifacts/model/MLmodel").read_bytes() == b"flavors: {}\n"

    got = http.get(f"{FILES}/0/run/artifacts/model/model.skops")
    assert (got.status_code, got.content) == (200, b"\x00\x01binary")
    assert got.headers["content-disposition"] == 'attachment; filename="model.skops"'
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["x-content-type-options"] == "nosniff"
    text = http.get("/ajax-api/2.0/mlflow-artifacts/artifacts/0/run/artifacts/model/MLmodel")
    assert text.content == b"flavors: {}\n"


def test_put_replaces_and_accepts_any_content_type(http: TestClient) -> None:
    put(http, "a/notes.txt", b"one", **{"content-type": "application/x-www-form-urlencoded"})
    put(http, "a/notes.txt", b"two")
    got = http.get(f"{FILES}/a/notes.txt")
    assert got.content == b"two"
    assert got.headers["content-type"].startswith("text/plain")


def test_active_content_is_never_rendered_inline(http: TestClient) -> None:
    put(http, "a/page.html", b"<script>alert(1)</script>")
    got = http.get(f"{FILES}/a/page.html")
    assert got.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in got.headers["content-security-policy"]
    assert got.headers["x-content-type-options"] == "nosniff"


def test_non_ascii_file_names(http: TestClient) -> None:
    put(http, "a/r%C3%A9sum%C3%A9.txt", b"x")
    got = http.get(f"{FILES}/a/r%C3%A9sum%C3%A9.txt")
    assert got.content == b"x"
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"resume.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt"
    )
    entry = {"path": "résumé.txt", "is_dir": False, "file_size": 1}
    assert listing(http, "a") == {"files": [entry]}


def test_missing_file_and_folder_reads(http: TestClient) -> None:
    missing = http.get(f"{FILES}/0/nothing/here.txt")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    put(http, "d/f.txt", b"x")
    folder = http.get(f"{FILES}/d")
    assert folder.status_code == 400
    assert folder.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    root = http.put(f"{FILES}/", content=b"x")
    assert root.status_code == 400


# ------------------------------------------------------------------ listings
def test_listing_is_basenames_one_level(http: TestClient) -> None:
    put(http, "0/r/artifacts/model/MLmodel", b"abc")
    put(http, "0/r/artifacts/model/sub/x.bin", b"12345")
    assert listing(http, "0/r/artifacts/model") == {
        "files": [
            {"path": "MLmodel", "is_dir": False, "file_size": 3},
            {"path": "sub", "is_dir": True},
        ]
    }
    assert listing(http, "0/r/artifacts/model/") == listing(http, "0/r/artifacts/model")
    assert listing(http) == {"files": [{"path": "0", "is_dir": True}]}
    listed = http.get("/ajax-api/2.0/mlflow-artifacts/artifacts", params={"path": "0/r"})
    assert listed.json() == {"files": [{"path": "artifacts", "is_dir": True}]}


def test_missing_empty_or_file_listing_is_empty_object(http: TestClient, destination: Path) -> None:
    # MLflow's register_model lists runs:/…/model and needs {} when nothing is there.
    assert listing(http, "0/no-such-run/artifacts/model") == {}
    (destination / "empty").mkdir(parents=True)
    assert listing(http, "empty") == {}
    put(http, "f.txt", b"x")
    assert listing(http, "f.txt") == {}


# -------------------------------------------------------------------- DELETE
def test_delete_file_and_folder(http: TestClient, destination: Path) -> None:
    put(http, "0/r/a.txt", b"x")
    put(http, "0/r/sub/b.txt", b"y")
    assert http.delete(f"{FILES}/0/r/a.txt").status_code == 200
    assert not (destination / "0/r/a.txt").exists()
    assert http.delete(f"{FILES}/0/r").json() == {}
    assert not (destination / "0/r").exists()
    assert http.delete(f"{FILES}/0/r").status_code == 200  # nothing there: nothing to do


def test_registry_copies_are_read_only(http: TestClient, destination: Path) -> None:
    copy = destination / "_registry" / "abc"
    copy.mkdir(parents=True)
    (copy / "MLmodel").write_bytes(b"registered")
    for response in (
        http.put(f"{FILES}/_registry/abc/MLmodel", content=b"tampered"),
        http.put(f"{FILES}/_registry/new/x", content=b"x"),
        http.delete(f"{FILES}/_registry/abc"),
        http.delete(f"{FILES}/_registry"),
        http.put(f"{FILES}/_model-versions/m/1/MLmodel", content=b"tampered"),
        http.delete(f"{FILES}/_model-versions/m/1"),
    ):
        assert response.status_code == 403
        assert response.json()["error_code"] == "PERMISSION_DENIED"
    assert (copy / "MLmodel").read_bytes() == b"registered"


def test_registry_copies_are_never_served_or_listed_directly(
    http: TestClient, destination: Path
) -> None:
    """Issue 8: ``?path=_registry`` listed every copy's id, and a deleted version's
    copy stayed readable; copies are reached only through their version."""
    copy = destination / "_registry" / "abc"
    copy.mkdir(parents=True)
    (copy / "MLmodel").write_bytes(b"registered")
    (destination / "0").mkdir()
    assert http.get(f"{FILES}/_registry/abc/MLmodel").status_code == 404
    assert http.get(FILES, params={"path": "_registry"}).json() == {}
    assert http.get(FILES, params={"path": "_registry/abc"}).json() == {}
    assert [f["path"] for f in http.get(FILES).json()["files"]] == ["0"]
    # Not a version: nothing there.
    assert http.get(f"{FILES}/_model-versions/m/1/MLmodel").status_code == 404
    assert http.get(FILES, params={"path": "_model-versions/m/1"}).json() == {}


def test_a_version_s_files_are_served_through_the_version_until_it_is_deleted(
    http: TestClient, destination: Path
) -> None:
    source = destination / "0" / "run" / "artifacts" / "model"
    source.mkdir(parents=True)
    (source / "MLmodel").write_text("flavors: {}\n")
    (source / "sub").mkdir()
    (source / "sub" / "w.bin").write_bytes(b"w")
    http.post(f"{API}/registered-models/create", json={"name": "m a"})
    http.post(
        f"{API}/model-versions/create",
        json={"name": "m a", "source": "mlflow-artifacts:/0/run/artifacts/model"},
    )
    uri = http.get(
        f"{API}/model-versions/get-download-uri", params={"name": "m a", "version": "1"}
    ).json()["artifact_uri"]
    assert uri == "mlflow-artifacts:/_model-versions/m%20a/1"
    files = f"{FILES}/_model-versions/m a/1"
    assert http.get(f"{files}/MLmodel").text == "flavors: {}\n"
    assert http.get(f"{files}/sub/w.bin").content == b"w"
    listed = http.get(FILES, params={"path": "_model-versions/m a/1"}).json()["files"]
    assert sorted(f["path"] for f in listed) == ["MLmodel", "sub"]
    sub = http.get(FILES, params={"path": "_model-versions/m a/1/sub"}).json()["files"]
    assert sub == [{"path": "w.bin", "is_dir": False, "file_size": 1}]

    http.request("DELETE", f"{API}/model-versions/delete", json={"name": "m a", "version": "1"})
    assert http.get(f"{files}/MLmodel").status_code == 404
    assert http.get(FILES, params={"path": "_model-versions/m a/1"}).json() == {}


# ----------------------------------------------------------------- multipart
@pytest.mark.parametrize("step", ["create", "complete", "abort"])
def test_multipart_is_not_implemented(http: TestClient, step: str) -> None:
    response = http.post(f"/api/2.0/mlflow-artifacts/mpu/{step}/0/r/big.bin", json={"path": "x"})
    assert response.status_code == 501
    assert response.json()["error_code"] == "NOT_IMPLEMENTED"


def test_server_info_keeps_transfers_simple(http: TestClient) -> None:
    info = http.get("/api/3.0/mlflow/server-info").json()
    assert info["multipart_uploads_enabled"] is False
    assert info["multipart_downloads_enabled"] is False
    assert info["artifacts_presigned_only"] is False


# ----------------------------------------------------------------- streaming
def test_json_body_limit_does_not_apply_to_uploads(settings: Settings) -> None:
    app = create_app(settings, ServerSettings(max_json_body_bytes=1024))
    with asgi_client(app) as http:
        put(http, "big.bin", b"x" * 100_000)
        assert len(http.get(f"{FILES}/big.bin").content) == 100_000
        too_big = http.post("/api/2.0/mlflow/experiments/create", json={"name": "x" * 2000})
        assert too_big.status_code == 413


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    block = os.urandom(size)
    for _ in range(total // size):
        yield block


def _temporary_size(folder: Path) -> int:
    found = list(folder.glob(".modelreg-tmp-*")) if folder.exists() else []
    return sum(p.stat().st_size for p in found)


def test_upload_streams_to_storage_while_it_arrives(app: Starlette, destination: Path) -> None:
    """A 64 MiB PUT from a generator: on disk before the body ends, memory stays small."""
    total = 64 * MIB
    half = total // (64 * 1024) // 2
    seen_on_disk: list[int] = []

    def on_receive(count: int) -> None:
        if count == half:  # half the body handed over: it must be on disk already
            seen_on_disk.append(_temporary_size(destination / "0" / "r"))

    tracemalloc.start()
    try:
        response = raw_request(
            app,
            "PUT",
            f"{FILES}/0/r/big.bin",
            _chunks(total),
            headers={"content-length": str(total)},
            on_receive=on_receive,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status == 200, response.body
    assert (destination / "0/r/big.bin").stat().st_size == total
    assert seen_on_disk and seen_on_disk[0] >= total // 2 - 2 * MIB
    assert peak < 16 * MIB, f"peak traced memory {peak / MIB:.1f} MiB for a 64 MiB upload"


def test_download_streams_in_chunks(app: Starlette, destination: Path) -> None:
    target = destination / "0" / "r" / "big.bin"
    target.parent.mkdir(parents=True)
    with target.open("wb") as out:
        for chunk in _chunks(16 * MIB):
            out.write(chunk)
    response = raw_request(app, "GET", f"{FILES}/0/r/big.bin")
    assert response.status == 200
    sizes = [len(c) for c in response.chunks if c]
    assert sum(sizes) == 16 * MIB
    assert len(sizes) >= 16 and max(sizes) <= MIB  # sent a MiB at a time, never whole


def test_upload_cut_off_leaves_nothing(app: Starlette, destination: Path) -> None:
    chunks = [b"x" * 1000, DISCONNECT]
    response = raw_request(app, "PUT", f"{FILES}/0/r/partial.bin", chunks)
    assert response.status == 400
    folder = destination / "0" / "r"
    assert not (folder / "partial.bin").exists()
    assert _temporary_size(folder) == 0
