"""Artifact-store fixtures: one behavioural suite, run on every backend.

``store`` is parametrised over a local folder and ``s3://`` on a real S3-compatible
server: moto in server mode, in a subprocess bound to 127.0.0.1, started once per
session. Each test gets a fresh prefix, so tests never see each other's objects.
The S3 half is skipped only when moto is not installed.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from modelreg.artifacts import FsspecArtifactStore

BUCKET = "modelreg-test"


def pattern(size: int) -> bytes:
    """Deterministic bytes in which every 1 KiB block differs: misplaced chunks show."""
    blocks = (i.to_bytes(8, "big") * 128 for i in range(size // 1024 + 1))
    return b"".join(blocks)[:size]


class Boom(Exception):
    """Raised by a test's chunk source to simulate a dropped upload."""


def failing_chunks(before: int) -> Iterator[bytes]:
    for _ in range(before):
        yield b"x" * 1024
    raise Boom("client went away")


# Binds port 0 and reports the port it got, so there is no race for a "free" port.
_MOTO_LAUNCHER = """
import threading
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
threading.Event().wait()
"""


def _start_moto(log: IO[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _MOTO_LAUNCHER],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()  # blocks until the server listens
    if not line.isdigit():
        proc.kill()
        proc.wait()
        proc.stdout.close()
        log.seek(0)
        raise RuntimeError(f"moto server did not start:\n{log.read()[-2000:]}")
    return proc, f"http://127.0.0.1:{line}"


@pytest.fixture(scope="session")
def s3_options() -> Iterator[dict[str, Any]]:
    """Storage options for the session's moto server, with the test bucket created."""
    pytest.importorskip("moto", reason="moto[server] is not installed (pip install -e '.[dev]')")
    import boto3  # type: ignore[import-untyped]

    log = tempfile.TemporaryFile(mode="w+")
    proc, endpoint = _start_moto(log)
    try:
        options: dict[str, Any] = {
            "key": "testing",
            "secret": "testing",
            "endpoint_url": endpoint,
            "client_kwargs": {"region_name": "us-east-1"},
        }
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        ).create_bucket(Bucket=BUCKET)
        yield options
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
        log.close()


@pytest.fixture
def s3_client(s3_options: dict[str, Any]) -> Any:
    """A plain boto3 client on the moto server, to look behind the store's back."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=s3_options["endpoint_url"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


@pytest.fixture
def s3_store(s3_options: dict[str, Any]) -> FsspecArtifactStore:
    return FsspecArtifactStore(f"s3://{BUCKET}/{uuid.uuid4().hex}", **s3_options)


@pytest.fixture
def local_store(tmp_path: Path) -> FsspecArtifactStore:
    return FsspecArtifactStore(str(tmp_path / "store"))


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest) -> FsspecArtifactStore:
    """The same store contract on a local folder and on S3."""
    store: FsspecArtifactStore = request.getfixturevalue(f"{request.param}_store")
    return store
