"""modelreg.filters: OR and parentheses (modelreg's extension) and the size limits."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from modelreg.errors import InvalidArgument
from modelreg.filters import (
    DEFAULT_FILTER_LIMITS,
    MAX_FILTER_CONDITIONS_CEILING,
    MAX_FILTER_LENGTH_CEILING,
    MAX_NESTING,
    AllOf,
    AnyOf,
    Comparison,
    Condition,
    FilterLimits,
    comparisons,
    parse_experiment_filter,
    parse_logged_model_filter,
    parse_model_version_filter,
    parse_registered_model_filter,
    parse_run_filter,
)

A = Comparison("attribute", "name", "=", "a")
B = Comparison("attribute", "name", "=", "b")
C = Comparison("tag", "x", "=", "c")
D = Comparison("tag", "y", "LIKE", "d%")


def parse(text: str) -> list[Condition]:
    return parse_registered_model_filter(text)


def error(text: str, limits: FilterLimits = DEFAULT_FILTER_LIMITS) -> str:
    with pytest.raises(InvalidArgument) as info:
        parse_registered_model_filter(text, limits)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    return str(info.value)


# ------------------------------------------------------------------ precedence


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # AND binds tighter than OR, as in SQL.
        ("name = 'a' OR name = 'b' AND tag.x = 'c'", [AnyOf((A, AllOf((B, C))))]),
        ("name = 'a' AND name = 'b' OR tag.x = 'c'", [AnyOf((AllOf((A, B)), C))]),
        # Parentheses override it; the top level stays a list of AND-ed conditions.
        ("(name = 'a' OR name = 'b') AND tag.x = 'c'", [AnyOf((A, B)), C]),
        ("name = 'a' AND (name = 'b' OR tag.x = 'c')", [A, AnyOf((B, C))]),
        (
            "(name = 'a' OR name = 'b') AND (tag.x = 'c' OR tag.y LIKE 'd%')",
            [AnyOf((A, B)), AnyOf((C, D))],
        ),
        # Redundant parentheses and same-operator nesting disappear.
        ("((name = 'a'))", [A]),
        ("(name = 'a') AND (name = 'b')", [A, B]),
        ("(name = 'a' AND name = 'b') AND tag.x = 'c'", [A, B, C]),
        ("name = 'a' OR (name = 'b' OR (tag.x = 'c'))", [AnyOf((A, B, C))]),
        (
            "name = 'a' OR (name = 'b' AND (tag.x = 'c' AND tag.y LIKE 'd%'))",
            [AnyOf((A, AllOf((B, C, D))))],
        ),
        (
            "name = 'a' AND (name = 'b' OR (tag.x = 'c' AND tag.y LIKE 'd%'))",
            [A, AnyOf((B, AllOf((C, D))))],
        ),
        # Any case, any spacing; IN lists inside groups.
        ("name = 'a' or name = 'b'", [AnyOf((A, B))]),
        ("(name='a')Or(name='b')", [AnyOf((A, B))]),
        (
            "(name IN ('a', 'b') OR tag.x = 'c')",
            [AnyOf((Comparison("attribute", "name", "IN", ("a", "b")), C))],
        ),
    ],
)
def test_and_binds_tighter_than_or(text: str, expected: list[Condition]) -> None:
    assert parse(text) == expected


def test_a_filter_without_or_still_parses_to_plain_comparisons() -> None:
    assert parse("name = 'a' AND tag.x = 'c'") == [A, C]


def test_or_inside_values_and_as_a_tag_key_is_no_operator() -> None:
    assert parse("name = 'a OR b' OR tag.or = '(c)'") == [
        AnyOf((Comparison("attribute", "name", "=", "a OR b"), Comparison("tag", "or", "=", "(c)")))
    ]


def test_comparisons_lists_every_leaf_in_written_order() -> None:
    parsed = parse("name = 'a' AND (name = 'b' OR (tag.x = 'c' AND tag.y LIKE 'd%'))")
    assert comparisons(parsed) == [A, B, C, D]


@pytest.mark.parametrize(
    ("parser", "text"),
    [
        (parse_model_version_filter, "(name = 'm' OR run_id = 'r') AND version_number > 2"),
        (parse_run_filter, "metrics.acc > 0.9 OR (params.lr = '0.1' AND status = 'FINISHED')"),
        (parse_logged_model_filter, "name = 'a' OR metrics.acc > 0.5"),
        (parse_experiment_filter, "name LIKE 'a%' OR tags.team = 'x'"),
    ],
)
def test_every_search_takes_or_and_parentheses(
    parser: Callable[[str], list[Condition]], text: str
) -> None:
    (first, *_) = parser(text)
    assert isinstance(first, AnyOf)


def test_the_search_rules_apply_inside_groups() -> None:
    assert error("name = 'a' OR (tag.x = 'b' AND creation_timestamp > 1)") == (
        "Invalid attribute key 'creation_timestamp' specified. Valid keys are 'name'; "
        "timestamps and descriptions cannot be filtered on (at column 32 of filter "
        "'name = 'a' OR (tag.x = 'b' AND creation_timestamp > 1)')"
    )


# -------------------------------------------------------------------- nesting


def nested(depth: int) -> str:
    return "(" * depth + "name = 'a'" + ")" * depth


def test_parentheses_nest_up_to_the_fixed_depth() -> None:
    assert parse(nested(MAX_NESTING)) == [A]
    assert parse("name = 'b' OR " + nested(MAX_NESTING)) == [AnyOf((B, A))]


def test_deeper_nesting_is_refused_where_it_goes_too_deep() -> None:
    assert error(nested(MAX_NESTING + 1)) == (
        f"Invalid filter '{nested(MAX_NESTING + 1)}': parentheses nest more than "
        f"{MAX_NESTING} levels deep at column {MAX_NESTING + 1}; at most {MAX_NESTING} "
        "are allowed"
    )


def test_nesting_thousands_deep_is_a_clear_error_not_a_crash() -> None:
    text = nested(5000)
    assert "parentheses nest more than" in error(text, FilterLimits(max_length=20_000))


# --------------------------------------------------------------------- limits


def conjunction(count: int) -> str:
    return " AND ".join(f"tag.k{i} = 'v'" for i in range(count))


def test_a_filter_at_the_length_limit_is_parsed() -> None:
    limits = FilterLimits(max_length=30)
    text = "name = '" + "a" * 21 + "'"
    assert len(text) == 30
    assert parse_registered_model_filter(text, limits) == [
        Comparison("attribute", "name", "=", "a" * 21)
    ]


def test_a_longer_filter_is_refused_with_the_limit_before_it_is_parsed() -> None:
    # Not even valid syntax: the length is checked first, so a huge text costs nothing.
    text = "name = " * 3000
    assert error(text) == (
        f"Invalid filter: it is {len(text):,} characters long, and this server accepts "
        "filters of at most 16,384 characters. Split the search into several smaller ones"
    )
    assert error("name = 'abcdefghij'", FilterLimits(max_length=10)).startswith(
        "Invalid filter: it is 19 characters long, and this server accepts filters of at "
        "most 10 characters."
    )


def test_the_condition_limit_counts_comparisons() -> None:
    assert len(parse(conjunction(100))) == 100
    assert error(conjunction(101)) == (
        "Invalid filter: it has 101 conditions, and this server accepts at most 100 per "
        "filter (a condition is one comparison such as name = 'a'; an IN list counts as "
        "one). Split the search into several smaller ones"
    )


def test_conditions_count_inside_groups_and_an_in_list_counts_once() -> None:
    limits = FilterLimits(max_conditions=3)
    text = "name IN ('a', 'b', 'c', 'd') AND (tag.x = 'c' OR tag.y LIKE 'd%')"
    assert len(comparisons(parse_registered_model_filter(text, limits))) == 3
    assert "it has 4 conditions" in error(text + " OR name = 'e'", limits)


def test_a_cached_parse_is_still_checked_against_the_callers_limits() -> None:
    text = conjunction(5)
    assert len(parse(text)) == 5  # cached under the default limits
    assert "it has 5 conditions" in error(text, FilterLimits(max_conditions=4))


@pytest.mark.parametrize(
    "limits",
    [
        {"max_length": 0},
        {"max_length": MAX_FILTER_LENGTH_CEILING + 1},
        {"max_conditions": 0},
        {"max_conditions": MAX_FILTER_CONDITIONS_CEILING + 1},
        {"max_conditions": True},
    ],
)
def test_limits_outside_what_every_database_parses_are_refused(limits: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be an integer from 1 to"):
        FilterLimits(**limits)


def test_the_limits_apply_to_every_search() -> None:
    limits = FilterLimits(max_conditions=1)
    for parser, text in [
        (parse_model_version_filter, "name = 'a' OR name = 'b'"),
        (parse_run_filter, "params.a = 'x' AND params.b = 'y'"),
        (parse_logged_model_filter, "params.a = 'x' OR params.b = 'y'"),
        (parse_experiment_filter, "name = 'a' OR name = 'b'"),
    ]:
        with pytest.raises(InvalidArgument, match="it has 2 conditions"):
            parser(text, limits)


# --------------------------------------------- the prompt clause MLflow's clients add

NOT_PROMPT = Comparison("tag", "mlflow.prompt.is_prompt", "!=", "true")
PROMPT = Comparison("tag", "mlflow.prompt.is_prompt", "=", "true")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # MlflowClient.search_registered_models appends " AND <not a prompt>" to the
        # user's filter, meant for all of it: it applies to every OR branch.
        (
            "name = 'a' OR name = 'b' AND tag.`mlflow.prompt.is_prompt` != 'true'",
            [AnyOf((A, B)), NOT_PROMPT],
        ),
        (
            "name = 'a' OR name = 'b' AND tag.x = 'c' AND tag.`mlflow.prompt.is_prompt` != 'true'",
            [AnyOf((A, AllOf((B, C)))), NOT_PROMPT],
        ),
        (
            "name = 'a' OR (name = 'b' OR tag.x = 'c') AND tag.`mlflow.prompt.is_prompt` != 'true'",
            [AnyOf((A, B, C)), NOT_PROMPT],
        ),
        # search_prompts prepends "<a prompt> AND ".
        (
            "tags.`mlflow.prompt.is_prompt` = 'true' AND name = 'a' OR name = 'b'",
            [PROMPT, AnyOf((A, B))],
        ),
        # Written any other way, the clause is an ordinary condition.
        (
            "name = 'a' OR name = 'b' AND tag.`mlflow.prompt.is_prompt` != 'true' ",
            [AnyOf((A, AllOf((B, NOT_PROMPT))))],
        ),
        (
            "name = 'a' OR name = 'b' and tag.`mlflow.prompt.is_prompt` != 'true'",
            [AnyOf((A, AllOf((B, NOT_PROMPT))))],
        ),
        (
            "(name = 'a' OR name = 'b') AND tag.`mlflow.prompt.is_prompt` != 'true'",
            [AnyOf((A, B)), NOT_PROMPT],
        ),
    ],
)
def test_the_prompt_clause_mlflow_clients_add_applies_to_the_whole_filter(
    text: str, expected: list[Condition]
) -> None:
    assert parse(text) == expected


def test_only_registered_model_filters_get_the_client_prompt_rule() -> None:
    text = "name = 'a' OR name = 'b' AND tag.`mlflow.prompt.is_prompt` != 'true'"
    (only,) = parse_model_version_filter(text)
    assert isinstance(only, AnyOf)
