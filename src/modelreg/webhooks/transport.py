"""Sending one webhook request over HTTP(S): the only module that does.

No redirects are followed (a 3xx is a failed attempt), no proxy is used (the
checked peer must be the target), the connection goes to an address checked at
connect time (:mod:`modelreg.webhooks.addresses`), and at most 1 KiB of the response
is read (the attempt log keeps it).
"""

from __future__ import annotations

import http.client
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass

from modelreg.errors import InvalidArgument
from modelreg.webhooks.addresses import AddressRefused, NetworkPolicy, check_url, connect

RESPONSE_EXCERPT_BYTES = 1024


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one attempt ended. ``status`` is None when no response came."""

    ok: bool
    status: int | None
    latency_ms: int
    excerpt: str = ""
    error: str | None = None


def _connection(
    host: str, port: int, https: bool, policy: NetworkPolicy
) -> http.client.HTTPConnection:
    sock = connect(host, port, policy)
    sock.settimeout(policy.read_timeout_s)
    conn: http.client.HTTPConnection
    if https:
        context = ssl.create_default_context()
        sock = context.wrap_socket(sock, server_hostname=host)
        conn = http.client.HTTPSConnection(host, port, timeout=policy.read_timeout_s)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=policy.read_timeout_s)
    conn.sock = sock  # already connected: http.client never resolves the name again
    return conn


def post(url: str, body: bytes, headers: Mapping[str, str], policy: NetworkPolicy) -> Outcome:
    """POST ``body`` to ``url``; a 2xx is success, anything else (3xx included) failure."""
    start = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - start) * 1000)

    try:
        parts = check_url(url, policy)
        https = parts.scheme.lower() == "https"
        host = parts.hostname or ""
        port = parts.port or (443 if https else 80)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn = _connection(host, port, https, policy)
    except (InvalidArgument, AddressRefused) as error:
        return Outcome(False, None, elapsed(), error=f"refused: {error}")
    except (OSError, ssl.SSLError) as error:
        return Outcome(False, None, elapsed(), error=f"connect failed: {error}")
    try:
        conn.request("POST", path, body=body, headers={**headers, "Connection": "close"})
        response = conn.getresponse()
        excerpt = response.read(RESPONSE_EXCERPT_BYTES).decode("utf-8", "replace")
        status = response.status
    except (TimeoutError, OSError, http.client.HTTPException) as error:
        return Outcome(False, None, elapsed(), error=f"request failed: {error!r}")
    finally:
        conn.close()
    ok = 200 <= status < 300
    return Outcome(ok, status, elapsed(), excerpt, None if ok else f"HTTP {status}")
