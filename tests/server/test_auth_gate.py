"""The principal cache and the failed-login windows of ``modelreg.server.auth_gate``."""

from __future__ import annotations

import asyncio
import base64
import hashlib

import pytest

from modelreg.principal import Principal
from modelreg.server.auth_gate import Authenticator, AuthFailure, FailedLogins, LoginLimits
from modelreg.server.runner import Runner


class FakeAuth:
    """Counts verifications; alice's password is 'right-Pass-123'."""

    def __init__(self) -> None:
        self.verified = 0
        self.listeners: list[object] = []

    def on_change(self, listener: object) -> None:
        self.listeners.append(listener)

    def authenticate_basic(self, username: str, password: str) -> Principal | None:
        self.verified += 1
        if (username, password) == ("alice", "right-Pass-123"):
            return Principal("alice", authenticated=True)
        return None

    def authenticate_token(self, token: str) -> Principal | None:
        self.verified += 1
        return Principal("bot", authenticated=True) if token == "mr_good" else None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def runner() -> Runner:
    made = Runner(1)
    yield made  # type: ignore[misc]
    made.close()


def _gate(runner: Runner, clock: Clock, **kwargs: object) -> tuple[Authenticator, FakeAuth]:
    auth = FakeAuth()
    gate = Authenticator(auth, runner, ttl_seconds=10, clock=clock, **kwargs)  # type: ignore[arg-type]
    return gate, auth


def test_a_verified_credential_is_kept_for_the_ttl(runner: Runner) -> None:
    clock = Clock()
    gate, auth = _gate(runner, clock)
    good = header("alice", "right-Pass-123")
    for _ in range(5):
        assert asyncio.run(gate.principal(good, "1.2.3.4")).name == "alice"
    assert auth.verified == 1
    clock.now += 11
    asyncio.run(gate.principal(good, "1.2.3.4"))
    assert auth.verified == 2
    gate.forget_all()
    asyncio.run(gate.principal(good, "1.2.3.4"))
    assert auth.verified == 3


def test_the_cache_is_keyed_by_a_digest_and_bounded(runner: Runner) -> None:
    gate, _ = _gate(runner, Clock(), entries=2)
    for token in ("mr_good",) * 3:
        asyncio.run(gate.principal(f"Bearer {token}", None))
    assert len(gate) == 1
    kept = next(iter(gate._kept))
    assert kept == hashlib.sha256(b"Bearer mr_good").digest()
    assert b"mr_good" not in kept


def test_wrong_credentials_are_never_kept(runner: Runner) -> None:
    gate, auth = _gate(runner, Clock())
    for _ in range(3):
        with pytest.raises(AuthFailure) as failure:
            asyncio.run(gate.principal(header("alice", "wrong"), None))
        assert failure.value.status == 401
    assert auth.verified == 3 and len(gate) == 0


def test_the_user_window_frees_up_after_its_length(runner: Runner) -> None:
    clock = Clock()
    gate, auth = _gate(runner, clock, limits=LoginLimits(per_user=2, window_seconds=60))
    for _ in range(2):
        with pytest.raises(AuthFailure):
            asyncio.run(gate.principal(header("alice", "wrong"), None))
    with pytest.raises(AuthFailure) as limited:
        asyncio.run(gate.principal(header("alice", "right-Pass-123"), None))
    assert limited.value.status == 429
    assert dict(limited.value.headers)[b"retry-after"] == b"60"
    assert auth.verified == 2  # a limited attempt is not even checked
    clock.now += 61
    assert asyncio.run(gate.principal(header("alice", "right-Pass-123"), None)).name == "alice"


def test_failed_logins_keep_a_bounded_number_of_keys() -> None:
    window = FailedLogins(limit=3, window=60, clock=Clock(), keys=10)
    for index in range(100):
        window.fail(f"10.0.0.{index}")
    assert len(window._seen) == 10
    assert window.retry_after("10.0.0.0") == 0
