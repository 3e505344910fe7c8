"""Manifests: streaming SHA-256 of every file, and verification naming each difference."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from modelreg.errors import IntegrityFailure, InvalidArgument, NotFound
from modelreg.models.manifest import compute_manifest, verify_manifest


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    root = tmp_path / "model"
    (root / "artifacts" / "nested").mkdir(parents=True)
    (root / "MLmodel").write_text("flavors: {}\n")
    (root / "model.skops").write_bytes(os.urandom(3 * 1024 * 1024 + 7))  # several chunks
    (root / "artifacts" / "nested" / "vocab.txt").write_text("a\nb\n")
    (root / "artifacts" / "empty").mkdir()  # directories are not entries
    return root


def test_manifest_lists_relative_posix_paths_with_sha256(model_dir: Path) -> None:
    manifest = compute_manifest(model_dir)
    assert sorted(manifest) == ["MLmodel", "artifacts/nested/vocab.txt", "model.skops"]
    data = (model_dir / "model.skops").read_bytes()
    assert manifest["model.skops"] == hashlib.sha256(data).hexdigest()


def test_unchanged_directory_verifies(model_dir: Path) -> None:
    verify_manifest(model_dir, compute_manifest(model_dir))


def test_every_difference_is_named(model_dir: Path) -> None:
    manifest = compute_manifest(model_dir)
    (model_dir / "MLmodel").write_text("flavors: {tampered: {}}\n")
    (model_dir / "artifacts" / "nested" / "vocab.txt").unlink()
    (model_dir / "artifacts" / "extra.bin").write_bytes(b"x")
    with pytest.raises(IntegrityFailure) as caught:
        verify_manifest(model_dir, manifest)
    message = str(caught.value)
    assert "changed: MLmodel" in message
    assert "missing: artifacts/nested/vocab.txt" in message
    assert "unexpected: artifacts/extra.bin" in message
    assert caught.value.error_code == "DATA_LOSS"


def test_same_size_change_is_caught(model_dir: Path) -> None:
    manifest = compute_manifest(model_dir)
    path = model_dir / "model.skops"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityFailure, match="changed: model.skops"):
        verify_manifest(model_dir, manifest)


def test_symlinks_are_refused_and_reported(model_dir: Path, tmp_path: Path) -> None:
    manifest = compute_manifest(model_dir)
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    (model_dir / "MLmodel").unlink()
    (model_dir / "MLmodel").symlink_to(outside)
    with pytest.raises(InvalidArgument, match="MLmodel"):
        compute_manifest(model_dir)
    with pytest.raises(IntegrityFailure, match="changed: MLmodel"):
        verify_manifest(model_dir, manifest)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        compute_manifest(tmp_path / "nope")
    with pytest.raises(NotFound):
        verify_manifest(tmp_path / "nope", {})
