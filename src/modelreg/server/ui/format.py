"""Jinja filters and globals: times, sizes, numbers, URLs, event summaries."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from markupsafe import Markup, escape

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


def url_host(address: str) -> str:
    """Where a URL points, without its path or credentials (a Slack or chat webhook's
    path is its secret): ``https://hooks.example:8443``."""
    try:
        parts = urlsplit(address)
        port = parts.port
    except ValueError:
        return "(not a URL)"
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    if port is not None:
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}" if parts.scheme and host else "(no host)"


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


# Links and badges as Python functions, not Jinja macros: a macro call costs ~10x more,
# and the models page makes several per row (docs/benchmarks.md, "Web UI").
def model_href(name: str) -> str:
    return "/models/" + quote(name, safe="")


def version_href(name: str, version: object) -> str:
    return f"/models/{quote(name, safe='')}/versions/{quote(str(version), safe='')}"


def run_href(experiment_id: object, run_id: object) -> str:
    return f"/experiments/{quote(str(experiment_id), safe='')}/runs/{quote(str(run_id), safe='')}"


def stage(value: str) -> Markup:
    """A version's stage as a badge."""
    text = escape(value)
    return Markup(f'<span class="stage stage-{text.lower()}">{text}</span>')


def tags(mapping: Mapping[str, str]) -> Markup:
    """Tags as ``key=value`` chips, sorted by key; every key and value escaped."""
    chips = []
    for key, value in sorted(mapping.items()):
        shown = f'=<span class="v">{escape(value)}</span>' if value else ""
        chips.append(f'<span class="tag"><span class="k">{escape(key)}</span>{shown}</span>')
    return Markup(" ".join(chips))
