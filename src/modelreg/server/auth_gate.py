"""Who is calling, with ``--auth``: credentials checked once, then a cached principal.

Credentials are HTTP Basic (the mlflow client's ``MLFLOW_TRACKING_USERNAME`` /
``MLFLOW_TRACKING_PASSWORD``) or ``Bearer <token>`` (``MLFLOW_TRACKING_TOKEN``,
databricks-sdk). Verifying a password is deliberately slow (argon2id), so a verified
credential's principal is kept in a bounded LRU keyed by the SHA-256 of the
``Authorization`` header (never the header itself) for a few seconds: a GET with a
known credential costs a hash and a dict lookup. A password change, an admin or group
change and a token revocation clear the cache of this process at once; other worker
processes drop their entries within the TTL.

Failed logins are limited per user and per client address (429 with Retry-After).
Nothing here logs, echoes or keeps a password or token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from modelreg.principal import Principal
from modelreg.server.errors import error_body
from modelreg.server.runner import Runner
from modelreg.service.auth.service import AuthService

Headers = list[tuple[bytes, bytes]]
_CHALLENGE: Final = (b"www-authenticate", b'Basic realm="modelreg", charset="UTF-8"')


class AuthFailure(Exception):
    """A request refused before any handler: 401 (with a challenge) or 429."""

    def __init__(self, status: int, code: str, message: str, headers: Headers) -> None:
        super().__init__(message)
        self.status = status
        self.body = error_body(code, message)
        self.headers = headers


def unauthenticated(message: str) -> AuthFailure:
    return AuthFailure(401, "UNAUTHENTICATED", message, [_CHALLENGE])


@dataclass(frozen=True, slots=True)
class LoginLimits:
    """At most ``per_user`` failed logins per user and ``per_address`` per client
    address within ``window_seconds``; beyond that, 429 until the window frees up."""

    per_user: int = 10
    per_address: int = 30
    window_seconds: float = 60.0


class FailedLogins:
    """Sliding windows of failure times per key (a user, an address), bounded in size."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float], keys: int) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.keys = keys
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        times = self._seen.get(key)
        if not times:
            return 0.0
        now = self.clock()
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.limit:
            return 0.0
        return times[0] + self.window - now

    def fail(self, key: str) -> None:
        times = self._seen.setdefault(key, deque())
        self._seen.move_to_end(key)
        times.append(self.clock())
        while len(times) > self.limit:
            times.popleft()
        if len(self._seen) > self.keys:
            self._seen.popitem(last=False)

    def clear(self, key: str) -> None:
        self._seen.pop(key, None)


class Authenticator:
    """Turns an ``Authorization`` header into a verified principal, or refuses."""

    def __init__(
        self,
        auth: AuthService,
        runner: Runner,
        *,
        ttl_seconds: float = 10.0,
        entries: int = 10_000,
        limits: LoginLimits = LoginLimits(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.auth = auth
        self.runner = runner
        self.ttl = ttl_seconds
        self.entries = entries
        self.clock = clock
        self._kept: OrderedDict[bytes, tuple[float, Principal]] = OrderedDict()
        self._users = FailedLogins(limits.per_user, limits.window_seconds, clock, entries)
        self._addresses = FailedLogins(limits.per_address, limits.window_seconds, clock, entries)
        auth.on_change(self.forget_all)

    def forget_all(self) -> None:
        """Drop every cached principal (credentials, admin flags or groups changed)."""
        self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)

    async def principal(self, authorization: str | None, client: str | None) -> Principal:
        """The caller; :class:`AuthFailure` for none, wrong or rate-limited credentials."""
        if not authorization:
            raise unauthenticated("Credentials are required: HTTP Basic or a Bearer token.")
        key = hashlib.sha256(authorization.encode("latin-1", "replace")).digest()
        found = self._kept.get(key)
        now = self.clock()
        if found is not None:
            if found[0] > now:
                return found[1]
            del self._kept[key]
        principal = await self._verify(authorization, client)
        self._kept[key] = (now + self.ttl, principal)
        if len(self._kept) > self.entries:
            self._kept.popitem(last=False)
        return principal

    async def _verify(self, authorization: str, client: str | None) -> Principal:
        scheme, _, credential = authorization.partition(" ")
        scheme = scheme.lower()
        credential = credential.strip()
        if scheme == "basic":
            username, password = _basic(credential)
            self._limit(f"user:{username}", client)
            principal = await self.runner.run(self.auth.authenticate_basic, username, password)
            subject = f"user:{username}"
        elif scheme == "bearer" and credential:
            self._limit(None, client)
            principal = await self.runner.run(self.auth.authenticate_token, credential)
            subject = None
        else:
            raise unauthenticated("Unsupported credentials: use HTTP Basic or a Bearer token.")
        if principal is None:
            if subject is not None:
                self._users.fail(subject)
            if client is not None:
                self._addresses.fail(client)
            raise unauthenticated("Invalid credentials.")
        if subject is not None:
            self._users.clear(subject)
        return principal

    def _limit(self, user: str | None, client: str | None) -> None:
        wait = max(
            self._users.retry_after(user) if user is not None else 0.0,
            self._addresses.retry_after(client) if client is not None else 0.0,
        )
        if wait > 0:
            seconds = str(max(1, math.ceil(wait))).encode()
            raise AuthFailure(
                429,
                "REQUEST_LIMIT_EXCEEDED",
                "Too many failed logins; try again later.",
                [(b"retry-after", seconds)],
            )


def _basic(credential: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(credential, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise unauthenticated("Malformed HTTP Basic credentials.") from None
    username, colon, password = decoded.partition(":")
    if not colon or not username or len(username) > 256:
        raise unauthenticated("Malformed HTTP Basic credentials.")
    return username, password


__all__ = ["AuthFailure", "Authenticator", "FailedLogins", "LoginLimits", "unauthenticated"]
