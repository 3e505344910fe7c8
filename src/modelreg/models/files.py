"""Filesystem chores shared by every flavor's save and load.

* ``new_model_dir``: claim the target directory, and remove what was written if
  the save fails, so a half-written model never looks like a model;
* ``join_inside``: resolve a path taken from an MLmodel file without letting it
  leave the model directory (an MLmodel is untrusted input);
* ``copy_code_paths`` / ``add_code_to_sys_path``: MLflow's ``code/`` directory;
* ``directory_size``: ``model_size_bytes``.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from modelreg.errors import AlreadyExists, InvalidArgument

CODE_DIR_NAME = "code"


@contextmanager
def new_model_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Create ``path`` (it may exist if empty) and yield it; undo on error."""
    target = Path(path)
    existed = target.exists()
    if existed and (not target.is_dir() or any(target.iterdir())):
        raise AlreadyExists(f"Path '{target}' already exists and is not empty")
    target.mkdir(parents=True, exist_ok=True)
    try:
        yield target
    except BaseException:
        if existed:
            for child in target.iterdir():
                _remove(child)
        else:
            shutil.rmtree(target, ignore_errors=True)
        raise


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def join_inside(root: Path, relative: str) -> Path:
    """``root / relative``, refusing absolute paths and any escape from ``root``."""
    rel = PurePosixPath(relative.replace("\\", "/"))
    if not relative or rel.is_absolute() or ".." in rel.parts:
        raise InvalidArgument(
            f"Model file path {relative!r} must be relative and stay inside the model directory"
        )
    joined = root.joinpath(*rel.parts)
    # A symlink inside the directory could still point outside it.
    if not joined.resolve().is_relative_to(root.resolve()):
        raise InvalidArgument(f"Model file path {relative!r} leads outside the model directory")
    return joined


def copy_code_paths(
    code_paths: Sequence[str | os.PathLike[str]] | None, model_dir: Path
) -> str | None:
    """Copy files/directories into ``<model_dir>/code``; return ``"code"`` or None."""
    if code_paths is None:
        return None
    if isinstance(code_paths, str | os.PathLike):
        raise InvalidArgument("code_paths must be a list of paths, not a single path")
    code_dir = model_dir / CODE_DIR_NAME
    code_dir.mkdir(exist_ok=True)
    for source in map(Path, code_paths):
        destination = code_dir / source.resolve().name
        if source.is_file():
            shutil.copy2(source, destination)
        elif source.is_dir():
            shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            raise InvalidArgument(f"Code path '{source}' does not exist")
    return CODE_DIR_NAME


def add_code_to_sys_path(model_dir: Path, code_subpath: object) -> None:
    """Put the model's ``code/`` directory first on ``sys.path`` (MLflow does the same)."""
    if not code_subpath:
        return
    code_dir = str(join_inside(model_dir, str(code_subpath)))
    if code_dir not in sys.path:
        sys.path.insert(0, code_dir)


def directory_size(path: Path) -> int:
    """Total bytes of the regular files under ``path``."""
    total = 0
    for current, _dirs, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(current, name))
    return total


__all__ = [
    "CODE_DIR_NAME",
    "add_code_to_sys_path",
    "copy_code_paths",
    "directory_size",
    "join_inside",
    "new_model_dir",
]
