"""Jinja filters and globals: times, sizes, numbers, URLs, event summaries."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def timestamp(ms: int | None) -> str:
    """Milliseconds since the epoch as UTC, to the second."""
    if ms is None:
        return ""
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def relative(ms: int | None, now_ms: int | None = None) -> str:
    if ms is None:
        return ""
    now = now_ms if now_ms is not None else int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    seconds = max(0, (now - ms) // 1000)
    for unit, span in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= span:
            return f"{seconds // span} {unit} ago"
    return f"{seconds} s ago"


def size(count: int | None) -> str:
    if count is None:
        return "—"
    value = float(count)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            return f"{count} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} B"


def number(value: float | None) -> str:
    """A metric value: integers plainly, others to 6 significant digits."""
    if value is None:
        return ""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def path_part(text: object) -> str:
    """One URL path segment: every character that is not unreserved percent-encoded."""
    return quote(str(text), safe="")


def url(base: str, /, **query: Any) -> str:
    """``base`` with the non-empty query parameters (lists repeat the key)."""
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        if value is None or value == "":
            continue
        if isinstance(value, list | tuple):
            pairs.extend((key, str(v)) for v in value)
        else:
            pairs.append((key, str(value)))
    return f"{base}?{urlencode(pairs)}" if pairs else base


def event_summary(payload: Mapping[str, Any]) -> str:
    """The payload's fields other than name and version, as short ``key=value`` text."""
    parts = []
    for key, value in payload.items():
        if key in ("name", "version"):
            continue
        text = value if isinstance(value, str) else repr(value)
        if len(text) > 80:
            text = text[:77] + "…"
        parts.append(f"{key}={text}")
    return ", ".join(parts)


_PROXY = "mlflow-artifacts:"


def artifact_href(artifact_uri: str, path: str) -> str | None:
    """The artifact proxy URL of a run's file, or None when the run's files are not proxied."""
    if not artifact_uri.startswith(_PROXY):
        return None
    root = artifact_uri.removeprefix(_PROXY).strip("/")
    return "/api/2.0/mlflow-artifacts/artifacts/" + quote(f"{root}/{path}", safe="/")
