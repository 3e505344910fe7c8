"""Parse MLflow search filters, ``order_by`` lists and page tokens (mlflow-wire.md §8).

The two registry searches (registered models and model versions) accept a small SQL-like
filter language: conditions joined with ``AND``, each ``<identifier> <comparator>
<value>``. This module turns the text into typed :class:`Comparison` and
:class:`OrderKey` values and never builds SQL; the store compiles them.

MLflow tokenises filters with ``sqlparse`` and then inspects the token soup. Here a real
LALR grammar (lark) does the tokenising and the structure, so every syntax error can
point at the offending token; the per-search rules (which attributes, which comparators)
are checked afterwards on the parsed conditions. The grammar is compiled on the first
parse, not at import, so importing this module stays cheap and lark-free.

Quoting, as decided for modelreg:

* values are ``'single'`` or ``"double"`` quoted. The quote character is put inside
  a value by doubling it or by a backslash: ``'it''s'`` and ``'it\\'s'`` both mean
  ``it's``. Every other backslash is kept as typed (``'a\\_b'`` stays ``a\\_b``), so
  LIKE escapes and Windows paths reach the database unchanged. (MLflow tokenises the
  same way but keeps the escape characters in the value; nobody relies on that.)
* tag keys are plain (``tag.a.b``, dots allowed) or quoted with backticks or double
  quotes (``tag.`mlflow.prompt.is_prompt```, ``tag."my key"``); a doubled backtick
  is a literal backtick, and double-quoted keys escape like double-quoted values.
* attribute names are never quoted, as in MLflow.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from modelreg.errors import InvalidArgument

if TYPE_CHECKING:
    from lark import Lark, Token, Tree
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

__all__ = [
    "Comparison",
    "OrderKey",
    "decode_page_token",
    "encode_page_token",
    "parse_model_version_filter",
    "parse_model_version_order_by",
    "parse_registered_model_filter",
    "parse_registered_model_order_by",
    "validate_max_results",
]


@dataclass(frozen=True, slots=True)
class Comparison:
    """One ``AND``-ed condition of a search filter.

    ``key`` is the canonical attribute name (``name``, ``run_id``, ``source_path``,
    ``version_number``) or the unquoted tag key. ``value`` is an ``int`` only for
    ``version_number`` and a tuple only for ``IN`` / ``NOT IN``.
    """

    kind: Literal["attribute", "tag"]
    key: str
    op: str
    value: str | int | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OrderKey:
    """One ``ORDER BY`` term, on a canonical column name."""

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

_GRAMMAR_TEMPLATE: Final = r"""
filter: condition (AND condition)*
condition: identifier comparator value      -> compare
         | identifier IN value_list         -> in_list
         | identifier NOT IN value_list     -> not_in_list

identifier: NAME                            -> bare_identifier
          | NAME "." key                    -> prefixed_identifier
key: key_part ("." key_part)*               -> plain_key
   | BACKTICK_NAME                          -> quoted_key
   | DQ_STRING                              -> quoted_key

comparator: EQ | NE | LTGT | LT | LE | GT | GE | LIKE | ILIKE
value: SQ_STRING | DQ_STRING | NUMBER
value_list: LPAR value (COMMA value)* COMMA? RPAR
// Keywords are reserved everywhere except after "tag.", where any word is a key.
?key_part: NAME | AND | IN | NOT | LIKE | ILIKE | ASC | DESC

order_entry: order_key direction?
order_key: identifier | BACKTICK_NAME | DQ_STRING
direction: ASC | DESC

AND: "AND"i
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
NUMBER: /[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?/

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

    return Lark(_GRAMMAR, parser="lalr", lexer="basic", start=start)


def _parse(text: str, start: str, subject: str) -> Tree[Token]:
    from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

    try:
        return _parser(start).parse(text)
    except UnexpectedToken as exc:
        raise _unexpected_token(text, subject, exc) from None
    except UnexpectedCharacters as exc:
        raise _unexpected_character(text, subject, exc) from None
    except UnexpectedInput as exc:  # pragma: no cover - LALR raises only the two above
        raise InvalidArgument(f"Invalid {subject} {_quote(text)}: {exc}") from None


# ------------------------------------------------------------------- syntax errors

_ALL_COMPARATORS: Final = "=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN"
_AND_ONLY: Final = "conditions can only be joined with AND"
_MAX_QUOTED_TEXT: Final = 300


def _quote(text: str) -> str:
    # Messages echo the user's input; cap it so a huge filter cannot bloat responses.
    if len(text) > _MAX_QUOTED_TEXT:
        text = text[: _MAX_QUOTED_TEXT - 3] + "..."
    return f"'{text}'"


def _column(token: Token) -> int:
    # Absolute 1-based position: filters are one line in practice, and lark's own
    # `column` restarts on every line.
    return (token.start_pos or 0) + 1


def _expected(accepts: set[str], subject: str) -> str:
    """Describe, in words, the terminals the parser would have accepted."""
    # Keywords are also accepted as tag keys, so a key position accepts AND, LIKE, ...
    # alongside NAME; those must not be described as "AND" or "a comparator".
    key_position = "NAME" in accepts
    phrases: list[str] = []
    if "EQ" in accepts:
        phrases.append(f"a comparator ({_ALL_COMPARATORS})")
    if "SQ_STRING" in accepts:
        phrases.append("a quoted string value like 'foo'")
    if key_position and subject != "filter":
        phrases.append("a key like name")
    elif key_position and "LIKE" in accepts:
        phrases.append("a tag key like my_key or a quoted key like `my.key`")
    elif key_position:
        phrases.append("an identifier like name, attribute.name or tag.`key`")
    if "AND" in accepts and not key_position:
        phrases.append("AND")
    if "LPAR" in accepts:
        phrases.append("a list like ('a', 'b')")
    if "COMMA" in accepts or "RPAR" in accepts:
        phrases.append("',' or ')'")
    if "ASC" in accepts and not key_position:
        phrases.append("ASC or DESC")
    if "$END" in accepts:
        phrases.append("the end of the text")
    return "expected " + " or ".join(phrases) if phrases else "the text cannot continue"


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
    """Errors for SQL that MLflow's grammar leaves out: OR, grouping, IS NULL."""
    if subject != "filter":
        return None
    value = str(token)
    where = f"at column {_column(token)} of {subject} {_quote(text)}"
    # The prefix is MLflow's own message, which clients may already match on.
    if token.type == "NAME" and value.upper() == "OR" and "AND" in accepts:
        return InvalidArgument(
            f"Invalid clause(s) in filter string: OR {where}; {_AND_ONLY} "
            "(OR and parentheses are not supported)"
        )
    if token.type in ("LPAR", "RPAR") and accepts & {"NAME", "AND", "$END"}:
        return InvalidArgument(
            f"Invalid clause(s) in filter string: '{value}' {where}; {_AND_ONLY}, "
            "and parentheses are only allowed around the list after IN or NOT IN"
        )
    if token.type == "NAME" and value.upper() == "IS" and "EQ" in accepts:
        return InvalidArgument(
            f"Invalid {subject} {_quote(text)}: unexpected token '{value}' at column "
            f"{_column(token)}; IS NULL / IS NOT NULL are not supported, valid "
            f"comparators are {_ALL_COMPARATORS}"
        )
    return None


def _unexpected_token(text: str, subject: str, exc: UnexpectedToken) -> InvalidArgument:
    token, accepts = exc.token, _accepts(exc)
    special = _misplaced_clause(text, subject, token, accepts)
    if special is not None:
        return special
    prefix = f"Invalid {subject} {_quote(text)}"
    if token.type == "$END":
        # lark places $END at the last token; the text really ends one past its end.
        return InvalidArgument(
            f"{prefix}: unexpected end of {subject} at column {len(text) + 1}; "
            f"{_expected(accepts, subject)}"
        )
    value, column = str(token), _column(token)
    if token.type == "NAME" and "SQ_STRING" in accepts:
        hint = f"values must be quoted strings like '{value}'"
    elif token.type == "LPAR" and "SQ_STRING" in accepts:
        hint = (
            "a list of values is only allowed after IN or NOT IN; other comparators "
            "take one quoted value"
        )
    else:
        hint = _expected(accepts, subject)
    return InvalidArgument(f"{prefix}: unexpected token '{value}' at column {column}; {hint}")


def _unexpected_character(text: str, subject: str, exc: UnexpectedCharacters) -> InvalidArgument:
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
            f"single expression, {_AND_ONLY}"
        )
    return InvalidArgument(
        f"{prefix}: unexpected character '{char}' at column {column}; "
        f"{_expected(_accepts(exc), subject)}"
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


def _conditions(text: str) -> list[_Condition]:
    tree = _parse(text, "filter", "filter")
    return [_condition(condition) for condition in _subtrees(tree)]


# ----------------------------------------------------------------- per-search rules

_STRING_OPS: Final = ("=", "!=", "LIKE", "ILIKE")
_LIST_OPS: Final = ("IN", "NOT IN")
_NUMERIC_OPS: Final = ("=", "!=", "<", "<=", ">", ">=")
_TAG_OPS: Final = _STRING_OPS
_ENTITY_TYPES: Final = ("attribute", "tag", "tags")
_INTEGER: Final = re.compile(r"[+-]?[0-9]{1,30}")
_MAX_INT64: Final = 2**63 - 1


@dataclass(frozen=True, slots=True)
class _Attribute:
    comparators: tuple[str, ...]
    numeric: bool = False


_REGISTERED_MODEL_ATTRIBUTES: Final[Mapping[str, _Attribute]] = {
    "name": _Attribute(_STRING_OPS + _LIST_OPS),
}
_MODEL_VERSION_ATTRIBUTES: Final[Mapping[str, _Attribute]] = {
    "name": _Attribute(_STRING_OPS + _LIST_OPS),
    "run_id": _Attribute(_STRING_OPS + _LIST_OPS),
    "source_path": _Attribute(_STRING_OPS),
    "version_number": _Attribute(_NUMERIC_OPS, numeric=True),
}


def _listing(items: Sequence[str]) -> str:
    return ", ".join(f"'{item}'" for item in items)


def _at(column: int, text: str) -> str:
    return f" (at column {column} of filter {_quote(text)})"


def _attribute_for(
    identifier: _Identifier, attributes: Mapping[str, _Attribute], text: str
) -> _Attribute:
    attribute = attributes.get(identifier.key)
    # MLflow compares the key before unquoting, so a quoted attribute name is unknown.
    if attribute is not None and not identifier.quoted:
        return attribute
    key, hint = identifier.key, ""
    if identifier.quoted:
        key = identifier.written.partition(".")[2]
        hint = "; attribute names are written without quotes"
    elif key.endswith("timestamp") or key == "description":
        hint = "; timestamps and descriptions cannot be filtered on"
    raise InvalidArgument(
        f"Invalid attribute key '{key}' specified. Valid keys are "
        f"{_listing(list(attributes))}{hint}{_at(identifier.column, text)}"
    )


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


def _comparison(
    condition: _Condition, attributes: Mapping[str, _Attribute], text: str
) -> Comparison:
    identifier = condition.identifier
    if identifier.prefix is not None and identifier.prefix not in _ENTITY_TYPES:
        raise InvalidArgument(
            f"Invalid entity type '{identifier.prefix}' in '{identifier.written}'. "
            f"Valid entity types are {_listing(_ENTITY_TYPES)}, or a bare attribute "
            f"name{_at(identifier.column, text)}"
        )
    if identifier.prefix in ("tag", "tags"):
        if not identifier.key:
            raise InvalidArgument(f"Tag key cannot be empty{_at(identifier.column, text)}")
        what = f"tag '{identifier.key}'"
        _check_comparator(condition, _TAG_OPS, what, text)
        return Comparison("tag", identifier.key, condition.op, _string_value(condition, what, text))
    attribute = _attribute_for(identifier, attributes, text)
    what = f"attribute '{identifier.key}'"
    _check_comparator(condition, attribute.comparators, what, text)
    value: str | int | tuple[str, ...]
    if condition.op in _LIST_OPS:
        value = _list_value(condition, what, text)
    elif attribute.numeric:
        value = _integer_value(condition, what, text)
    else:
        value = _string_value(condition, what, text)
    return Comparison("attribute", identifier.key, condition.op, value)


def _parse_filter(text: str | None, attributes: Mapping[str, _Attribute]) -> list[Comparison]:
    if text is None:
        return []
    if not isinstance(text, str):
        raise InvalidArgument(f"filter must be a string, got {type(text).__name__}")
    # No filter matches everything. Blank text counts as none (MLflow 3.17 answers a
    # blank filter with a 400, which helps nobody).
    if not text.strip():
        return []
    return [_comparison(condition, attributes, text) for condition in _conditions(text)]


def parse_registered_model_filter(text: str | None) -> list[Comparison]:
    """Parse a ``search_registered_models`` filter.

    Attribute ``name`` (``=``, ``!=``, ``LIKE``, ``ILIKE``, ``IN``, ``NOT IN``) and tags
    (``=``, ``!=``, ``LIKE``, ``ILIKE``). ``None`` or blank text means no conditions.

    Raises:
        InvalidArgument: the text is not a valid filter; the message says why.
    """
    return _parse_filter(text, _REGISTERED_MODEL_ATTRIBUTES)


def parse_model_version_filter(text: str | None) -> list[Comparison]:
    """Parse a ``search_model_versions`` filter.

    Attributes ``name`` and ``run_id`` (string comparators plus ``IN`` / ``NOT IN``),
    ``source_path`` (string comparators) and ``version_number`` (numeric comparators,
    integer or quoted integer value); tags as for registered models.

    Raises:
        InvalidArgument: the text is not a valid filter; the message says why.
    """
    return _parse_filter(text, _MODEL_VERSION_ATTRIBUTES)


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


def _order_entry(entry: str) -> tuple[_Identifier, bool]:
    from lark import Token

    tree = _parse(entry, "order_entry", "order_by clause")
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
    identifier, ascending = _order_entry(entry)
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
