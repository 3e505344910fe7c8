"""One rule for NUL characters, checked once where a request's fields are decoded.

PostgreSQL refuses NUL (``\\x00``) in any text value, and its driver raises before the
statement is sent, which used to surface as a 500 in 29 places; SQLite and MariaDB
store it, and then the same request means different things on different databases. So
every text field of every API request (JSON bodies at any depth, query strings, path
parameters, object keys) is refused with 400 ``INVALID_PARAMETER_VALUE`` naming the
field, before any handler sees it: the same answer on all three databases.

The scan only runs when the raw bytes can hold a NUL at all (a JSON ``\\u0000`` escape,
a ``%00`` in a query string), so ordinary requests pay one substring search.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from modelreg.validation import nul_error

__all__ = [
    "body_may_hold_nul",
    "field_with_nul",
    "nul_error",
    "query_may_hold_nul",
    "refuse_nul",
]

NUL: Final = "\x00"
_JSON_ESCAPE: Final = b"\\u0000"
_QUERY_ESCAPE: Final = b"%00"


def body_may_hold_nul(body: bytes) -> bool:
    # orjson refuses a raw NUL byte inside a JSON string, so only the escape can carry one.
    return _JSON_ESCAPE in body


def query_may_hold_nul(query_string: bytes) -> bool:
    return _QUERY_ESCAPE in query_string or b"\x00" in query_string


def field_with_nul(value: Any, path: str = "") -> str | None:
    """The path of the first string (or object key) in ``value`` holding a NUL, if any.

    Paths read as MLflow words its field errors: ``tags[0].value``, ``metrics[2].key``.
    """
    if isinstance(value, str):
        return path or "value" if NUL in value else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and NUL in key:
                return here
            found = field_with_nul(item, here)
            if found is not None:
                return found
        return None
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = field_with_nul(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def refuse_nul(fields: Mapping[str, Any]) -> None:
    """Raise :func:`nul_error` for the first field holding a NUL."""
    found = field_with_nul(fields)
    if found is not None:
        raise nul_error(found)
