"""Filesystem helpers: target claiming, cleanup on failure, path confinement."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelreg.errors import AlreadyExists, InvalidArgument
from modelreg.models.files import copy_code_paths, directory_size, join_inside, new_model_dir


def test_new_model_dir_refuses_non_empty_targets(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("x")
    with pytest.raises(AlreadyExists, match="not empty"):
        with new_model_dir(tmp_path):
            pass


def test_failed_save_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "new" / "model"
    with pytest.raises(RuntimeError), new_model_dir(target) as model_dir:
        (model_dir / "partial").write_text("x")
        raise RuntimeError("serializer failed")
    assert not target.exists()
    existing = tmp_path / "empty"
    existing.mkdir()
    with pytest.raises(RuntimeError), new_model_dir(existing) as model_dir:
        (model_dir / "sub").mkdir()
        raise RuntimeError("boom")
    assert existing.is_dir() and not any(existing.iterdir())


@pytest.mark.parametrize("relative", ["../x", "/etc/passwd", "a/../../x", "", "..\\x"])
def test_join_inside_refuses_escapes(tmp_path: Path, relative: str) -> None:
    with pytest.raises(InvalidArgument):
        join_inside(tmp_path, relative)


def test_join_inside_refuses_symlink_escapes(tmp_path: Path) -> None:
    root = tmp_path / "model"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(InvalidArgument, match="outside"):
        join_inside(root, "link/secret")
    assert join_inside(root, "sub/model.pkl") == root / "sub" / "model.pkl"


def test_code_paths_are_copied(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "pkg" / "__pycache__").mkdir(parents=True)
    (src / "pkg" / "mod.py").write_text("X = 1\n")
    (src / "pkg" / "__pycache__" / "mod.pyc").write_bytes(b"")
    (src / "helper.py").write_text("Y = 2\n")
    model = tmp_path / "model"
    model.mkdir()
    assert copy_code_paths([src / "pkg", src / "helper.py"], model) == "code"
    assert (model / "code" / "pkg" / "mod.py").exists()
    assert not (model / "code" / "pkg" / "__pycache__").exists()
    assert (model / "code" / "helper.py").exists()
    assert copy_code_paths(None, model) is None
    with pytest.raises(InvalidArgument, match="does not exist"):
        copy_code_paths([tmp_path / "nope"], model)
    with pytest.raises(InvalidArgument, match="list"):
        copy_code_paths(str(src), model)  # type: ignore[arg-type]
    assert directory_size(model) == len("X = 1\n") + len("Y = 2\n")
