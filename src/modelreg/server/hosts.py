"""Which ``Host`` headers the server answers (DNS rebinding, security checklist T-20).

A web page on ``evil.example`` can make its own name resolve to 127.0.0.1 and then
read a registry on the visitor's loopback as if it were same-origin: the browser
still sends ``Host: evil.example``. A server that answers only to the names it is
reached by defeats that. ``--allowed-hosts`` (``MODELREG_ALLOWED_HOSTS``) lists them:

* ``registry.example.com``: that name, any port;
* ``registry.example.com:443``: that name on that port only;
* ``*.example.com``: any subdomain of example.com (not example.com itself);
* ``*``: any host (no check).

The default follows the address the server binds: on loopback, ``localhost``,
``127.0.0.1`` and ``[::1]`` (any port), since nothing else should reach it; anywhere
else, any host (a reverse proxy or the network decides what arrives; list the names
to be strict).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Final

ANY: Final = "*"
LOOPBACK_NAMES: Final = ("localhost", "127.0.0.1", "[::1]")
ENV: Final = "MODELREG_ALLOWED_HOSTS"


def is_loopback(bind_host: str) -> bool:
    """Whether a server bound to ``bind_host`` is reachable from this machine only."""
    host = bind_host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_allowed_hosts(bind_host: str) -> tuple[str, ...]:
    """The loopback names for a loopback bind; any host otherwise."""
    return LOOPBACK_NAMES if is_loopback(bind_host) else (ANY,)


def _split(host: str) -> tuple[str, str | None]:
    """``name[:port]`` (``[v6][:port]`` for IPv6) into its lowercased name and port."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return host, None
        name, rest = host[: end + 1], host[end + 1 :]
        return name, rest[1:] if rest.startswith(":") else None
    name, colon, port = host.rpartition(":")
    if colon and ":" not in name:
        return name.rstrip("."), port
    return host.rstrip("."), None


def parse_allowed_hosts(text: str | Iterable[str]) -> tuple[str, ...]:
    """Patterns from a comma-separated list (or several); ValueError naming a bad one."""
    items = text.split(",") if isinstance(text, str) else [p for t in text for p in t.split(",")]
    patterns: list[str] = []
    for raw in items:
        item = raw.strip().lower()
        if not item:
            continue
        if item == ANY:
            patterns.append(item)
            continue
        name, port = _split(item)
        wildcard = name.startswith("*.")
        bare = name[2:] if wildcard else name
        if (
            not bare
            or any(c in bare for c in "/@?#*\\ ")
            or (port is not None and port != ANY and not port.isdigit())
        ):
            raise ValueError(
                f"Invalid allowed host {raw.strip()!r}: use a name or address, optionally "
                "with :port or :*, '*.example.com' for subdomains, or '*' for any "
                "(no scheme or path)."
            )
        patterns.append(item)
    if not patterns:
        raise ValueError("--allowed-hosts needs at least one host (or '*' for any).")
    return tuple(dict.fromkeys(patterns))


class HostCheck:
    """Decides whether a request's ``Host`` header names this server."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self.allows_any = ANY in self.patterns
        self._rules = [_split(p) for p in self.patterns if p != ANY]

    def allows(self, host_header: str | None) -> bool:
        # No Host at all is no browser (every browser sends one): nothing to rebind.
        if self.allows_any or host_header is None:
            return True
        name, port = _split(host_header)
        for rule_name, rule_port in self._rules:
            if rule_port not in (None, ANY) and rule_port != port:
                continue
            if rule_name == name:
                return True
            if rule_name.startswith("*.") and name.endswith(rule_name[1:]):
                return True
        return False

    def refusal(self, host_header: str) -> str:
        """The message a refused request gets: what came, what is allowed, how to add."""
        allowed = ", ".join(self.patterns)
        return (
            f"Host {host_header[:100]!r} is not allowed (possible DNS rebinding): this "
            f"server answers to {allowed}. Add the name it is reached by with "
            f"--allowed-hosts or {ENV}."
        )


__all__ = [
    "ANY",
    "ENV",
    "LOOPBACK_NAMES",
    "HostCheck",
    "default_allowed_hosts",
    "is_loopback",
    "parse_allowed_hosts",
]
