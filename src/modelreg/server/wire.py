"""Request fields in (mlflow-wire.md §1, §4); entities out are :mod:`modelreg.codec`'s.

:class:`Params` holds a request's fields, from a JSON body or a query string, and
the typed getters below turn them into service arguments. A missing required field is
"Missing value for required parameter 'x'."; a field of the wrong JSON type is "Invalid
value … for parameter 'x' …". Values of the right type go to the service unchanged, so
its rules (and messages) are the same over HTTP as in-process.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, Protocol

import orjson

from modelreg.errors import InvalidArgument
from modelreg.validation import MAX_VERSION

_INTEGER: Final = re.compile(r"-?[0-9]{1,19}")
_SHOWN_VALUE_LENGTH: Final = 100

# ------------------------------------------------------------------ requests in


class QueryLike(Protocol):
    """A parsed query string (``server.body.QueryFields``, or Starlette's ``QueryParams``)."""

    def get(self, name: str, default: Any = None) -> Any: ...
    def getlist(self, name: str) -> list[str]: ...
    def __contains__(self, name: object) -> bool: ...


class Params:
    """The fields of one request: a JSON object body, or a query string (GET).

    Path parameters (``/logged-models/{model_id}``) are fields too, and win over a body
    or query field of the same name: the URL names the resource being acted on.
    """

    __slots__ = ("_body", "_path", "_query")

    def __init__(
        self,
        body: Mapping[str, Any] | None = None,
        query: QueryLike | None = None,
        path: Mapping[str, str] | None = None,
    ) -> None:
        self._body = body
        self._query = query
        self._path = path

    def with_path(self, path: Mapping[str, str]) -> Params:
        return Params(self._body, self._query, path) if path else self

    def value(self, name: str) -> Any:
        """The field's value; ``None`` when absent (or JSON ``null``, as MLflow reads it)."""
        if self._path is not None and name in self._path:
            return self._path[name]
        if self._body is not None:
            return self._body.get(name)
        if self._query is not None:
            return self._query.get(name)
        return None

    def values(self, name: str) -> list[Any] | None:
        """A repeated field: a JSON array, or every occurrence of a query key."""
        if self._body is not None:
            found = self._body.get(name)
            if found is None:
                return None
            if not isinstance(found, list):
                raise invalid_value(name, found, "an array")
            return found
        if self._query is not None:
            return self._query.getlist(name) or None
        return None

    def present(self, name: str) -> bool:
        """Whether the field was sent at all (even as JSON ``null``)."""
        if self._path is not None and name in self._path:
            return True
        if self._body is not None:
            return name in self._body
        return self._query is not None and name in self._query


def missing_value(name: str) -> InvalidArgument:
    return InvalidArgument(f"Missing value for required parameter '{name}'.")


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null"


def invalid_value(name: str, value: object, expected: str) -> InvalidArgument:
    shown = orjson.dumps(value, default=repr).decode()
    if len(shown) > _SHOWN_VALUE_LENGTH:  # never echo a huge hostile value back
        shown = shown[:_SHOWN_VALUE_LENGTH] + "…"
    return InvalidArgument(
        f"Invalid value {shown} for parameter '{name}' supplied: "
        f"expected {expected}, got {_json_type(value)}."
    )


def required_str(params: Params, name: str) -> str:
    value = params.value(name)
    if value is None:
        raise missing_value(name)
    if not isinstance(value, str):
        raise invalid_value(name, value, "a string")
    return value


def optional_str(params: Params, name: str) -> str | None:
    value = params.value(name)
    if value is not None and not isinstance(value, str):
        raise invalid_value(name, value, "a string")
    return value


def required_version(params: Params, name: str = "version") -> str | int:
    """A version is a string on the wire; a JSON integer is accepted too.

    The service parses it; numbers beyond what the version column holds are refused
    here, because the database drivers fail on them instead of finding nothing.
    """
    value = params.value(name)
    if value is None:
        raise missing_value(name)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise invalid_value(name, value, "a version number as a string")
    text = value.strip() if isinstance(value, str) else str(value)
    if not text.isascii():
        # str.isdigit() accepts "²", which int() then rejects: never let that reach int().
        raise InvalidArgument(f"Parameter '{name}' must be an integer, got {text[:20]!r}.")
    if text.isdigit() and (len(text) > 10 or int(text) > MAX_VERSION):
        raise InvalidArgument(
            f"Parameter '{name}' must be at most {MAX_VERSION}, got {text[:20]}"
            + ("…." if len(text) > 20 else ".")
        )
    return value


def optional_int(params: Params, name: str) -> int | None:
    """An int64 field: a JSON integer, or its decimal text (query strings, proto JSON)."""
    value = params.value(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    raise invalid_value(name, value, "an integer")


def optional_bool(params: Params, name: str, default: bool = False) -> bool:
    value = params.value(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise invalid_value(name, value, "true or false")


def optional_strings(params: Params, name: str) -> list[str] | None:
    values = params.values(name)
    if values is None:
        return None
    for value in values:
        if not isinstance(value, str):
            raise invalid_value(name, value, "an array of strings")
    return values


def tag_value(params: Params, name: str = "value") -> str | None:
    """A tag value: absent is the proto default ``""``, ``null`` is ``None`` (see below)."""
    if not params.present(name):
        return ""
    value = params.value(name)
    if value is not None and not isinstance(value, str):
        raise invalid_value(name, value, "a string")
    return value


def optional_tags(params: Params, name: str = "tags") -> dict[str, str | None] | None:
    """``[{key, value}]`` as a mapping (last duplicate key wins, as in MLflow).

    An absent ``value`` is the proto default ``""``; an explicit ``null`` is passed on as
    ``None`` so the service's "cannot be null" rule applies, as it does in-process.
    """
    items = params.value(name)
    if items is None:
        return None
    if not isinstance(items, list):
        raise invalid_value(name, items, "an array of {key, value} objects")
    tags: dict[str, str | None] = {}
    for item in items:
        if not isinstance(item, dict):
            raise invalid_value(name, item, "an array of {key, value} objects")
        key = item.get("key")
        value = item.get("value", "")
        if key is None:
            key = ""  # the proto default; the service rejects empty keys
        if not isinstance(key, str):
            raise invalid_value(f"{name}.key", key, "a string")
        if value is not None and not isinstance(value, str):
            raise invalid_value(f"{name}.value", value, "a string")
        tags[key] = value
    return tags
