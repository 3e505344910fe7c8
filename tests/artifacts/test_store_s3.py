"""What only S3 can show: multipart uploads, configuration, foreign keys, outages.

The shared contract runs on S3 as the ``[s3]`` half of test_store_local.py; these
tests use the same moto server (conftest.py) and look behind the store with boto3.
"""

from __future__ import annotations

import hashlib
import socket
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelreg.artifacts import FileInfo, FsspecArtifactStore, open_artifact_store
from modelreg.artifacts.store import _part_size
from modelreg.errors import Conflict, InvalidArgument, NotFound, TemporarilyUnavailable
from tests.artifacts.conftest import BUCKET, Boom, failing_chunks, pattern

MiB = 1 << 20


def prefix_of(store: FsspecArtifactStore) -> str:
    return store.root_uri.removeprefix(f"s3://{BUCKET}/")


def dead_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"  # closed once we return


def test_endpoint_and_credentials_from_the_environment(
    s3_options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", s3_options["endpoint_url"])
    monkeypatch.setenv("AWS_ENDPOINT_URL", dead_endpoint())  # MLflow's variable wins
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    uri = f"s3://{BUCKET}/env-{uuid.uuid4().hex}"
    store = open_artifact_store(uri)
    store.write_stream("model/MLmodel", [b"flavors: {}\n"])
    assert store.list_dir("model") == [FileInfo("model/MLmodel", False, 12)]
    assert store.root_uri == uri
    # uri_for() gives a URI that opens as a store of its own.
    sub = open_artifact_store(store.uri_for("model"))
    assert b"".join(sub.iter_read("MLmodel")) == b"flavors: {}\n"


def test_large_file_goes_up_in_parts(
    s3_store: FsspecArtifactStore, s3_client: Any, tmp_path: Path
) -> None:
    data = pattern(9 * MiB + 3)
    local = tmp_path / "weights.bin"
    local.write_bytes(data)
    assert s3_store.write_file("model/weights.bin", local) == len(data)
    head = s3_client.head_object(Bucket=BUCKET, Key=f"{prefix_of(s3_store)}/model/weights.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].strip('"').endswith("-2")  # a two-part multipart upload
    digest = s3_store.sha256_tree("model")["weights.bin"]
    assert digest == hashlib.sha256(data).hexdigest()
    assert s3_store.copy_tree("model", "copy") == 1
    assert s3_store.sha256_tree("copy") == {"weights.bin": digest}


def test_part_size_grows_for_objects_beyond_the_part_limit() -> None:
    assert _part_size(None) == 8 * MiB
    assert _part_size(10 * MiB) == 8 * MiB
    huge = 200 * 1024 * MiB
    assert _part_size(huge) * 9_999 >= huge > 8 * MiB * 10_000


def test_failed_multipart_upload_is_aborted(s3_store: FsspecArtifactStore, s3_client: Any) -> None:
    # 9 MiB before the failure: one 8 MiB part is already uploaded by then.
    with pytest.raises(Boom):
        s3_store.write_stream("model/weights.bin", failing_chunks(9 * 1024))
    assert not s3_store.exists("model/weights.bin")
    uploads = s3_client.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix_of(s3_store))
    assert uploads.get("Uploads", []) == []


def test_foreign_unsafe_keys_are_hidden_and_refused(
    s3_store: FsspecArtifactStore, s3_client: Any
) -> None:
    prefix = prefix_of(s3_store)
    for key in ("m/ok.txt", "m/../evil.txt", "m/a;b.txt", "m//double.txt"):
        s3_client.put_object(Bucket=BUCKET, Key=f"{prefix}/{key}", Body=b"x")
    assert s3_store.list_dir("m") == [FileInfo("m/ok.txt", False, 1)]
    with pytest.raises(InvalidArgument, match="unsafe name"):
        s3_store.sha256_tree("m")
    with pytest.raises(InvalidArgument, match="unsafe name"):
        s3_store.copy_tree("m", "copy")
    assert not s3_store.exists("copy")


def test_directory_markers_are_not_entries(s3_store: FsspecArtifactStore, s3_client: Any) -> None:
    prefix = prefix_of(s3_store)
    s3_client.put_object(Bucket=BUCKET, Key=f"{prefix}/m/", Body=b"")
    s3_client.put_object(Bucket=BUCKET, Key=f"{prefix}/m/x.txt", Body=b"xy")
    assert s3_store.list_dir("") == [FileInfo("m", True, None)]
    assert s3_store.list_dir("m") == [FileInfo("m/x.txt", False, 2)]
    assert list(s3_store.sha256_tree("m")) == ["x.txt"]


def test_a_broken_read_stream_is_resumed(
    s3_store: FsspecArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fsspec.asyn

    data = pattern(3 * MiB)
    s3_store.write_stream("f", [data])
    real_sync = fsspec.asyn.sync
    reads = 0

    def flaky_sync(loop: Any, func: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal reads
        if getattr(func, "__name__", "") == "readinto":
            reads += 1
            if reads in (2, 5):  # the connection drops mid-body, twice
                raise ConnectionResetError(104, "Connection reset by peer")
        return real_sync(loop, func, *args, **kwargs)

    monkeypatch.setattr(fsspec.asyn, "sync", flaky_sync)
    assert b"".join(s3_store.iter_read("f")) == data
    assert reads > 5


def test_an_object_replaced_mid_read_is_a_conflict(s3_store: FsspecArtifactStore) -> None:
    s3_store.write_stream("f", [pattern(3 * MiB)])
    with s3_store.open_read("f") as stream:
        assert len(stream.read(10)) == 10
        s3_store.write_stream("f", [b"a new version"])
        stream.seek(2 * MiB)  # the next read re-issues the GET from there
        with pytest.raises(Conflict, match="replaced while it was being read"):
            stream.read(10)


def test_missing_bucket(s3_options: dict[str, Any]) -> None:
    store = FsspecArtifactStore(f"s3://no-such-bucket-{uuid.uuid4().hex[:8]}/p", **s3_options)
    with pytest.raises(TemporarilyUnavailable, match="bucket or root directory is missing"):
        store.write_stream("a", [b"x"])
    assert store.list_dir("") == []
    with pytest.raises(NotFound):
        store.open_read("a")


def test_unreachable_server_is_temporarily_unavailable() -> None:
    pytest.importorskip("s3fs", reason="s3fs is not installed (pip install -e '.[s3]')")
    store = FsspecArtifactStore(
        f"s3://{BUCKET}/p",
        key="testing",
        secret="testing",
        endpoint_url=dead_endpoint(),
        client_kwargs={"region_name": "us-east-1"},
        config_kwargs={"retries": {"max_attempts": 1}, "connect_timeout": 1},
    )
    operations: dict[str, Callable[[], object]] = {
        "list": lambda: store.list_dir(""),
        "inspect": lambda: store.exists("a"),
        "write": lambda: store.write_stream("a", [b"x"]),
    }
    for action, operation in operations.items():
        with pytest.raises(TemporarilyUnavailable) as info:
            operation()
        message = info.value.message
        assert f"could not {action} " in message, message
        assert "retry later" in message
        assert info.value.__cause__ is not None  # the original stays chained for logs
    assert "secret" not in repr(store) and "testing" not in repr(store)


def test_s3fs_missing_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "s3fs", None)
    with pytest.raises(InvalidArgument, match=r"modelreg\[s3\]"):
        FsspecArtifactStore(f"s3://{BUCKET}/p")
