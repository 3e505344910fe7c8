"""SHA-256 manifests of model directories.

When a version is registered its files are copied into registry-owned storage
and a manifest is recorded; loading verifies it, so a registered version cannot
silently change under its users (DESIGN.md, "Models on disk"). A manifest maps
each regular file's path relative to the model directory (POSIX separators) to
the hex SHA-256 of its bytes. Files are hashed in chunks, never read whole.

Symbolic links are refused: a link could make the manifest vouch for bytes that
live outside the directory, and a model copied into storage has none.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from modelreg.errors import IntegrityFailure, InvalidArgument, NotFound

_CHUNK = 1024 * 1024


def compute_manifest(model_dir: str | os.PathLike[str]) -> dict[str, str]:
    """``{relative posix path: sha256 hex}`` for every file under ``model_dir``."""
    root = _existing_dir(model_dir)
    manifest = {}
    for relative, path in _files(root):
        if path.is_symlink() or not path.is_file():
            raise InvalidArgument(
                f"Model directory entry '{relative}' is not a regular file "
                "(symbolic links and special files cannot be recorded)"
            )
        manifest[relative] = _sha256(path)
    return manifest


def verify_manifest(model_dir: str | os.PathLike[str], manifest: Mapping[str, str]) -> None:
    """Raise :class:`IntegrityFailure` naming every file that differs from ``manifest``.

    Changed (different bytes, or no longer a regular file), missing and
    unexpected files are all reported in one message, so a single failed load
    tells the whole story.
    """
    root = _existing_dir(model_dir)
    changed, unexpected = [], []
    seen = set()
    for relative, path in _files(root):
        seen.add(relative)
        expected = manifest.get(relative)
        if expected is None:
            unexpected.append(relative)
        elif path.is_symlink() or not path.is_file() or _sha256(path) != expected.lower():
            changed.append(relative)
    missing = sorted(set(manifest) - seen)
    if changed or missing or unexpected:
        parts = [
            f"{label}: {', '.join(names)}"
            for label, names in (
                ("changed", changed),
                ("missing", missing),
                ("unexpected", unexpected),
            )
            if names
        ]
        raise IntegrityFailure(
            f"Model files in '{root}' do not match the recorded manifest; " + "; ".join(parts)
        )


def _existing_dir(model_dir: str | os.PathLike[str]) -> Path:
    root = Path(model_dir)
    if not root.is_dir():
        raise NotFound(f"No model directory at '{root}'")
    return root


def _files(root: Path) -> Iterator[tuple[str, Path]]:
    """Every non-directory entry under ``root``, sorted, without following links."""
    for current, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        base = Path(current)
        # os.walk lists a symlink to a directory under dirs; treat it as an entry.
        linked_dirs = [d for d in dirs if (base / d).is_symlink()]
        for name in sorted(files + linked_dirs):
            path = base / name
            yield path.relative_to(root).as_posix(), path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


__all__ = ["compute_manifest", "verify_manifest"]
