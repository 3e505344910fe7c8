"""Pure input rules."""

from __future__ import annotations

import pytest

from modelreg import validation
from modelreg.errors import InvalidArgument


@pytest.mark.parametrize("name", ["fraud-detector", "a b", "Model_1.2", "x" * 256, "é-model"])
def test_valid_model_names(name: str) -> None:
    assert validation.validate_model_name(name) == name


@pytest.mark.parametrize(
    "name", [None, 3, "", " ", "a/b", "a:b", ".", "..", "..a", "a\x00b", "x" * 257]
)
def test_invalid_model_names(name: object) -> None:
    with pytest.raises(InvalidArgument):
        validation.validate_model_name(name)


@pytest.mark.parametrize("stage", ["none", "NONE", "staging", "Production", "archived"])
def test_canonical_stage(stage: str) -> None:
    assert validation.canonical_stage(stage) in ("None", "Staging", "Production", "Archived")


@pytest.mark.parametrize("stage", ["", "prod", None, 1, "Deleted_Internal"])
def test_invalid_stage(stage: object) -> None:
    with pytest.raises(
        InvalidArgument, match="Value must be one of None, Staging, Production, Archived"
    ):
        validation.canonical_stage(stage)


@pytest.mark.parametrize(("value", "expected"), [(1, 1), ("3", 3), (" 7 ", 7)])
def test_parse_version(value: object, expected: int) -> None:
    assert validation.parse_version(value) == expected


@pytest.mark.parametrize(
    "value", ["", "a", "1.0", 0, -2, None, True, 1.5, "²", "١", 2**31, "99999999999", 2**63]
)
def test_parse_version_rejects(value: object) -> None:
    with pytest.raises(InvalidArgument, match="version"):
        validation.parse_version(value)


@pytest.mark.parametrize("alias", ["champion", "a-b_c", "V1a", "x" * 255])
def test_valid_alias(alias: str) -> None:
    assert validation.validate_alias(alias) == alias


@pytest.mark.parametrize(
    ("alias", "message"),
    [
        ("latest", "reserved"),
        ("LaTeSt", "reserved"),
        ("v3", "reserved"),
        ("V10", "reserved"),
        ("a b", "alphanumerics"),
        ("", "empty"),
        ("x" * 256, "at most 255"),
    ],
)
def test_invalid_alias(alias: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        validation.validate_alias(alias)


def test_tags_accept_mappings_and_key_value_lists() -> None:
    assert validation.validate_tags({"a": 1}) == {"a": "1"}
    assert validation.validate_tags([{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]) == {
        "a": "2"
    }
    with pytest.raises(InvalidArgument):
        validation.validate_tags("a=1")


@pytest.mark.parametrize("source", ["", "   ", None, "a\x00b", "s" * 4001])
def test_invalid_sources(source: object) -> None:
    with pytest.raises(InvalidArgument):
        validation.validate_source(source)
