"""Which URLs and addresses a webhook may reach (SSRF rules, as MLflow 3.18's).

Only the allowed schemes (default ``https``); only globally routable addresses
unless private ones are allowed. Addresses are checked where the connection is made
(:mod:`modelreg.webhooks.transport`, :mod:`modelreg.webhooks.mail`): every address a
name resolves to is checked and the connection goes to a checked address, so a name
that resolves to a public address once and to 127.0.0.1 the next time (DNS
rebinding) gets nowhere.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from modelreg.errors import InvalidArgument

Resolver = Callable[[str, int], Sequence[str]]


class AddressRefused(Exception):
    """The target resolves to an address webhooks may not reach."""


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    """Where webhooks may connect, and how long they wait."""

    allowed_schemes: frozenset[str] = frozenset({"https"})
    allow_private_ips: bool = False
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 10.0
    resolver: Resolver = field(default=system_resolver, compare=False)


def is_refused(address: str) -> bool:
    """Private, loopback, link-local, multicast, reserved or otherwise non-global."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_url(url: str, policy: NetworkPolicy) -> SplitResult:
    """The URL, split, if its scheme is allowed and it names a host; else InvalidArgument."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in policy.allowed_schemes:
        allowed = ", ".join(sorted(policy.allowed_schemes))
        raise InvalidArgument(
            f"Webhook URL scheme {scheme or '(none)'!r} is not allowed; allowed: {allowed} "
            "(MODELREG_WEBHOOK_ALLOWED_SCHEMES)."
        )
    if not parts.hostname:
        raise InvalidArgument(f"Webhook URL {url!r} names no host.")
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise InvalidArgument(f"Webhook URL {url!r} has an invalid port.") from None
    host = parts.hostname
    if not policy.allow_private_ips and _literal_refused(host):
        raise InvalidArgument(
            f"Webhook URL {url!r} points at a private, loopback or link-local address; "
            "set MODELREG_WEBHOOK_ALLOW_PRIVATE_IPS=true to allow it."
        )
    return parts


def _literal_refused(host: str) -> bool:
    try:
        return is_refused(host)
    except ValueError:
        return host.lower() == "localhost" or host.lower().endswith(".localhost")


def checked_addresses(host: str, port: int, policy: NetworkPolicy) -> list[str]:
    """Every address ``host`` resolves to, all checked; AddressRefused if any is refused."""
    try:
        found = list(policy.resolver(host, port))
    except OSError as error:
        raise AddressRefused(f"cannot resolve {host}: {error}") from None
    if not found:
        raise AddressRefused(f"{host} resolves to no address")
    if not policy.allow_private_ips:
        refused = [address for address in found if is_refused(address)]
        if refused:
            raise AddressRefused(
                f"{host} resolves to {', '.join(refused)}: private, loopback and link-local "
                "addresses are refused (MODELREG_WEBHOOK_ALLOW_PRIVATE_IPS)"
            )
    return found


def connect(host: str, port: int, policy: NetworkPolicy) -> socket.socket:
    """A TCP connection to a checked address of ``host`` (never re-resolved)."""
    last: OSError | None = None
    for address in checked_addresses(host, port, policy):
        try:
            return socket.create_connection((address, port), timeout=policy.connect_timeout_s)
        except OSError as error:
            last = error
    raise last or OSError(f"cannot connect to {host}:{port}")
