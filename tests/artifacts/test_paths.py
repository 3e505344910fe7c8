"""Artifact path validation: every traversal form from the security checklist.

The attack strings follow checklist §2.1 and items T-09/T-10 (download, list and
artifact-proxy traversal, single/double/triple encoding, ``;`` path parameters,
NUL bytes) and the URI tricks of §2.2/2.3 and T-05/T-06/T-12 for store roots.
"""

from __future__ import annotations

import os

import pytest

from modelreg.artifacts import join_under, safe_relative_path
from modelreg.artifacts.paths import parse_store_uri
from modelreg.errors import InvalidArgument

TRAVERSAL = "../../../../tmp/mr-canary/secret.txt"

ATTACKS = {
    # plain traversal and absolute paths (CVE-2023-30172, CVE-2023-1176, CVE-2023-3765)
    "dotdot": TRAVERSAL,
    "dotdot-inside": "model/../../outside.txt",
    "dotdot-only": "..",
    "dotdot-trailing": "model/..",
    "absolute": "/tmp/mr-canary/secret.txt",
    "double-slash-root": "//proc/self/root/tmp/mr-canary",
    "slash-only": "/",
    # Windows forms (T-09 C:/Windows/win.ini, backslashes)
    "drive-forward": "C:/Windows/win.ini",
    "drive-back": "C:\\Windows\\win.ini",
    "drive-relative": "C:win.ini",
    "drive-in-middle": "model/d:/x",
    "backslash-dotdot": "..\\..\\tmp\\mr-canary",
    "backslash-name": "model\\MLmodel",
    "windows-dot-trim": "model/.. /x",
    "three-dots": "model/.../x",
    # percent-encoded, once (CVE-2024-1558), twice (CVE-2023-6831), three times
    "enc-dotdot-slash": "..%2f..%2ftmp%2fmr-canary",
    "enc-dotdot": "%2e%2e/%2e%2e/tmp/mr-canary",
    "enc-dotdot-upper": "%2E%2E/%2E%2E/tmp",
    "enc-mixed-dot": ".%2e/secret.txt",
    "enc-single-dot": "model/%2e/MLmodel",
    "enc-slash": "model%2fMLmodel",
    "enc-backslash": "model%5c..%5c..%5cx",
    "enc-absolute": "%2ftmp%2fmr-canary",
    "double-enc": "%252e%252e%252f%252e%252e%252ftmp",
    "double-enc-dots": "%252e%252e/x",
    "triple-enc": "%25252e%25252e%25252fx",
    "double-enc-backslash": "a%255c..%255cb",
    "enc-nul": "model%00.txt",
    "double-enc-nul": "model%2500.txt",
    "too-deep": "%" + "25" * 12 + "2e",
    # path parameters, fragments and queries (CVE-2024-1593, CVE-2024-2928, CVE-2024-8859)
    "semicolon": "a;/../../../tmp/mr-canary",
    "semicolon-dotdot": "..;/..;/tmp/mr-canary",
    "semicolon-name": "model;x/MLmodel",
    "enc-semicolon": "model%3b/MLmodel",
    "hash": "artifacts#/../../../tmp",
    "hash-name": "model#x",
    "question": "a?/a",
    "enc-question": "a%3f/../../x",
    # control characters and NUL
    "nul": "model\x00.txt",
    "newline": "model\n.txt",
    "del": "model\x7f",
    "c1-control": "model\x85x",
    "bidi-override": "model\u202etxt.exe",
    "line-separator": "model\u2028x",
    # home directories and look-alikes
    "tilde": "~/secret.txt",
    "tilde-user": "~root/.ssh/id_rsa",
    "tilde-inside": "model/~/x",
    "fullwidth-dots": "\uff0e\uff0e/\uff0e\uff0e/tmp",
    "fullwidth-slash": "a\uff0f..",
    "fullwidth-backslash": "a\uff3c..",
    # sizes
    "long-segment": "a" * 256,
    "long-path": "/".join(["abcdefghij"] * 100),
}


@pytest.mark.parametrize("path", ATTACKS.values(), ids=ATTACKS.keys())
def test_attack_paths_are_rejected(path: str) -> None:
    with pytest.raises(InvalidArgument, match="^Invalid path"):
        safe_relative_path(path)


@pytest.mark.parametrize("path", ATTACKS.values(), ids=ATTACKS.keys())
def test_join_under_rejects_the_same_paths(path: str) -> None:
    with pytest.raises(InvalidArgument):
        join_under("/srv/artifacts", path)


ACCEPTED = {
    "": "",
    ".": "",
    "./": "",
    "model": "model",
    "model/MLmodel": "model/MLmodel",
    "model/": "model",
    "./model//MLmodel": "model/MLmodel",
    "model/./data/model.skops": "model/data/model.skops",
    ".hidden/config.yaml": ".hidden/config.yaml",
    "..data/x": "..data/x",
    "a..b/c..": "a..b/c..",
    "estimator.html": "estimator.html",
    "my model v1/weights 01.bin": "my model v1/weights 01.bin",
    "données/modèle.pkl": "données/modèle.pkl",
    "checkpoints/epoch=3-step=100.ckpt": "checkpoints/epoch=3-step=100.ckpt",
    "report-100%25.txt": "report-100%25.txt",
    "100%.txt": "100%.txt",
    "name~backup": "name~backup",
    "a" * 255: "a" * 255,
}


@pytest.mark.parametrize("path, expected", ACCEPTED.items(), ids=range(len(ACCEPTED)))
def test_normal_paths_are_accepted_and_normalised(path: str, expected: str) -> None:
    assert safe_relative_path(path) == expected


def test_result_is_stable() -> None:
    for path in ACCEPTED:
        clean = safe_relative_path(path)
        assert safe_relative_path(clean) == clean


def test_non_string_is_rejected() -> None:
    with pytest.raises(InvalidArgument, match="expected a string"):
        safe_relative_path(b"model")  # type: ignore[arg-type]


def test_message_names_the_reason_and_bounds_the_echo() -> None:
    with pytest.raises(InvalidArgument) as info:
        safe_relative_path("../" * 200)
    assert "'..' segments are not allowed" in info.value.message
    assert len(info.value.message) < 250


def test_join_under() -> None:
    assert join_under("/srv/artifacts", "model/MLmodel") == "/srv/artifacts/model/MLmodel"
    assert join_under("s3://bucket/prefix/", "./m//x") == "s3://bucket/prefix/m/x"
    assert join_under("s3://bucket/prefix", "") == "s3://bucket/prefix"
    assert join_under("/", "a") == "/a"
    with pytest.raises(InvalidArgument):
        join_under("", "a")


# -- store roots ------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri, expected",
    [
        ("/srv/artifacts", ("file", "/srv/artifacts")),
        ("/srv/artifacts/", ("file", "/srv/artifacts")),
        ("file:///srv/artifacts", ("file", "/srv/artifacts")),
        ("file://localhost/srv/artifacts", ("file", "/srv/artifacts")),
        ("file:/srv/artifacts", ("file", "/srv/artifacts")),
        ("file:///srv/my%20artifacts", ("file", "/srv/my artifacts")),
        ("//srv/artifacts", ("file", "/srv/artifacts")),
        ("mlartifacts", ("file", os.path.join(os.getcwd(), "mlartifacts"))),
        ("s3://bucket", ("s3", "bucket")),
        ("s3://bucket/", ("s3", "bucket")),
        ("s3://bucket/a/b/", ("s3", "bucket/a/b")),
        ("S3://bucket/a", ("s3", "bucket/a")),
    ],
)
def test_store_uris_are_parsed(uri: str, expected: tuple[str, str]) -> None:
    assert parse_store_uri(uri) == expected


BAD_ROOTS = {
    "empty": "",
    "http": "http://169.254.169.254/latest/meta-data/",
    "dbfs": "dbfs:/x",
    "mlflow-artifacts": "mlflow-artifacts:/../../x",
    "gs": "gs://bucket/x",
    "windows": "C:\\artifacts",
    "file-host": "file://evil.example/tmp/mr-canary",
    "file-dot-host": "file://./tmp/mr-canary",
    "file-relative": "file:tmp/mr-canary",
    "file-dotdot": "file:///srv/artifacts/../../tmp/mr-canary",
    "file-enc-dotdot": "file:///srv/artifacts/%2e%2e/%2e%2e/tmp",
    "file-double-enc": "file:///srv/artifacts/%252e%252e/tmp",
    "file-fragment": "file:///tmp/mr-canary/#",
    "file-fragment-dotdot": "file:///srv/artifacts#/../../../tmp/mr-canary",
    "file-query": "file:///tmp/mr-canary/?x",
    "plain-dotdot": "../../../../tmp/mr-canary",
    "plain-tilde": "~/artifacts",
    "nul": "/srv/artifacts\x00/x",
    "s3-dotdot": "s3://bucket/prefix/../../other",
    "s3-no-bucket": "s3:///prefix",
    "s3-userinfo": "s3://user@bucket/prefix",
    "s3-port": "s3://bucket:9000/prefix",
    "s3-query": "s3://bucket/prefix?versionId=1",
    "s3-enc": "s3://bucket/prefix/%2e%2e/x",
}


@pytest.mark.parametrize("uri", BAD_ROOTS.values(), ids=BAD_ROOTS.keys())
def test_bad_store_uris_are_rejected(uri: str) -> None:
    with pytest.raises(InvalidArgument, match="artifact store URI"):
        parse_store_uri(uri)


def test_unknown_scheme_lists_the_supported_ones() -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_store_uri("gs://bucket/x")
    assert "'gs'" in info.value.message
    assert "file://" in info.value.message
    assert "s3://" in info.value.message
