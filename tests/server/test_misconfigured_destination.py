"""An artifacts destination the server may not write is a misconfiguration (issue 8).

It used to answer 503 with Retry-After after reading the whole body (the mlflow client
then retried for 36 s with no hint), left the temporary file behind, logged nothing,
and ``modelreg server --artifacts-destination /proc/nope`` started anyway. Now: 500
``INTERNAL_ERROR`` saying what to fix, before the body is read, no temporary file, the
cause in the log, and a server that refuses to start with one line.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.applications import Starlette

from modelreg.artifacts import store as store_module
from modelreg.artifacts.store import FsspecArtifactStore
from modelreg.cli import main
from modelreg.errors import Misconfigured
from modelreg.server.destination import check_artifacts_destination
from tests.server.asgi import TestClient, raw_request

FILE = "/api/2.0/mlflow-artifacts/artifacts/1/run/artifacts/model.pkl"


def _deny(*_args: Any, **_kwargs: Any) -> Any:
    raise PermissionError(13, "Permission denied")


def _leftovers(root: Path) -> list[str]:
    return [p.name for p in root.rglob(".modelreg-tmp-*")]


def test_a_folder_the_server_may_not_write_is_a_500_before_the_body_is_read(
    app: Starlette,
    http: TestClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(store_module.os, "open", _deny)
    received: list[int] = []
    with caplog.at_level(logging.ERROR, logger="modelreg.server"):
        response = raw_request(
            app,
            "PUT",
            FILE,
            [b"x" * 1024] * 8,
            {"content-type": "application/octet-stream", "content-length": "8192"},
            on_receive=received.append,
        )
    assert response.status == 500
    assert "retry-after" not in response.headers
    body = response.json()
    assert body["error_code"] == "INTERNAL_ERROR"
    assert "permissions" in body["message"] and "Permission denied" in body["message"]
    assert str(tmp_path) not in body["message"]  # the server's folders stay private
    assert received == []  # refused before a byte of the body was read
    # The operator sees the 5xx and its cause.
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged and "INTERNAL_ERROR" in logged[0].getMessage()
    assert logged[0].exc_info is not None and "PermissionError" in caplog.text


def test_a_permission_error_at_commit_removes_the_temporary_file(
    http: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module.os, "replace", _deny)
    response = http.put(FILE, content=b"model bytes")
    assert response.status_code == 500
    assert "retry-after" not in response.headers
    assert response.json()["error_code"] == "INTERNAL_ERROR"
    assert _leftovers(tmp_path / "artifacts") == []


def test_a_vanished_root_is_still_a_passing_condition(
    http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """503 stays for what may pass (here: a backend I/O error that is not a denial)."""

    def flaky(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(store_module.os, "open", flaky)
    response = http.put(FILE, content=b"x")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"


def test_the_start_up_check_refuses_an_unwritable_destination(tmp_path: Path) -> None:
    with pytest.raises(Misconfigured, match="/proc/nope"):
        check_artifacts_destination(FsspecArtifactStore("/proc/nope"))
    # A file where the folder should be.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(Misconfigured, match="creating it failed"):
        check_artifacts_destination(FsspecArtifactStore(str(blocker / "sub")))


def test_the_start_up_check_creates_the_folder_and_leaves_nothing(tmp_path: Path) -> None:
    root = tmp_path / "new" / "artifacts"
    check_artifacts_destination(FsspecArtifactStore(str(root)))
    assert root.is_dir() and os.listdir(root) == []


def test_the_start_up_check_refuses_a_folder_it_may_not_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module.os, "open", _deny)
    with pytest.raises(Misconfigured, match="writing a probe file failed"):
        check_artifacts_destination(FsspecArtifactStore(str(tmp_path)))


def test_modelreg_server_refuses_to_start_with_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "server",
            "--backend-store-uri",
            f"sqlite:///{tmp_path / 'r.db'}",
            "--artifacts-destination",
            "/proc/nope",
            "--port",
            "0",
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: Cannot use the artifacts destination /proc/nope")
