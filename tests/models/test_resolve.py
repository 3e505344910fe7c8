"""URI resolution: local paths and file:// built in, other schemes pluggable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelreg.errors import InvalidArgument, NotFound
from modelreg.models.resolve import (
    register_resolver,
    resolve_to_local_dir,
    resolve_to_local_path,
    supported_schemes,
    unregister_resolver,
)


def test_local_paths(tmp_path: Path) -> None:
    assert resolve_to_local_dir(tmp_path) == tmp_path
    assert resolve_to_local_dir(str(tmp_path)) == tmp_path


def test_file_uris(tmp_path: Path) -> None:
    spaced = tmp_path / "with space"
    spaced.mkdir()
    assert resolve_to_local_dir(spaced.as_uri()) == spaced
    assert resolve_to_local_dir(f"file://localhost{spaced.as_posix()}") == spaced
    with pytest.raises(InvalidArgument, match="remote host"):
        resolve_to_local_dir(f"file://otherhost{spaced.as_posix()}")


def test_missing_and_non_directory(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        resolve_to_local_dir(tmp_path / "nope")
    file = tmp_path / "f.txt"
    file.write_text("x")
    with pytest.raises(NotFound, match="No model directory"):
        resolve_to_local_dir(file)
    assert resolve_to_local_path(file) == file


def test_unknown_scheme_lists_supported_ones() -> None:
    with pytest.raises(InvalidArgument, match=r"unsupported URI scheme 'gopher'.*file:"):
        resolve_to_local_dir("gopher://host/churn/1")


@pytest.fixture
def models_resolver(tmp_path: Path) -> Iterator[list[str]]:
    calls: list[str] = []

    def resolve(uri: str) -> Path:
        calls.append(uri)
        return tmp_path

    register_resolver("models", resolve)
    yield calls
    unregister_resolver("models")


def test_registered_resolver_gets_the_full_uri(models_resolver: list[str], tmp_path: Path) -> None:
    assert "models" in supported_schemes()
    assert resolve_to_local_dir("MODELS:/churn@champion") == tmp_path
    assert models_resolver == ["MODELS:/churn@champion"]


def test_invalid_scheme_name() -> None:
    with pytest.raises(InvalidArgument):
        register_resolver("not a scheme", lambda uri: Path(uri))
