"""The artifact store contract, plus what only a local folder can show.

Tests taking ``store`` run on both backends (ids ``[local]`` and ``[s3]``; the S3
server is moto on loopback, see conftest.py). Tests taking ``local_store`` cover
local-only behaviour: temporary files and atomic rename, symbolic links, file modes,
``file://`` URIs, and the layer rule of the package.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from modelreg.artifacts import (
    CHUNK_SIZE,
    ArtifactStore,
    FileInfo,
    FsspecArtifactStore,
    open_artifact_store,
)
from modelreg.errors import InvalidArgument, NotFound, TemporarilyUnavailable
from tests.artifacts.conftest import Boom, failing_chunks, pattern


def populate(store: ArtifactStore) -> None:
    store.write_stream("model/MLmodel", [b"flavors: {}\n"])
    store.write_stream("model/data/model.skops", [b"weights"])
    store.write_stream("model/requirements.txt", [b"scikit-learn\n"])
    store.write_stream("notes.txt", [b"hello"])


# -- the contract, on every backend ---------------------------------------------


def test_write_stream_round_trip(store: ArtifactStore) -> None:
    assert store.write_stream("a/b.bin", [b"hello ", b"", b"world"]) == 11
    assert b"".join(store.iter_read("a/b.bin")) == b"hello world"
    with store.open_read("a/b.bin") as stream:
        assert stream.read() == b"hello world"
    assert store.size("a/b.bin") == 11


def test_write_file_streams_in_bounded_chunks(store: ArtifactStore, tmp_path: Path) -> None:
    data = pattern(3 * CHUNK_SIZE + 12345)
    local = tmp_path / "weights.bin"
    local.write_bytes(data)
    assert store.write_file("model/weights.bin", local) == len(data)
    chunks = list(store.iter_read("model/weights.bin"))
    assert b"".join(chunks) == data
    assert max(len(c) for c in chunks) <= CHUNK_SIZE
    assert [len(c) for c in store.iter_read("model/weights.bin", chunk_size=4096)][:2] == [
        4096,
        4096,
    ]


def test_write_file_needs_a_local_file(store: ArtifactStore, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="not a file"):
        store.write_file("x", tmp_path / "missing")


def test_empty_file_round_trip(store: ArtifactStore) -> None:
    assert store.write_stream("empty", []) == 0
    assert store.exists("empty")
    assert store.size("empty") == 0
    assert list(store.iter_read("empty")) == []


def test_overwrite_replaces_content(store: ArtifactStore) -> None:
    store.write_stream("f", [b"old content, longer"])
    store.write_stream("f", [b"new"])
    assert b"".join(store.iter_read("f")) == b"new"


def test_names_with_spaces_and_unicode(store: ArtifactStore) -> None:
    store.write_stream("my model/données 1.txt", [b"ok"])
    assert store.list_dir("my model") == [FileInfo("my model/données 1.txt", False, 2)]
    assert b"".join(store.iter_read("./my model//données 1.txt")) == b"ok"


def test_open_read_is_seekable(store: ArtifactStore) -> None:
    store.write_stream("f", [b"0123456789"])
    with store.open_read("f") as stream:
        assert stream.read(3) == b"012"
        stream.seek(7)
        assert stream.read() == b"789"
        stream.seek(0)
        assert stream.read(1) == b"0"


def test_list_dir_is_one_level_sorted_and_root_relative(store: ArtifactStore) -> None:
    populate(store)
    assert store.list_dir("") == [
        FileInfo("model", True, None),
        FileInfo("notes.txt", False, 5),
    ]
    # Paths are relative to the store root, as MLflow's repositories list them.
    assert store.list_dir("model") == [
        FileInfo("model/MLmodel", False, 12),
        FileInfo("model/data", True, None),
        FileInfo("model/requirements.txt", False, 13),
    ]
    assert store.list_dir("model/data/") == [FileInfo("model/data/model.skops", False, 7)]


def test_list_dir_missing_empty_or_file_is_empty(store: ArtifactStore) -> None:
    assert store.list_dir("") == []
    assert store.list_dir("nothing/here") == []
    populate(store)
    assert store.list_dir("notes.txt") == []
    assert store.list_dir("model/MLmodel") == []


def test_exists_is_dir_and_size(store: ArtifactStore) -> None:
    populate(store)
    assert store.exists("model") and store.is_dir("model")
    assert store.exists("model/MLmodel") and not store.is_dir("model/MLmodel")
    assert not store.exists("model/missing") and not store.is_dir("model/missing")
    assert store.size("notes.txt") == 5
    with pytest.raises(NotFound):
        store.size("model/missing")
    with pytest.raises(InvalidArgument, match="directory"):
        store.size("model")


def test_missing_file_raises_not_found_before_iteration(store: ArtifactStore) -> None:
    with pytest.raises(NotFound, match="'model/missing' not found"):
        store.iter_read("model/missing")  # no next(): the call itself must raise
    with pytest.raises(NotFound):
        store.open_read("model/missing")


def test_reading_a_directory_or_the_root_is_invalid(store: ArtifactStore) -> None:
    populate(store)
    with pytest.raises(InvalidArgument, match="directory"):
        store.open_read("model")
    with pytest.raises(InvalidArgument, match="not the root"):
        store.open_read("")
    with pytest.raises(InvalidArgument):
        store.write_stream("", [b"x"])


def test_failed_write_leaves_nothing(store: ArtifactStore) -> None:
    with pytest.raises(Boom):  # the caller's own error, unchanged
        store.write_stream("model/weights.bin", failing_chunks(100))
    assert not store.exists("model/weights.bin")
    assert store.list_dir("model") == []


def test_failed_overwrite_keeps_the_previous_file(store: ArtifactStore) -> None:
    store.write_stream("model/MLmodel", [b"v1"])
    with pytest.raises(Boom):
        store.write_stream("model/MLmodel", failing_chunks(3))
    assert b"".join(store.iter_read("model/MLmodel")) == b"v1"
    assert store.list_dir("model") == [FileInfo("model/MLmodel", False, 2)]


def test_delete_file_and_tree(store: ArtifactStore) -> None:
    populate(store)
    store.delete("model/MLmodel")
    assert not store.exists("model/MLmodel")
    store.delete("model")
    assert store.list_dir("") == [FileInfo("notes.txt", False, 5)]
    store.delete("model")  # deleting what is gone is not an error
    store.delete("never/was")


def test_delete_refuses_the_root(store: ArtifactStore) -> None:
    populate(store)
    for root in ("", ".", "./"):
        with pytest.raises(InvalidArgument, match="root"):
            store.delete(root)
    assert store.exists("notes.txt")


def test_copy_tree_and_file(store: ArtifactStore) -> None:
    populate(store)
    assert store.copy_tree("model", "registry/m/1") == 3
    assert store.sha256_tree("registry/m/1") == store.sha256_tree("model")
    assert store.copy_tree("notes.txt", "registry/notes.txt") == 1
    assert b"".join(store.iter_read("registry/notes.txt")) == b"hello"
    assert store.exists("model/MLmodel")  # a copy, not a move


@pytest.mark.parametrize("src, dst", [("model", "model"), ("model", "model/inner"), ("", "x")])
def test_copy_tree_into_itself_is_refused(store: ArtifactStore, src: str, dst: str) -> None:
    populate(store)
    with pytest.raises(InvalidArgument, match="inside the source"):
        store.copy_tree(src, dst)


def test_copy_tree_missing_source(store: ArtifactStore) -> None:
    with pytest.raises(NotFound):
        store.copy_tree("missing", "dst")


def test_sha256_tree(store: ArtifactStore) -> None:
    populate(store)
    big = pattern(2 * CHUNK_SIZE + 7)
    store.write_stream("model/big.bin", [big[:1000], big[1000:]])
    assert store.sha256_tree("model") == {
        "MLmodel": hashlib.sha256(b"flavors: {}\n").hexdigest(),
        "big.bin": hashlib.sha256(big).hexdigest(),
        "data/model.skops": hashlib.sha256(b"weights").hexdigest(),
        "requirements.txt": hashlib.sha256(b"scikit-learn\n").hexdigest(),
    }
    assert list(store.sha256_tree("")) == [
        "model/MLmodel",
        "model/big.bin",
        "model/data/model.skops",
        "model/requirements.txt",
        "notes.txt",
    ]
    assert store.sha256_tree("notes.txt") == {"notes.txt": hashlib.sha256(b"hello").hexdigest()}
    with pytest.raises(NotFound):
        store.sha256_tree("missing")


def test_usage_counts_files_and_bytes_without_reading(store: ArtifactStore) -> None:
    populate(store)
    store.write_stream("model2/x", [b"2"])  # a prefix sibling is not part of the tree
    assert store.usage("model") == (3, len(b"flavors: {}\nweightsscikit-learn\n"))
    assert store.usage("notes.txt") == (1, 5)
    assert store.usage("") == (5, 12 + 7 + 13 + 1 + 5)
    with pytest.raises(NotFound):
        store.usage("missing")


def test_download_and_upload_tree(store: ArtifactStore, tmp_path: Path) -> None:
    populate(store)
    target = tmp_path / "download"
    assert store.download_tree("model", target) == str(target)
    assert (target / "MLmodel").read_bytes() == b"flavors: {}\n"
    assert (target / "data" / "model.skops").read_bytes() == b"weights"
    assert sorted(p.name for p in target.iterdir()) == ["MLmodel", "data", "requirements.txt"]

    assert store.upload_tree(target, "copy/of/model") == 3
    assert store.sha256_tree("copy/of/model") == store.sha256_tree("model")

    single = store.download_tree("notes.txt", tmp_path / "one")
    assert single == str(tmp_path / "one" / "notes.txt")
    assert Path(single).read_bytes() == b"hello"
    with pytest.raises(NotFound):
        store.download_tree("missing", tmp_path / "none")


def test_upload_tree_checks_every_name_before_writing(store: ArtifactStore, tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "ok").mkdir(parents=True)
    (source / "ok" / "a.txt").write_bytes(b"a")
    (source / "ok" / "b;c.txt").write_bytes(b"b")
    with pytest.raises(InvalidArgument, match="';'"):
        store.upload_tree(source, "up")
    assert not store.exists("up")
    with pytest.raises(InvalidArgument, match="not a directory"):
        store.upload_tree(tmp_path / "missing", "up")


TRAVERSALS = [
    "../escape.txt",
    "..%2fescape.txt",
    "%252e%252e%252fescape.txt",
    "a;/../../escape.txt",
    "/tmp/escape.txt",
    "C:/escape.txt",
    "a\\..\\..\\escape.txt",
    "x\x00.txt",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_every_operation_validates_paths(store: ArtifactStore, path: str) -> None:
    populate(store)
    operations: list[Callable[[], object]] = [
        lambda: store.write_stream(path, [b"pwned"]),
        lambda: store.open_read(path),
        lambda: store.iter_read(path),
        lambda: store.list_dir(path),
        lambda: store.exists(path),
        lambda: store.is_dir(path),
        lambda: store.size(path),
        lambda: store.delete(path),
        lambda: store.copy_tree("model", path),
        lambda: store.copy_tree(path, "x"),
        lambda: store.sha256_tree(path),
        lambda: store.uri_for(path),
    ]
    for operation in operations:
        with pytest.raises(InvalidArgument, match="^Invalid path"):
            operation()
    assert store.sha256_tree("").keys() == {
        "model/MLmodel",
        "model/data/model.skops",
        "model/requirements.txt",
        "notes.txt",
    }


def test_uri_for_names_paths_under_the_root(store: ArtifactStore) -> None:
    assert store.uri_for("") == store.root_uri
    assert store.uri_for("model/./MLmodel") == store.root_uri + "/model/MLmodel"
    assert store.root_uri.startswith(("file:///", "s3://"))


# -- local folder only ------------------------------------------------------------


def test_root_is_created_on_first_write(tmp_path: Path) -> None:
    root = tmp_path / "deep" / "root"
    store = FsspecArtifactStore(str(root))
    assert not root.exists() and store.list_dir("") == []
    store.write_stream("a", [b"1"])
    assert (root / "a").read_bytes() == b"1"


def test_plain_path_and_file_uri_are_the_same_store(tmp_path: Path) -> None:
    first = FsspecArtifactStore(str(tmp_path))
    first.write_stream("a/b", [b"1"])
    assert repr(first) == f"FsspecArtifactStore({tmp_path.as_uri()!r})"
    for uri in (tmp_path.as_uri(), f"file://localhost{tmp_path}", f"{tmp_path}/"):
        store = open_artifact_store(uri)
        assert store.root_uri == first.root_uri
        assert b"".join(store.iter_read("a/b")) == b"1"
    # uri_for() gives a URI that opens as a store of its own.
    assert b"".join(open_artifact_store(first.uri_for("a")).iter_read("b")) == b"1"


def test_local_store_takes_no_storage_options(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="storage options"):
        FsspecArtifactStore(str(tmp_path), key="x")


@pytest.mark.parametrize(
    "uri", ["http://example.com/x", "gs://b/x", "dbfs:/x", "file://host/x", "file:///a/../b"]
)
def test_open_artifact_store_rejects_unsupported_uris(uri: str) -> None:
    with pytest.raises(InvalidArgument, match="artifact store URI"):
        open_artifact_store(uri)


def test_write_leaves_no_temporary_file_behind(
    local_store: FsspecArtifactStore, tmp_path: Path
) -> None:
    with pytest.raises(Boom):
        local_store.write_stream("model/w.bin", failing_chunks(50))
    assert os.listdir(tmp_path / "store" / "model") == []


def test_backend_failure_is_temporarily_unavailable(
    local_store: FsspecArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_store.write_stream("model/MLmodel", [b"v1"])

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(5, "Input/output error", dst)

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(TemporarilyUnavailable) as info:
        local_store.write_stream("model/MLmodel", [b"v2"])
    message = info.value.message
    assert "could not write 'model/MLmodel'" in message
    assert "Input/output error" in message
    assert str(tmp_path) not in message  # no server paths in client-facing text
    assert isinstance(info.value.__cause__, OSError)  # kept for the server log
    assert os.listdir(tmp_path / "store" / "model") == ["MLmodel"]
    assert (tmp_path / "store" / "model" / "MLmodel").read_bytes() == b"v1"


def test_write_under_a_file_is_invalid(local_store: FsspecArtifactStore) -> None:
    local_store.write_stream("a", [b"file"])
    with pytest.raises(InvalidArgument, match="parent is a file"):
        local_store.write_stream("a/b", [b"x"])


def test_write_onto_a_directory_is_invalid(local_store: FsspecArtifactStore) -> None:
    local_store.write_stream("d/x", [b"x"])
    with pytest.raises(InvalidArgument, match="directory"):
        local_store.write_stream("d", [b"x"])
    assert local_store.list_dir("d") == [FileInfo("d/x", False, 1)]


def test_new_files_follow_the_umask(local_store: FsspecArtifactStore, tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        local_store.write_stream("f", [b"x"])
    finally:
        os.umask(old)
    assert (tmp_path / "store" / "f").stat().st_mode & 0o777 == 0o640


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    outside = tmp_path / "mr-canary"
    outside.mkdir()
    (outside / "secret.txt").write_text("MR-CANARY-42")
    return outside


def test_symlinks_never_lead_out_of_the_root(
    local_store: FsspecArtifactStore, tmp_path: Path, canary: Path
) -> None:
    populate(local_store)
    root = tmp_path / "store"
    (root / "model" / "link").symlink_to(canary)
    (root / "model" / "secret-link.txt").symlink_to(canary / "secret.txt")
    for path in ("model/link/secret.txt", "model/secret-link.txt"):
        with pytest.raises(InvalidArgument, match="symbolic link"):
            local_store.open_read(path)
    with pytest.raises(InvalidArgument, match="symbolic link"):
        local_store.list_dir("model/link")
    with pytest.raises(InvalidArgument, match="symbolic link"):
        local_store.write_stream("model/link/planted.txt", [b"x"])
    with pytest.raises(InvalidArgument, match="symbolic link"):
        local_store.delete("model/link/secret.txt")
    # Links are invisible in listings and trees.
    assert [i.path for i in local_store.list_dir("model")] == [
        "model/MLmodel",
        "model/data",
        "model/requirements.txt",
    ]
    assert "model/link/secret.txt" not in local_store.sha256_tree("")
    local_store.delete("model")
    assert sorted(os.listdir(canary)) == ["secret.txt"]
    assert (canary / "secret.txt").read_text() == "MR-CANARY-42"


def test_upload_tree_refuses_links_out_of_the_source(
    local_store: FsspecArtifactStore, tmp_path: Path, canary: Path
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "model.bin").write_bytes(b"m")
    (source / "passwd").symlink_to(canary / "secret.txt")
    with pytest.raises(InvalidArgument, match="links outside"):
        local_store.upload_tree(source, "up")
    assert not local_store.exists("up")


def test_temporary_files_are_hidden(local_store: FsspecArtifactStore, tmp_path: Path) -> None:
    populate(local_store)
    (tmp_path / "store" / "model" / ".modelreg-tmp-0123abcd").write_bytes(b"partial")
    assert "model/.modelreg-tmp-0123abcd" not in [i.path for i in local_store.list_dir("model")]
    assert not any(".modelreg-tmp-" in k for k in local_store.sha256_tree("model"))


def test_dropped_iterator_closes_the_file(local_store: FsspecArtifactStore) -> None:
    local_store.write_stream("f", [pattern(3 * CHUNK_SIZE)])
    chunks = local_store.iter_read("f")
    assert len(next(chunks)) == CHUNK_SIZE
    del chunks  # a disconnecting web client; no ResourceWarning (warnings are errors)


def test_import_is_cheap_and_layered() -> None:
    code = (
        "import sys, modelreg.artifacts\n"
        "heavy = {'fsspec', 's3fs', 'botocore', 'sqlalchemy', 'modelreg.service',"
        " 'modelreg.store', 'modelreg.client'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_prefix_siblings_are_not_part_of_a_tree(store: ArtifactStore) -> None:
    # On S3 'model' is a key prefix; 'model2/...' and 'model.txt' share it.
    populate(store)
    store.write_stream("model2/x", [b"2"])
    store.write_stream("model.txt", [b"t"])
    assert [i.path for i in store.list_dir("model")] == [
        "model/MLmodel",
        "model/data",
        "model/requirements.txt",
    ]
    assert set(store.sha256_tree("model")) == {
        "MLmodel",
        "data/model.skops",
        "requirements.txt",
    }
    assert store.copy_tree("model", "copy") == 3
    store.delete("model")
    assert [i.path for i in store.list_dir("")] == [
        "copy",
        "model.txt",
        "model2",
        "notes.txt",
    ]
    assert b"".join(store.iter_read("model2/x")) == b"2"
