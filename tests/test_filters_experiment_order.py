"""modelreg.filters: ``search_experiments``' ``order_by`` (MLflow's keys, default and tie-break)."""

from __future__ import annotations

import pytest

from modelreg.errors import InvalidArgument
from modelreg.filters import OrderKey, parse_experiment_order_by

TIE_BREAK = OrderKey("experiment_id", False)


def test_no_order_is_mlflows_default() -> None:
    # MLflow: creation_time DESC, experiment_id ASC (sqlalchemy_store's default clauses).
    expected = [OrderKey("creation_time", False), OrderKey("experiment_id", True)]
    assert parse_experiment_order_by(None) == expected
    assert parse_experiment_order_by([]) == expected


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        (["name"], [OrderKey("name", True), TIE_BREAK]),
        (["name DESC"], [OrderKey("name", False), TIE_BREAK]),
        (["attribute.name asc"], [OrderKey("name", True), TIE_BREAK]),
        (["`last_update_time` DESC"], [OrderKey("last_update_time", False), TIE_BREAK]),
        (["experiment_id ASC"], [OrderKey("experiment_id", True)]),
        (
            ["creation_time", "experiment_id DESC"],
            [OrderKey("creation_time", True), OrderKey("experiment_id", False)],
        ),
        ("name", [OrderKey("name", True), TIE_BREAK]),  # one clause on its own
    ],
)
def test_order_keys_get_mlflows_tie_break(entries: list[str], expected: list[OrderKey]) -> None:
    # MLflow appends experiment_id DESC unless experiment_id is ordered on already.
    assert parse_experiment_order_by(entries) == expected


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("foo", "Invalid order by key 'foo' specified in order_by clause 'foo'"),
        ("tags.team", "Invalid order by key 'tags.team'"),
        ("params.x", "Invalid order by key 'params.x'"),
        ("name ASC DESC", "Invalid order_by clause 'name ASC DESC'"),
    ],
)
def test_bad_order_keys_are_refused(entry: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match="^" + message.replace(".", r"\.")) as caught:
        parse_experiment_order_by([entry])
    if "Invalid order by key" in message:
        listed = "'name', 'experiment_id', 'creation_time', 'last_update_time'"
        assert f"Valid keys are {listed}" in caught.value.message


def test_a_repeated_key_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="duplicate fields"):
        parse_experiment_order_by(["name", "name DESC"])
