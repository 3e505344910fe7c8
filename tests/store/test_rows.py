"""store/rows.py: rows become the same frozen entities the dataclasses' own constructors make."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from modelreg.entities import ModelVersion, RegisteredModel
from modelreg.store.rows import _builder, model_from_row, version_from_row

ROW = (
    "m",
    3,
    10,
    20,
    "Staging",
    None,
    "s3://b/m",
    "r1",
    None,
    "READY",
    None,
    None,
    "m-1",
    None,
    None,
    7,
)


def test_a_version_row_is_the_entity_its_constructor_makes() -> None:
    built = version_from_row(ROW, {"k": "v"}, ["b", "a"])
    expected = ModelVersion(
        name="m",
        version="3",
        creation_timestamp=10,
        last_updated_timestamp=20,
        current_stage="Staging",
        source="s3://b/m",
        run_id="r1",
        model_id="m-1",
        tags={"k": "v"},
        aliases=["a", "b"],
    )
    assert built == expected
    assert type(built) is ModelVersion
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.version = "4"  # type: ignore[misc]


def test_a_model_row_is_the_entity_its_constructor_makes() -> None:
    latest = [version_from_row(ROW)]
    built = model_from_row((7, "m", 1, 2, None, "u", 3), {"t": "x"}, {"champ": 3}, latest)
    assert built == RegisteredModel(
        name="m",
        creation_timestamp=1,
        last_updated_timestamp=2,
        user_id="u",
        tags={"t": "x"},
        aliases={"champ": "3"},
        latest_versions=latest,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.name = "n"  # type: ignore[misc]


def test_a_dataclass_with_post_init_is_refused() -> None:
    @dataclass(frozen=True, slots=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            if self.value < 0:
                raise ValueError("negative")

    with pytest.raises(TypeError, match="__post_init__"):
        _builder(Checked)
