"""Parse MLflow search filters, ``order_by`` lists and page tokens (mlflow-wire.md §8).

The registry searches (registered models, model versions) and the tracking searches
(runs, logged models, experiments) accept a small SQL-like filter language: conditions
``<identifier> <comparator> <value>`` joined with ``AND``. modelreg extends MLflow's
language with ``OR`` and parentheses, in every search (MLflow refuses them; its clients
pass filter strings through untouched, so they work from the real ``mlflow`` client
too). ``AND`` binds tighter than ``OR``, as in SQL: ``a OR b AND c`` is ``a OR (b AND
c)``. This module turns the text into typed :class:`Comparison` leaves combined by
:class:`AllOf` / :class:`AnyOf`, and :class:`OrderKey` and :class:`RunOrderKey`
values; it never builds SQL, the store compiles them.

A filter is bounded before it can cost anything: :class:`FilterLimits` caps its length
(checked before parsing) and its number of conditions, and parentheses nest at most
:data:`MAX_NESTING` deep.

MLflow tokenises filters with ``sqlparse`` and then inspects the token soup. Here a real
LALR grammar (lark) does the tokenising and the structure, so every syntax error can
point at the offending token; the per-search rules (which prefixes, attributes,
comparators and value types) are checked afterwards on the parsed conditions. All
searches share one grammar. It is compiled on the first parse, not at import, so
importing this module stays cheap and lark-free.

Quoting, as decided for modelreg:

* values are ``'single'`` or ``"double"`` quoted. The quote character is put inside
  a value by doubling it or by a backslash: ``'it''s'`` and ``'it\\'s'`` both mean
  ``it's``. Every other backslash is kept as typed (``'a\\_b'`` stays ``a\\_b``), so
  LIKE escapes and Windows paths reach the database unchanged. (MLflow tokenises the
  same way but keeps the escape characters in the value; nobody relies on that.)
* numbers (metric values, times) are never quoted, as in MLflow: ``metrics.acc >
  0.9``, ``start_time >= 1700000000000``. Registry version numbers are the exception
  MLflow makes: ``version_number = '3'`` works too.
* tag, param and metric keys are plain (``tag.a.b``, dots allowed) or quoted with
  backticks or double quotes (``tag.`mlflow.prompt.is_prompt```, ``metrics."f1
  score"``); a doubled backtick is a literal backtick, and double-quoted keys escape
  like double-quoted values.
* attribute names are never quoted in registry searches, as in MLflow; the tracking
  searches, like MLflow's, also accept them quoted (``attributes.`run_name```).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Final, Literal

from modelreg.errors import InvalidArgument

if TYPE_CHECKING:
    from lark import Lark, Token, Tree
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

__all__ = [
    "DEFAULT_FILTER_LIMITS",
    "MAX_LIST_VALUES",
    "MAX_NESTING",
    "AllOf",
    "AnyOf",
    "Comparison",
    "Condition",
    "FilterLimits",
    "OrderKey",
    "RunOrderKey",
    "decode_page_token",
    "encode_page_token",
    "parse_experiment_filter",
    "parse_experiment_order_by",
    "parse_logged_model_filter",
    "parse_model_version_filter",
    "parse_model_version_order_by",
    "parse_registered_model_filter",
    "parse_registered_model_order_by",
    "parse_run_filter",
    "parse_run_order_by",
    "validate_max_results",
]


@dataclass(frozen=True, slots=True)
class Comparison:
    """One condition of a search filter: a leaf of the filter's ``AND`` / ``OR`` tree.

    ``kind`` is ``"attribute"`` or ``"tag"`` in every search, ``"param"`` and
    ``"metric"`` in run and logged-model searches, ``"dataset"`` in run searches.
    ``key`` is the canonical attribute (or dataset field) name, or the unquoted tag,
    param or metric key. ``op`` is upper case: ``=``, ``!=``, ``<``, ``<=``, ``>``,
    ``>=``, ``LIKE``, ``ILIKE``, ``IN``, ``NOT IN``. ``value`` is a tuple of strings
    for ``IN`` / ``NOT IN``, a ``float`` for metrics, an ``int`` for
    ``version_number`` and times (``start_time``, ``creation_time``, ...), else a
    string.
    """

    kind: Literal["attribute", "tag", "param", "metric", "dataset"]
    key: str
    op: str
    value: str | int | float | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Terms joined with ``OR`` (at least two; never an ``AnyOf`` directly inside)."""

    terms: tuple[Comparison | AllOf, ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    """Terms joined with ``AND`` inside an ``OR`` (at least two; never an ``AllOf``
    directly inside). The top level of a parsed filter is a list of ``AND``-ed
    conditions instead, so a filter without ``OR`` parses to plain comparisons."""

    terms: tuple[Comparison | AnyOf, ...]


Condition = Comparison | AnyOf | AllOf
"""One element of a parsed filter: every ``parse_*_filter`` returns the list of the
filter's ``AND``-ed conditions, each a comparison or an ``OR`` group."""


def comparisons(conditions: Sequence[Condition]) -> list[Comparison]:
    """Every comparison of a parsed filter, in the order written."""
    found: list[Comparison] = []
    for condition in conditions:
        if isinstance(condition, Comparison):
            found.append(condition)
        else:
            found += comparisons(condition.terms)
    return found


# Defaults for FilterLimits, and the most an administrator may allow. The ceilings keep
# every compiled statement inside what every supported database parses: SQLite allows
# 500 terms in one compound SELECT and expressions 1,000 deep. (Tag values may be
# 100,000 characters long; a filter comparing one in full needs a raised max_length.)
DEFAULT_MAX_FILTER_LENGTH: Final = 16_384
DEFAULT_MAX_FILTER_CONDITIONS: Final = 100
MAX_FILTER_LENGTH_CEILING: Final = 262_144
MAX_FILTER_CONDITIONS_CEILING: Final = 500
MAX_LIST_VALUES: Final = 10_000
"""How many values the IN / NOT IN lists of one filter may hold in all, whatever the
limits: each is a bound parameter, and SQLite binds at most 32,766 per statement."""
MAX_NESTING: Final = 16
"""How deep parentheses may nest in a filter (a fixed bound: each level is a nested
subquery or parenthesis in the compiled SQL, and the parser walks the levels
recursively)."""


@dataclass(frozen=True, slots=True)
class FilterLimits:
    """How large a filter this process accepts (a 400 with the limit beyond either).

    ``max_length`` counts characters and is checked before the text is parsed, so a
    huge filter costs nothing; ``max_conditions`` counts comparisons (an ``IN`` list is
    one). Searches compile to statements whose cost grows linearly with both. The
    values of ``IN`` lists are bounded separately, by :data:`MAX_LIST_VALUES`.

    Raises:
        ValueError: a limit is below 1 or above its ceiling
            (:data:`MAX_FILTER_LENGTH_CEILING`, :data:`MAX_FILTER_CONDITIONS_CEILING`).
    """

    max_length: int = DEFAULT_MAX_FILTER_LENGTH
    max_conditions: int = DEFAULT_MAX_FILTER_CONDITIONS

    def __post_init__(self) -> None:
        for name, value, ceiling in (
            ("max_length", self.max_length, MAX_FILTER_LENGTH_CEILING),
            ("max_conditions", self.max_conditions, MAX_FILTER_CONDITIONS_CEILING),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ceiling:
                raise ValueError(
                    f"filter {name} must be an integer from 1 to {ceiling}, got {value!r}"
                )


DEFAULT_FILTER_LIMITS: Final = FilterLimits()


@dataclass(frozen=True, slots=True)
class OrderKey:
    """One ``ORDER BY`` term, on a canonical column name."""

    key: str
    ascending: bool


@dataclass(frozen=True, slots=True)
class RunOrderKey:
    """One ``search_runs`` ``ORDER BY`` term: a canonical attribute or a metric, param
    or tag key."""

    kind: Literal["attribute", "metric", "param", "tag"]
    key: str
    ascending: bool


# --------------------------------------------------------------------------- grammar

# Quoted tokens, shared with the error reporting: a backslash protects the next
# character (as in sqlparse) and a doubled quote stands for itself.
_QUOTED: Final = {
    "'": r"'(?:[^'\\]|''|\\[\s\S])*'",
    '"': r'"(?:[^"\\]|""|\\[\s\S])*"',
    "`": r"`(?:[^`]|``)*`",
}

# The filter rules, kept out of the order_by grammar: lark keeps every rule of a
# grammar that some rule refers to, and the grouping rules refer to each other, so
# with them the order_by lexer would learn the filter's tokens (quotes, commas) and
# report them as misplaced tokens instead of unexpected characters.
_FILTER_RULES: Final = r"""
// AND binds tighter than OR; parentheses group.
filter: any_of
any_of: all_of (OR all_of)*
all_of: term (AND term)*
?term: condition
     | LPAR any_of RPAR                     -> group
condition: identifier comparator value      -> compare
         | identifier IN value_list         -> in_list
         | identifier NOT IN value_list     -> not_in_list

comparator: EQ | NE | LTGT | LT | LE | GT | GE | LIKE | ILIKE
value: SQ_STRING | DQ_STRING | NUMBER
value_list: LPAR value (COMMA value)* COMMA? RPAR
"""
_ORDER_RULES: Final = r"""
order_entry: order_key direction?
order_key: identifier | BACKTICK_NAME | DQ_STRING
direction: ASC | DESC
"""
# Identifiers, keywords and tokens: shared by both grammars.
_GRAMMAR_TEMPLATE: Final = r"""
identifier: NAME                            -> bare_identifier
          | NAME "." key                    -> prefixed_identifier
key: key_part ("." key_part)*               -> plain_key
   | BACKTICK_NAME                          -> quoted_key
   | DQ_STRING                              -> quoted_key

// Keywords are reserved everywhere except after "tag.", where any word is a key.
?key_part: NAME | AND | OR | IN | NOT | LIKE | ILIKE | ASC | DESC

AND: "AND"i
OR: "OR"i
IN: "IN"i
NOT: "NOT"i
LIKE: "LIKE"i
ILIKE: "ILIKE"i
ASC: "ASC"i
DESC: "DESC"i
EQ: "="
NE: "!="
LTGT: "<>"
LT: "<"
LE: "<="
GT: ">"
GE: ">="
LPAR: "("
RPAR: ")"
COMMA: ","
NAME: /[A-Za-z_][A-Za-z0-9_]*/
BACKTICK_NAME: /QUOTED_BACKTICK/
SQ_STRING: /QUOTED_SINGLE/
DQ_STRING: /QUOTED_DOUBLE/
// ".5" is a number only where it cannot continue a name: "tag.5" stays "tag" "." "5".
NUMBER: /[+-]?(?:\d+(?:\.\d*)?|(?<![\w`"'.])\.\d+)(?:[eE][+-]?\d+)?/

%import common.WS
%ignore WS
"""
_GRAMMAR: Final = (
    _GRAMMAR_TEMPLATE.replace("QUOTED_BACKTICK", _QUOTED["`"])
    .replace("QUOTED_SINGLE", _QUOTED["'"])
    .replace("QUOTED_DOUBLE", _QUOTED['"'])
)


@functools.cache
def _parser(start: str) -> Lark:
    # Imported here so that `import modelreg.filters` neither loads lark nor pays for
    # compiling the grammar; functools.cache keeps one compiled parser per start
    # symbol. Separate parsers (rather than one with two start symbols) keep the LALR
    # states apart, so "expected ..." in error messages never mixes filter and
    # order_by vocabulary. The basic (not contextual) lexer makes keywords reserved
    # words: a stray AND or NOT is reported as itself, never misread as a name.
    from lark import Lark

    rules = _FILTER_RULES if start == "filter" else _ORDER_RULES
    return Lark(rules + _GRAMMAR, parser="lalr", lexer="basic", start=start)


def _parse(text: str, start: str, subject: str, wording: _Wording) -> Tree[Token]:
    from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

    try:
        return _parser(start).parse(text)
    except UnexpectedToken as exc:
        raise _unexpected_token(text, subject, wording, exc) from None
    except UnexpectedCharacters as exc:
        raise _unexpected_character(text, subject, wording, exc) from None
    except UnexpectedInput as exc:  # pragma: no cover - LALR raises only the two above
        raise InvalidArgument(f"Invalid {subject} {_quote(text)}: {exc}") from None


# ------------------------------------------------------------------- syntax errors

_ALL_COMPARATORS: Final = "=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN"
_JOINED: Final = "conditions are joined with AND or OR and grouped with parentheses"
_MAX_QUOTED_TEXT: Final = 300


@dataclass(frozen=True, slots=True)
class _Wording:
    """How syntax errors describe what a search expected (the grammar is shared)."""

    identifier: str  # a filter condition's left-hand side
    key: str  # the key after a prefix such as tag.
    order_key: str  # an order_by entry's key
    value: str  # a filter value
    numbers: str = ""  # appended to "values must be quoted strings like 'x'"


_REGISTRY_WORDING: Final = _Wording(
    identifier="an identifier like name, attribute.name or tag.`key`",
    key="a tag key like my_key or a quoted key like `my.key`",
    order_key="a key like name",
    value="a quoted string value like 'foo'",
)


def _quote(text: str) -> str:
    # Messages echo the user's input; cap it so a huge filter cannot bloat responses.
    if len(text) > _MAX_QUOTED_TEXT:
        text = text[: _MAX_QUOTED_TEXT - 3] + "..."
    return f"'{text}'"


def _column(token: Token) -> int:
    # Absolute 1-based position: filters are one line in practice, and lark's own
    # `column` restarts on every line.
    return (token.start_pos or 0) + 1


def _expected(accepts: set[str], subject: str, wording: _Wording) -> str:
    """Describe, in words, the terminals the parser would have accepted."""
    # Keywords are also accepted as tag keys, so a key position accepts AND, LIKE, ...
    # alongside NAME; those must not be described as "AND" or "a comparator".
    key_position = "NAME" in accepts
    phrases: list[str] = []
    if "EQ" in accepts:
        phrases.append(f"a comparator ({_ALL_COMPARATORS})")
    if "SQ_STRING" in accepts:
        phrases.append(wording.value)
    if key_position and subject != "filter":
        phrases.append(wording.order_key)
    elif key_position and "LIKE" in accepts:
        phrases.append(wording.key)
    elif key_position:
        phrases.append(wording.identifier)
    if "AND" in accepts and not key_position:
        phrases += ["AND", "OR"] if "OR" in accepts else ["AND"]
    # A "(" is also accepted where a condition starts; the identifier says enough there.
    if "LPAR" in accepts and not key_position:
        phrases.append("a list like ('a', 'b')")
    if "COMMA" in accepts:
        phrases.append("',' or ')'")
    elif "RPAR" in accepts:
        phrases.append("')' to close the group")
    if "ASC" in accepts and not key_position:
        phrases.append("ASC or DESC")
    if "$END" in accepts:
        phrases.append("the end of the text")
    if not phrases:
        return "the text cannot continue"
    if len(phrases) > 2:
        return f"expected {', '.join(phrases[:-1])} or {phrases[-1]}"
    return "expected " + " or ".join(phrases)


def _accepts(exc: UnexpectedToken | UnexpectedCharacters) -> set[str]:
    # accepts() tries each terminal on the live parser state, so unlike `expected` it
    # also knows whether the text may end here.
    parser = exc.interactive_parser
    if parser is None:  # pragma: no cover - LALR always attaches one
        return set()
    accepts: set[str] = parser.accepts()  # type: ignore[no-untyped-call]
    return accepts


def _misplaced_clause(
    text: str, subject: str, token: Token, accepts: set[str]
) -> InvalidArgument | None:
    """Errors that deserve more than "expected ...": a stray ")" and IS NULL."""
    if subject != "filter":
        return None
    value = str(token)
    if token.type == "RPAR" and accepts and accepts <= {"AND", "OR", "$END"}:
        return InvalidArgument(
            f"Invalid {subject} {_quote(text)}: unexpected token ')' at column "
            f"{_column(token)}; it closes no open parenthesis"
        )
    if token.type == "NAME" and value.upper() == "IS" and "EQ" in accepts:
        return InvalidArgument(
            f"Invalid {subject} {_quote(text)}: unexpected token '{value}' at column "
            f"{_column(token)}; IS NULL / IS NOT NULL are not supported, valid "
            f"comparators are {_ALL_COMPARATORS}"
        )
    return None


def _unexpected_token(
    text: str, subject: str, wording: _Wording, exc: UnexpectedToken
) -> InvalidArgument:
    token, accepts = exc.token, _accepts(exc)
    special = _misplaced_clause(text, subject, token, accepts)
    if special is not None:
        return special
    prefix = f"Invalid {subject} {_quote(text)}"
    if token.type == "$END":
        # lark places $END at the last token; the text really ends one past its end.
        return InvalidArgument(
            f"{prefix}: unexpected end of {subject} at column {len(text) + 1}; "
            f"{_expected(accepts, subject, wording)}"
        )
    value, column = str(token), _column(token)
    if token.type == "NAME" and "SQ_STRING" in accepts:
        hint = f"values must be quoted strings like '{value}'{wording.numbers}"
    elif token.type == "LPAR" and "SQ_STRING" in accepts:
        hint = (
            "a list of values is only allowed after IN or NOT IN; other comparators "
            "take one quoted value"
        )
    else:
        hint = _expected(accepts, subject, wording)
    return InvalidArgument(f"{prefix}: unexpected token '{value}' at column {column}; {hint}")


def _unexpected_character(
    text: str, subject: str, wording: _Wording, exc: UnexpectedCharacters
) -> InvalidArgument:
    char = exc.char
    column = (exc.pos_in_stream or 0) + 1
    prefix = f"Invalid {subject} {_quote(text)}"
    if char in _QUOTED and not re.match(_QUOTED[char], text[column - 1 :]):
        return InvalidArgument(
            f"{prefix}: unterminated quoted text starting at column {column}; close it "
            f"with {char} (write {char}{char} to put a {char} inside)"
        )
    if char == "," and subject != "filter":
        return InvalidArgument(
            f"{prefix}: unexpected character ',' at column {column}; each order_by "
            "entry holds one key, pass several keys as separate entries"
        )
    if char == ";" and subject == "filter":
        return InvalidArgument(
            f"{prefix}: unexpected character ';' at column {column}; a filter is a "
            f"single expression, {_JOINED}"
        )
    return InvalidArgument(
        f"{prefix}: unexpected character '{char}' at column {column}; "
        f"{_expected(_accepts(exc), subject, wording)}"
    )


# ------------------------------------------------------------ parse tree -> conditions


@dataclass(frozen=True, slots=True)
class _Identifier:
    prefix: str | None  # "attribute", "tag", "tags", or anything the user typed
    key: str  # unquoted
    quoted: bool
    written: str  # as typed, for messages
    column: int


@dataclass(frozen=True, slots=True)
class _Value:
    kind: Literal["string", "number"]
    text: str  # unquoted string contents, or the number literal
    written: str
    column: int


@dataclass(frozen=True, slots=True)
class _Condition:
    identifier: _Identifier
    op: str
    op_column: int
    values: tuple[_Value, ...]


_STRING_ESCAPES: Final = {quote: re.compile(r"\\([\s\S])|" + quote * 2) for quote in ("'", '"')}


def _unquote(written: str) -> str:
    quote, body = written[0], written[1:-1]
    if quote == "`":
        return body.replace("``", "`")

    # The lexer, like sqlparse, lets a backslash protect the next character. Only a
    # protected quote loses its backslash: other pairs (\_, \%, \\) stay verbatim so
    # LIKE patterns and Windows paths reach the database exactly as written.
    def unescape(match: re.Match[str]) -> str:
        escaped = match.group(1)
        return quote if escaped in (None, quote) else match.group(0)

    return _STRING_ESCAPES[quote].sub(unescape, body)


def _tokens(tree: Tree[Token]) -> list[Token]:
    from lark import Token

    return [child for child in tree.children if isinstance(child, Token)]


def _subtrees(tree: Tree[Token]) -> list[Tree[Token]]:
    from lark import Tree

    return [child for child in tree.children if isinstance(child, Tree)]


def _identifier(tree: Tree[Token]) -> _Identifier:
    first = _tokens(tree)[0]
    if tree.data == "bare_identifier":
        return _Identifier(None, str(first), False, str(first), _column(first))
    (key_tree,) = _subtrees(tree)
    parts = _tokens(key_tree)
    if key_tree.data == "quoted_key":
        key, quoted, key_written = _unquote(str(parts[0])), True, str(parts[0])
    else:
        key = key_written = ".".join(str(part) for part in parts)
        quoted = False
    written = f"{first}.{key_written}"
    return _Identifier(str(first), key, quoted, written, _column(first))


def _value(tree: Tree[Token]) -> _Value:
    (token,) = _tokens(tree)
    written = str(token)
    if token.type == "NUMBER":
        return _Value("number", written, written, _column(token))
    return _Value("string", _unquote(written), written, _column(token))


def _condition(tree: Tree[Token]) -> _Condition:
    identifier_tree, *rest = _subtrees(tree)
    identifier = _identifier(identifier_tree)
    if tree.data == "compare":
        comparator_tree, value_tree = rest
        (op_token,) = _tokens(comparator_tree)
        return _Condition(
            identifier, str(op_token).upper(), _column(op_token), (_value(value_tree),)
        )
    (list_tree,) = rest
    op_tokens = _tokens(tree)
    op = " ".join(str(token).upper() for token in op_tokens)
    values = tuple(_value(value_tree) for value_tree in _subtrees(list_tree))
    return _Condition(identifier, op, _column(op_tokens[0]), values)


_Node = _Condition | tuple[Literal["AND", "OR"], tuple["_Node", ...]]


def _node(tree: Tree[Token], depth: int, text: str) -> _Node:
    """The parse tree as nested ("AND" | "OR", terms) tuples over conditions.

    Single-term groups are dropped, so ``((a))`` is ``a``. The depth check comes before
    the recursion, which therefore never goes deeper than :data:`MAX_NESTING` groups.
    """
    if tree.data == "group":
        if depth >= MAX_NESTING:
            opening = _tokens(tree)[0]
            raise InvalidArgument(
                f"Invalid filter {_quote(text)}: parentheses nest more than {MAX_NESTING} "
                f"levels deep at column {_column(opening)}; at most {MAX_NESTING} are allowed"
            )
        (inner,) = _subtrees(tree)
        return _node(inner, depth + 1, text)
    if tree.data in ("any_of", "all_of"):
        terms = tuple(_node(child, depth, text) for child in _subtrees(tree))
        if len(terms) == 1:
            return terms[0]
        return ("OR" if tree.data == "any_of" else "AND", terms)
    return _condition(tree)


def _conditions(text: str, wording: _Wording) -> _Node:
    tree = _parse(text, "filter", "filter", wording)
    (root,) = _subtrees(tree)
    return _node(root, 0, text)


# ----------------------------------------------------------------- per-search rules

_STRING_OPS: Final = ("=", "!=", "LIKE", "ILIKE")
_LIST_OPS: Final = ("IN", "NOT IN")
_NUMERIC_OPS: Final = ("=", "!=", "<", "<=", ">", ">=")
_TAG_OPS: Final = _STRING_OPS
_INTEGER: Final = re.compile(r"[+-]?[0-9]{1,30}")
_MAX_INT64: Final = 2**63 - 1

_Kind = Literal["attribute", "tag", "param", "metric", "dataset"]
# How a value is read:
#   string         a quoted string ('a' or "a"); a tuple of them after IN / NOT IN
#   integer        an integer, quoted or not: 3, '3' (registry version numbers)
#   number         an unquoted number, as a float: 1, -0.5, .5, 1e-3 (metric values)
#   millis         an unquoted whole number, as an int: 1700000000000, 1.7e12 (times)
_ValueKind = Literal["string", "integer", "number", "millis"]


@dataclass(frozen=True, slots=True)
class _Attribute:
    """The rule for one attribute (or for every key of a tag, param or metric)."""

    comparators: tuple[str, ...]
    value: _ValueKind = "string"
    canonical: str | None = None  # for aliases: the key reported in Comparison.key


_STRING: Final = _Attribute(_STRING_OPS)
_STRING_OR_LIST: Final = _Attribute(_STRING_OPS + _LIST_OPS)
_MILLIS: Final = _Attribute(_NUMERIC_OPS, "millis")


@dataclass(frozen=True, slots=True)
class _Search:
    """Everything one search accepts in its filter."""

    prefixes: Mapping[str, _Kind]  # entity type as written before the dot -> kind
    attributes: Mapping[str, _Attribute]  # name as written -> rule, canonical names first
    keyed: Mapping[_Kind, _Attribute]  # kinds whose key is free text (tag, param, metric)
    wording: _Wording
    datasets: Mapping[str, _Attribute] | None = None  # run filters' datasets.<field>
    # MLflow's registry searches compare an attribute name before unquoting it, so
    # attribute.`name` is unknown there; the tracking searches unquote it first.
    quoted_attributes: bool = False
    registry: bool = False  # explain that timestamps cannot be filtered on

    def attribute_names(self) -> list[str]:
        """Canonical attribute names, for messages (aliases are accepted, not listed)."""
        return list(dict.fromkeys(rule.canonical or name for name, rule in self.attributes.items()))


_REGISTRY_PREFIXES: Final[Mapping[str, _Kind]] = {
    "attribute": "attribute",
    "tag": "tag",
    "tags": "tag",
}
_REGISTERED_MODELS: Final = _Search(
    prefixes=_REGISTRY_PREFIXES,
    attributes={"name": _STRING_OR_LIST},
    keyed={"tag": _Attribute(_TAG_OPS)},
    wording=_REGISTRY_WORDING,
    registry=True,
)
_MODEL_VERSIONS: Final = _Search(
    prefixes=_REGISTRY_PREFIXES,
    attributes={
        "name": _STRING_OR_LIST,
        "run_id": _STRING_OR_LIST,
        "source_path": _STRING,
        "version_number": _Attribute(_NUMERIC_OPS, "integer"),
    },
    keyed={"tag": _Attribute(_TAG_OPS)},
    wording=_REGISTRY_WORDING,
    registry=True,
)

_NUMBERS_UNQUOTED: Final = "; numbers (metric values, times) are written without quotes"
_RUNS: Final = _Search(
    # MLflow's SearchUtils spellings.
    prefixes={
        "metrics": "metric",
        "metric": "metric",
        "params": "param",
        "param": "param",
        "parameters": "param",
        "parameter": "param",
        "tags": "tag",
        "tag": "tag",
        "attributes": "attribute",
        "attribute": "attribute",
        "attr": "attribute",
        "run": "attribute",
        "datasets": "dataset",
        "dataset": "dataset",
    },
    attributes={
        "run_id": _STRING_OR_LIST,
        "run_name": _STRING,
        "status": _STRING,
        "start_time": _MILLIS,
        "end_time": _MILLIS,
        "user_id": _STRING,
        "artifact_uri": _STRING,
        # Not searchable in MLflow 3.17 (run_view_type selects it there); harmless here.
        "lifecycle_stage": _STRING,
        # MLflow's aliases, named after the UI's columns; the spaced ones need quotes:
        # attributes.`Run name`.
        "created": _Attribute(_NUMERIC_OPS, "millis", "start_time"),
        "Created": _Attribute(_NUMERIC_OPS, "millis", "start_time"),
        "run name": _Attribute(_STRING_OPS, canonical="run_name"),
        "Run name": _Attribute(_STRING_OPS, canonical="run_name"),
        "Run Name": _Attribute(_STRING_OPS, canonical="run_name"),
    },
    keyed={
        "metric": _Attribute(_NUMERIC_OPS, "number"),
        "param": _Attribute(_STRING_OPS),
        "tag": _Attribute(_TAG_OPS),
    },
    datasets={"name": _STRING_OR_LIST, "digest": _STRING_OR_LIST, "context": _STRING_OR_LIST},
    quoted_attributes=True,
    wording=_Wording(
        identifier=(
            "an identifier like metrics.acc, params.lr, tags.`my.key`, datasets.name or status"
        ),
        key="a key like my_key or a quoted key like `my key`",
        order_key="a key like start_time, metrics.acc, params.lr or tags.`my.key`",
        value="a value like 'foo' or 0.5",
        numbers=_NUMBERS_UNQUOTED,
    ),
)
_LOGGED_MODELS: Final = _Search(
    # MLflow's search_logged_model_utils knows only these four, all plural.
    prefixes={"attributes": "attribute", "metrics": "metric", "params": "param", "tags": "tag"},
    attributes={
        "name": _STRING_OR_LIST,
        "model_id": _STRING_OR_LIST,
        "status": _STRING_OR_LIST,
        "model_type": _STRING_OR_LIST,
        "source_run_id": _STRING_OR_LIST,
        "creation_timestamp": _MILLIS,
        "last_updated_timestamp": _MILLIS,
        "creation_time": _Attribute(_NUMERIC_OPS, "millis", "creation_timestamp"),
    },
    keyed={
        "metric": _Attribute(_NUMERIC_OPS, "number"),
        "param": _STRING_OR_LIST,
        "tag": _STRING_OR_LIST,
    },
    quoted_attributes=True,
    wording=_Wording(
        identifier="an identifier like name, metrics.acc, params.lr or tags.`my.key`",
        key="a key like my_key or a quoted key like `my key`",
        order_key="a key like name",  # unused: logged models order with objects
        value="a value like 'foo' or 0.5",
        numbers=_NUMBERS_UNQUOTED,
    ),
)
_EXPERIMENTS: Final = _Search(
    prefixes=_REGISTRY_PREFIXES,  # MLflow: attribute, tag, tags
    attributes={
        # MLflow also filters on experiment_id (=, !=, IN, NOT IN with quoted ids);
        # modelreg's experiment search does not compile it yet.
        "name": _STRING,
        "creation_time": _MILLIS,
        "last_update_time": _MILLIS,
    },
    keyed={"tag": _Attribute(_TAG_OPS)},
    quoted_attributes=True,
    wording=_Wording(
        identifier="an identifier like name, creation_time or tags.`my.key`",
        key="a tag key like my_key or a quoted key like `my.key`",
        order_key="a key like name",  # unused: no experiment order_by parser yet
        value="a value like 'foo' or 1700000000000",
        numbers="; times are written without quotes",
    ),
)

_NOUNS: Final[Mapping[_Kind, str]] = {
    "attribute": "attribute",
    "tag": "tag",
    "param": "param",
    "metric": "metric",
    "dataset": "dataset field",
}
_PLURAL_PREFIXES: Final[Mapping[_Kind, str]] = {
    "metric": "metrics",
    "param": "params",
    "tag": "tags",
}


def _listing(items: Sequence[str]) -> str:
    return ", ".join(f"'{item}'" for item in items)


def _at(column: int, text: str) -> str:
    return f" (at column {column} of filter {_quote(text)})"


def _unknown_attribute_hint(identifier: _Identifier, search: _Search) -> str:
    key = identifier.key
    if search.registry:
        if key.endswith("timestamp") or key == "description":
            return "; timestamps and descriptions cannot be filtered on"
        return ""
    names = search.attribute_names()
    if key == "run_uuid" and "run_id" in names:
        return "; write run_id"
    same_but_case = [name for name in names if name.lower() == key.lower()]
    if same_but_case:
        return f"; attribute names are case-sensitive, write {same_but_case[0]}"
    if identifier.prefix is not None or not re.fullmatch(r"\w+", key):
        return ""
    # A bare word that is no attribute is most likely a metric, param or tag name.
    spellings = [f"{_PLURAL_PREFIXES[kind]}.{key}" for kind in search.keyed]
    nouns = [_NOUNS[kind] for kind in search.keyed]
    if len(spellings) > 1:
        return (
            f"; for a {', '.join(nouns[:-1])} or {nouns[-1]} write "
            f"{', '.join(spellings[:-1])} or {spellings[-1]}"
        )
    return f"; for a {nouns[0]} write {spellings[0]}"


def _attribute_for(identifier: _Identifier, search: _Search, text: str) -> _Attribute:
    attribute = search.attributes.get(identifier.key)
    quoted_ok = search.quoted_attributes or not identifier.quoted
    if attribute is not None and quoted_ok:
        return attribute
    key = identifier.key
    if not quoted_ok:
        key = identifier.written.partition(".")[2]
        hint = "; attribute names are written without quotes"
    else:
        hint = _unknown_attribute_hint(identifier, search)
    raise InvalidArgument(
        f"Invalid attribute key '{key}' specified. Valid keys are "
        f"{_listing(search.attribute_names())}{hint}{_at(identifier.column, text)}"
    )


def _dataset_field_for(
    identifier: _Identifier, fields: Mapping[str, _Attribute], text: str
) -> _Attribute:
    field = fields.get(identifier.key)
    if field is None:
        raise InvalidArgument(
            f"Invalid dataset key '{identifier.key}' specified. Valid keys are "
            f"{_listing(list(fields))}{_at(identifier.column, text)}"
        )
    return field


def _check_comparator(
    condition: _Condition, allowed: tuple[str, ...], what: str, text: str
) -> None:
    if condition.op in allowed:
        return
    hint = "; use != for 'not equal'" if condition.op == "<>" else ""
    raise InvalidArgument(
        f"Invalid comparator '{condition.op}' for {what}. Valid comparators are "
        f"{', '.join(allowed)}{hint}{_at(condition.op_column, text)}"
    )


def _string_value(condition: _Condition, what: str, text: str) -> str:
    (value,) = condition.values
    if value.kind != "string":
        raise InvalidArgument(
            f"Expected a quoted string value for {what} (e.g. 'my-value'), got "
            f"{value.written}{_at(value.column, text)}"
        )
    return value.text


def _list_value(condition: _Condition, what: str, text: str) -> tuple[str, ...]:
    for value in condition.values:
        if value.kind != "string":
            raise InvalidArgument(
                f"Expected a list of quoted string values for {what} (e.g. "
                f"('a', 'b')), got {value.written}{_at(value.column, text)}"
            )
    return tuple(value.text for value in condition.values)


def _integer_value(condition: _Condition, what: str, text: str) -> int:
    (value,) = condition.values
    digits = value.text.strip()  # MLflow int()-s quoted values, which ignores spaces
    if _INTEGER.fullmatch(digits):
        number = int(digits)
        if abs(number) <= _MAX_INT64:
            return number
    raise InvalidArgument(
        f"Invalid value {value.written} for {what}: expected an integer like 3 or "
        f"'3'{_at(value.column, text)}"
    )


def _number_value(condition: _Condition, what: str, text: str) -> float:
    (value,) = condition.values
    if value.kind == "number":
        number = float(value.text)
        if math.isfinite(number):
            return number
        problem = "the number is out of range"
    else:
        # MLflow, too, takes numbers only unquoted: '0.5' is text, not a number.
        problem = "expected a number like 0.5, -2 or 1e-3, written without quotes"
    raise InvalidArgument(
        f"Invalid value {value.written} for {what}: {problem}{_at(value.column, text)}"
    )


def _millis_value(condition: _Condition, what: str, text: str) -> int:
    (value,) = condition.values
    if value.kind == "number":
        number = Decimal(value.text)
        # adjusted() bounds the exponent before int() can build a huge integer.
        if number.is_zero():
            return 0
        if number.adjusted() > 18 or abs(number) > _MAX_INT64:
            problem = "the number is out of range"
        elif number != number.to_integral_value():
            problem = "expected a whole number of milliseconds"
        else:
            return int(number)
    else:
        problem = "expected milliseconds since the epoch like 1700000000000, written without quotes"
    raise InvalidArgument(
        f"Invalid value {value.written} for {what}: {problem}{_at(value.column, text)}"
    )


def _typed_value(
    condition: _Condition, rule: _Attribute, what: str, text: str
) -> str | int | float | tuple[str, ...]:
    if condition.op in _LIST_OPS:
        return _list_value(condition, what, text)
    if rule.value == "integer":
        return _integer_value(condition, what, text)
    if rule.value == "number":
        return _number_value(condition, what, text)
    if rule.value == "millis":
        return _millis_value(condition, what, text)
    return _string_value(condition, what, text)


def _kind_of(identifier: _Identifier, search: _Search, where: str) -> _Kind:
    if identifier.prefix is None:
        return "attribute"
    kind = search.prefixes.get(identifier.prefix)
    if kind is None:
        raise InvalidArgument(
            f"Invalid entity type '{identifier.prefix}' in '{identifier.written}'. "
            f"Valid entity types are {_listing(list(search.prefixes))}, or a bare "
            f"attribute name{where}"
        )
    return kind


def _comparison(condition: _Condition, search: _Search, text: str) -> Comparison:
    identifier = condition.identifier
    kind = _kind_of(identifier, search, _at(identifier.column, text))
    key = identifier.key
    if kind == "attribute":
        rule = _attribute_for(identifier, search, text)
        key = rule.canonical or key
    elif kind == "dataset":
        rule = _dataset_field_for(identifier, search.datasets or {}, text)
    else:
        if not key:
            raise InvalidArgument(
                f"{kind.capitalize()} key cannot be empty{_at(identifier.column, text)}"
            )
        rule = search.keyed[kind]
    what = f"{_NOUNS[kind]} '{identifier.key}'"
    _check_comparator(condition, rule.comparators, what, text)
    return Comparison(kind, key, condition.op, _typed_value(condition, rule, what, text))


def _typed(node: _Node, search: _Search, text: str) -> Condition:
    """Check each condition against the search's rules; flatten same-operator nesting."""
    if isinstance(node, _Condition):
        return _comparison(node, search, text)
    operator, nodes = node
    terms: list[Condition] = []
    for term in (_typed(child, search, text) for child in nodes):
        # (a AND b) AND c is a AND b AND c: nested groups of one operator merge.
        same = AllOf if operator == "AND" else AnyOf
        terms += term.terms if isinstance(term, same) else (term,)
    if operator == "AND":
        return AllOf(tuple(t for t in terms if not isinstance(t, AllOf)))
    return AnyOf(tuple(t for t in terms if not isinstance(t, AnyOf)))


def _either(terms: Sequence[Condition]) -> Condition:
    """``terms`` joined with OR, flattened; a single term as itself."""
    flat: list[Comparison | AllOf] = []
    for term in terms:
        flat += term.terms if isinstance(term, AnyOf) else (term,)
    return flat[0] if len(flat) == 1 else AnyOf(tuple(flat))


def _both(terms: Sequence[Condition]) -> Condition:
    """``terms`` joined with AND, flattened; a single term as itself."""
    flat: list[Comparison | AnyOf] = []
    for term in terms:
        flat += term.terms if isinstance(term, AllOf) else (term,)
    return flat[0] if len(flat) == 1 else AllOf(tuple(flat))


# MLflow's clients add their prompt condition to a registered-model filter as text:
# search_registered_models appends " AND <not a prompt>" (unless the filter mentions
# the prompt tag), search_prompts prepends "<a prompt> AND ". Meant for the whole
# filter, the condition would bind to one OR branch only once OR exists, so a filter
# ending (or starting) with exactly that text gets it applied to the whole filter.
_PROMPT_KEY: Final = "mlflow.prompt.is_prompt"
_CLIENT_NOT_PROMPT: Final = (" AND tag.`mlflow.prompt.is_prompt` != 'true'", "!=")
_CLIENT_PROMPT: Final = ("tags.`mlflow.prompt.is_prompt` = 'true' AND ", "=")


def _with_client_prompt_clause(text: str, root: Condition) -> Condition:
    if not isinstance(root, AnyOf):
        return root  # no OR at the top: precedence changes nothing
    suffix, not_prompt = _CLIENT_NOT_PROMPT
    prefix, prompt = _CLIENT_PROMPT
    if text.endswith(suffix):
        clause, index = Comparison("tag", _PROMPT_KEY, not_prompt, "true"), -1
    elif text.startswith(prefix):
        clause, index = Comparison("tag", _PROMPT_KEY, prompt, "true"), 0
    else:
        return root
    branch = root.terms[index]
    if not isinstance(branch, AllOf) or branch.terms[index] != clause:
        return root
    rest = branch.terms[:-1] if index == -1 else branch.terms[1:]
    branches: list[Condition] = [*root.terms]
    branches[index] = _both(rest)
    return _both([clause, _either(branches)] if index == 0 else [_either(branches), clause])


def _check_length(text: str, limits: FilterLimits) -> None:
    if len(text) > limits.max_length:
        raise InvalidArgument(
            f"Invalid filter: it is {len(text):,} characters long, and this server accepts "
            f"filters of at most {limits.max_length:,} characters. Split the search into "
            "several smaller ones"
        )


def _check_values(values: int) -> None:
    if values > MAX_LIST_VALUES:
        raise InvalidArgument(
            f"Invalid filter: its IN lists hold {values:,} values, and a filter may hold "
            f"at most {MAX_LIST_VALUES:,}. Split the search into several smaller ones"
        )


def _check_conditions(count: int, limits: FilterLimits) -> None:
    if count > limits.max_conditions:
        raise InvalidArgument(
            f"Invalid filter: it has {count:,} conditions, and this server "
            f"accepts at most {limits.max_conditions:,} per filter (a condition is one "
            "comparison such as name = 'a'; an IN list counts as one). Split the search "
            "into several smaller ones"
        )


def _parse_filter(text: str | None, search: _Search, limits: FilterLimits) -> list[Condition]:
    if text is None:
        return []
    if not isinstance(text, str):
        raise InvalidArgument(f"filter must be a string, got {type(text).__name__}")
    # Before anything else: the cost of everything below grows with the length.
    _check_length(text, limits)
    # No filter matches everything. Blank text counts as none (MLflow 3.17 answers a
    # blank filter with a 400, which helps nobody).
    if not text.strip():
        return []
    # Clients repeat the same few filters (a dashboard polling one model): parsing is
    # the costliest part of a small search, and its result is immutable, so keep it.
    # The cache holds parses under any limit; the condition count is checked per call.
    key = (id(search), text)
    cached = _PARSED.get(key)
    if cached is None:
        root = _typed(_conditions(text, search.wording), search, text)
        if search is _REGISTERED_MODELS:
            root = _with_client_prompt_clause(text, root)
        top: tuple[Condition, ...] = root.terms if isinstance(root, AllOf) else (root,)
        leaves = comparisons(top)
        _check_values(sum(len(c.value) for c in leaves if isinstance(c.value, tuple)))
        cached = (top, len(leaves))
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        _PARSED[key] = cached
    conditions, count = cached
    _check_conditions(count, limits)
    return list(conditions)


_PARSED: dict[tuple[int, str], tuple[tuple[Condition, ...], int]] = {}
_PARSED_LIMIT = 4096


def parse_registered_model_filter(
    text: str | None, limits: FilterLimits = DEFAULT_FILTER_LIMITS
) -> list[Condition]:
    """Parse a ``search_registered_models`` filter.

    Attribute ``name`` (``=``, ``!=``, ``LIKE``, ``ILIKE``, ``IN``, ``NOT IN``) and tags
    (``=``, ``!=``, ``LIKE``, ``ILIKE``). ``None`` or blank text means no conditions.

    Raises:
        InvalidArgument: the text is not a valid filter, or exceeds ``limits``; the
            message says why.
    """
    return _parse_filter(text, _REGISTERED_MODELS, limits)


def parse_model_version_filter(
    text: str | None, limits: FilterLimits = DEFAULT_FILTER_LIMITS
) -> list[Condition]:
    """Parse a ``search_model_versions`` filter.

    Attributes ``name`` and ``run_id`` (string comparators plus ``IN`` / ``NOT IN``),
    ``source_path`` (string comparators) and ``version_number`` (numeric comparators,
    integer or quoted integer value); tags as for registered models.

    Raises:
        InvalidArgument: the text is not a valid filter, or exceeds ``limits``; the
            message says why.
    """
    return _parse_filter(text, _MODEL_VERSIONS, limits)


def parse_run_filter(
    text: str | None, limits: FilterLimits = DEFAULT_FILTER_LIMITS
) -> list[Condition]:
    """Parse a ``search_runs`` filter.

    * ``metrics.<key>`` (or ``metric.``): kind ``"metric"``, comparators ``=``, ``!=``,
      ``<``, ``<=``, ``>``, ``>=`` and an unquoted number (``0.5``, ``-1``, ``.5``,
      ``1e-3``), always returned as a ``float``.
    * ``params.<key>`` (``param.``, ``parameter(s).``) and ``tags.<key>`` (``tag.``):
      kinds ``"param"`` and ``"tag"``, comparators ``=``, ``!=``, ``LIKE``, ``ILIKE``
      and a quoted string.
    * attributes, bare or after ``attributes.`` / ``attribute.`` / ``attr.`` /
      ``run.``: ``run_id`` (string comparators plus ``IN`` / ``NOT IN``), ``run_name``,
      ``status``, ``user_id``, ``artifact_uri``, ``lifecycle_stage`` (string
      comparators) and ``start_time`` / ``end_time`` (numeric comparators, an unquoted
      whole number of milliseconds, returned as an ``int``). MLflow's aliases
      ``created`` (``start_time``) and ``` `Run name` ``` (``run_name``) are reported
      under the canonical key.
    * ``datasets.name``, ``datasets.digest``, ``datasets.context`` (or ``dataset.``):
      kind ``"dataset"``, string comparators plus ``IN`` / ``NOT IN``.

    Keys after a prefix may be quoted: ``metrics.`f1 score```, ``params."a b"``.
    ``None`` or blank text means no conditions.

    Raises:
        InvalidArgument: the text is not a valid filter, or exceeds ``limits``; the
            message says why.
    """
    return _parse_filter(text, _RUNS, limits)


def parse_logged_model_filter(
    text: str | None, limits: FilterLimits = DEFAULT_FILTER_LIMITS
) -> list[Condition]:
    """Parse a ``search_logged_models`` filter (MLflow 3).

    Attributes, bare or after ``attributes.``: ``name``, ``model_id``, ``status``,
    ``model_type``, ``source_run_id`` (string comparators plus ``IN`` / ``NOT IN``),
    ``creation_timestamp`` (alias ``creation_time``) and ``last_updated_timestamp``
    (numeric comparators, unquoted whole milliseconds as an ``int``).
    ``metrics.<key>`` as for runs (a ``float``); ``params.<key>`` and ``tags.<key>``
    with string comparators plus ``IN`` / ``NOT IN``. As in MLflow, the prefixes are
    plural only. ``None`` or blank text means no conditions.

    Raises:
        InvalidArgument: the text is not a valid filter, or exceeds ``limits``; the
            message says why.
    """
    return _parse_filter(text, _LOGGED_MODELS, limits)


def parse_experiment_filter(
    text: str | None, limits: FilterLimits = DEFAULT_FILTER_LIMITS
) -> list[Condition]:
    """Parse a ``search_experiments`` filter.

    Attributes, bare or after ``attribute.``: ``name`` (``=``, ``!=``, ``LIKE``,
    ``ILIKE``), ``creation_time`` and ``last_update_time`` (numeric comparators,
    unquoted whole milliseconds as an ``int``). Tags (``tag.`` / ``tags.``) with
    ``=``, ``!=``, ``LIKE``, ``ILIKE``. ``None`` or blank text means no conditions.

    Raises:
        InvalidArgument: the text is not a valid filter, or exceeds ``limits``; the
            message says why.
    """
    return _parse_filter(text, _EXPERIMENTS, limits)


# ------------------------------------------------------------------------- order_by


@dataclass(frozen=True, slots=True)
class _OrderRules:
    keys: Mapping[str, str]  # accepted spelling -> canonical column
    default: tuple[OrderKey, ...]
    tie_breaks: tuple[OrderKey, ...]


_REGISTERED_MODEL_ORDER: Final = _OrderRules(
    keys={
        "name": "name",
        "timestamp": "last_updated_timestamp",
        "last_updated_timestamp": "last_updated_timestamp",
    },
    default=(OrderKey("name", True),),
    tie_breaks=(OrderKey("name", True),),
)
_MODEL_VERSION_ORDER: Final = _OrderRules(
    keys={
        "name": "name",
        "version_number": "version_number",
        "creation_timestamp": "creation_timestamp",
        "last_updated_timestamp": "last_updated_timestamp",
    },
    default=(
        OrderKey("last_updated_timestamp", False),
        OrderKey("name", True),
        OrderKey("version_number", False),
    ),
    tie_breaks=(OrderKey("name", True), OrderKey("version_number", False)),
)


# MLflow orders experiments by creation_time DESC, experiment_id ASC unless told
# otherwise, and appends experiment_id DESC as the tie-break to any other order.
_EXPERIMENT_ORDER: Final = _OrderRules(
    keys={
        "name": "name",
        "experiment_id": "experiment_id",
        "creation_time": "creation_time",
        "last_update_time": "last_update_time",
    },
    default=(OrderKey("creation_time", False), OrderKey("experiment_id", True)),
    tie_breaks=(OrderKey("experiment_id", False),),
)


def _order_entry(entry: str, wording: _Wording) -> tuple[_Identifier, bool]:
    from lark import Token

    tree = _parse(entry, "order_entry", "order_by clause", wording)
    key_tree, *direction = _subtrees(tree)
    (child,) = key_tree.children
    if isinstance(child, Token):  # a bare quoted key: `name` or "name"
        identifier = _Identifier(None, _unquote(str(child)), True, str(child), 1)
    else:
        identifier = _identifier(child)
    ascending = not direction or str(_tokens(direction[0])[0]).upper() == "ASC"
    return identifier, ascending


def _order_key(entry: object, rules: _OrderRules) -> OrderKey:
    if not isinstance(entry, str):
        raise InvalidArgument(f"order_by entries must be strings like 'name DESC', got {entry!r}")
    identifier, ascending = _order_entry(entry, _REGISTRY_WORDING)
    column = None
    if identifier.prefix in (None, "attribute"):
        column = rules.keys.get(identifier.key)
    if column is None:
        raise InvalidArgument(
            f"Invalid order by key '{identifier.written}' specified in order_by clause "
            f"{_quote(entry)}. Valid keys are {_listing(list(rules.keys))}, "
            "optionally followed by ASC or DESC"
        )
    return OrderKey(column, ascending)


def _parse_order_by(order_by: Sequence[str] | None, rules: _OrderRules) -> list[OrderKey]:
    if isinstance(order_by, str):  # one clause passed on its own, not a list
        order_by = [order_by]
    if not order_by:
        return list(rules.default)
    keys: list[OrderKey] = []
    for entry in order_by:
        key = _order_key(entry, rules)
        if any(seen.key == key.key for seen in keys):
            raise InvalidArgument(
                f"`order_by` contains duplicate fields: {list(order_by)}. Each key may "
                f"appear once ('{entry}' orders by {key.key} again)"
            )
        keys.append(key)
    seen_columns = {key.key for key in keys}
    keys.extend(key for key in rules.tie_breaks if key.key not in seen_columns)
    return keys


def parse_registered_model_order_by(order_by: Sequence[str] | None) -> list[OrderKey]:
    """Parse ``search_registered_models``' ``order_by``, adding MLflow's tie-break.

    Keys: ``name``, ``timestamp`` / ``last_updated_timestamp`` (both the last update
    time), each optionally followed by ``ASC`` or ``DESC``. Empty means ``name ASC``;
    otherwise ``name ASC`` is appended unless ``name`` is already present.

    Raises:
        InvalidArgument: an entry is malformed, unknown or repeated.
    """
    return _parse_order_by(order_by, _REGISTERED_MODEL_ORDER)


def parse_model_version_order_by(order_by: Sequence[str] | None) -> list[OrderKey]:
    """Parse ``search_model_versions``' ``order_by``, adding MLflow's tie-breaks.

    Keys: ``name``, ``version_number``, ``creation_timestamp``,
    ``last_updated_timestamp``. Empty means ``last_updated_timestamp DESC, name ASC,
    version_number DESC``; otherwise ``name ASC`` and ``version_number DESC`` are
    appended when absent.

    Raises:
        InvalidArgument: an entry is malformed, unknown or repeated.
    """
    return _parse_order_by(order_by, _MODEL_VERSION_ORDER)


def parse_experiment_order_by(order_by: Sequence[str] | None) -> list[OrderKey]:
    """Parse ``search_experiments``' ``order_by``, adding MLflow's tie-break.

    Keys: ``name``, ``experiment_id``, ``creation_time``, ``last_update_time``
    (optionally ``attribute.``-prefixed), each optionally followed by ``ASC`` or
    ``DESC``. Empty means ``creation_time DESC, experiment_id ASC``; otherwise
    ``experiment_id DESC`` is appended unless ``experiment_id`` is already present.

    Raises:
        InvalidArgument: an entry is malformed, unknown (tags cannot order
            experiments, as in MLflow) or repeated.
    """
    return _parse_order_by(order_by, _EXPERIMENT_ORDER)


# Runs order by the searchable attributes and MLflow's "created" alias (not by the
# spaced "Run name" aliases, which MLflow's order_by rejects), by metric, param and
# tag values, but not by datasets.
_RUN_ORDER_ATTRIBUTES: Final[Mapping[str, str]] = {
    name: rule.canonical or name for name, rule in _RUNS.attributes.items() if " " not in name
}
_RUN_ORDER_KEYS: Final = (
    f"metrics.<key>, params.<key>, tags.<key> or an attribute ({_listing(_RUNS.attribute_names())})"
)


def _describe(key: RunOrderKey) -> str:
    return key.key if key.kind == "attribute" else f"{key.kind} '{key.key}'"


def _run_order_key(entry: object) -> RunOrderKey:
    if not isinstance(entry, str):
        raise InvalidArgument(
            f"order_by entries must be strings like 'metrics.acc DESC', got {entry!r}"
        )
    identifier, ascending = _order_entry(entry, _RUNS.wording)
    if identifier.prefix is None and identifier.quoted and "." in identifier.key:
        # MLflow unquotes the whole entry first, so `metrics.acc` is metric acc.
        prefix, _, key = identifier.key.partition(".")
        identifier = replace(identifier, prefix=prefix, key=key)
    kind = _kind_of(identifier, _RUNS, f" (in order_by clause {_quote(entry)})")
    if kind == "attribute":
        column = _RUN_ORDER_ATTRIBUTES.get(identifier.key)
        if column is not None:
            return RunOrderKey("attribute", column, ascending)
    elif kind in ("metric", "param", "tag") and identifier.key:
        return RunOrderKey(kind, identifier.key, ascending)
    raise InvalidArgument(
        f"Invalid order by key '{identifier.written}' specified in order_by clause "
        f"{_quote(entry)}. Valid keys are {_RUN_ORDER_KEYS}, optionally followed by ASC "
        "or DESC"
    )


def parse_run_order_by(order_by: Sequence[str] | None) -> list[RunOrderKey]:
    """Parse ``search_runs``' ``order_by`` entries, in order, adding nothing.

    Each entry is ``<key> [ASC|DESC]`` (default ``ASC``): ``metrics.<key>``,
    ``params.<key>``, ``tags.<key>`` (any prefix spelling of :func:`parse_run_filter`,
    quoted keys allowed) or an attribute, bare or prefixed: ``run_id``, ``run_name``,
    ``status``, ``start_time`` (alias ``created``), ``end_time``, ``user_id``,
    ``artifact_uri``, ``lifecycle_stage``. Empty gives ``[]``: the store appends
    ``start_time DESC, run_id`` itself.

    Raises:
        InvalidArgument: an entry is malformed, unknown or repeated (``start_time`` and
            ``created``, or ``metric.x`` and ``metrics.x``, are the same key).
    """
    if isinstance(order_by, str):  # one clause passed on its own, not a list
        order_by = [order_by]
    keys: list[RunOrderKey] = []
    for entry in order_by or ():
        key = _run_order_key(entry)
        if any((seen.kind, seen.key) == (key.kind, key.key) for seen in keys):
            raise InvalidArgument(
                f"`order_by` contains duplicate fields: {list(order_by or ())}. Each key "
                f"may appear once ('{entry}' orders by {_describe(key)} again)"
            )
        keys.append(key)
    return keys


# ------------------------------------------------------------ page tokens, max_results

_MAX_PAGE_TOKEN_LENGTH: Final = 1024
_DECIMAL: Final = re.compile(r"[0-9]{1,30}")


def encode_page_token(offset: int) -> str:
    """Return MLflow's page token for ``offset``: base64 of ``{"offset": N}``.

    Raises:
        ValueError: ``offset`` is negative or not an int (a caller bug, not a 400).
    """
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be a non-negative int, got {offset!r}")
    # json.dumps' default separators give MLflow's exact bytes: {"offset": 4}.
    return base64.b64encode(json.dumps({"offset": offset}).encode("utf-8")).decode()


def _bad_token(token: str, reason: str) -> InvalidArgument:
    return InvalidArgument(
        f"Invalid page token {_quote(token)}: {reason}. Pass the next_page_token of "
        "the previous search unchanged, or no token for the first page"
    )


def decode_page_token(token: str | None) -> int:
    """Return the offset encoded in ``token``; ``None`` or ``""`` mean the first page.

    Raises:
        InvalidArgument: the token is not one this server (or MLflow) issued.
    """
    if token is None or token == "":
        return 0
    if not isinstance(token, str):
        raise InvalidArgument(f"Invalid page token: expected a string, got {token!r}")
    # Bounded so a hostile token cannot make json recurse deeply or decode megabytes.
    if len(token) > _MAX_PAGE_TOKEN_LENGTH:
        raise _bad_token(token, "it is too long")
    try:
        decoded = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        raise _bad_token(token, "it is not valid base64") from None
    try:
        payload = json.loads(decoded)
    except (ValueError, RecursionError):  # incl. JSONDecodeError, UnicodeDecodeError
        raise _bad_token(token, "it does not hold JSON") from None
    offset = payload.get("offset") if isinstance(payload, dict) else None
    if isinstance(offset, str) and _DECIMAL.fullmatch(offset):
        offset = int(offset)  # MLflow int()-s the field, so "4" is accepted too
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise _bad_token(token, 'expected JSON {"offset": N} with an integer N')
    if not 0 <= offset <= _MAX_INT64:
        raise _bad_token(token, f"offset {offset} is out of range")
    return offset


def validate_max_results(value: object, *, maximum: int, default: int) -> int:
    """Return ``value`` as an int in ``1..maximum``; ``None`` gives ``default``.

    ``value`` may be an int or a decimal string (query parameters arrive as text).

    Raises:
        InvalidArgument: not an integer, or out of range.
    """
    if value is None:
        return default
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DECIMAL.fullmatch(value):
        number = int(value)
    if number is not None and number > maximum:
        raise InvalidArgument(
            "Invalid value for request parameter max_results. It must be at most "
            f"{maximum}, but got value {number}"
        )
    if number is None or number < 1:
        shown = value if isinstance(value, int) else _quote(str(value))
        raise InvalidArgument(
            "Invalid value for max_results. It must be a positive integer between 1 "
            f"and {maximum}, but got {shown}"
        )
    return number
