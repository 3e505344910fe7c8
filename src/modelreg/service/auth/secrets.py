"""Password hashes (argon2id) and API tokens (SHA-256 of 32 random bytes).

Neither a password nor a token is ever stored, logged or returned: the database holds
the argon2id PHC string and the token's SHA-256; a token is shown once, at creation.
Comparisons never touch a secret directly: argon2's verify is constant-time, and a
token is found by its digest (an index lookup on a SHA-256 tells nothing about the
token's text).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from typing import Any, Final

from modelreg.errors import InvalidArgument, RegistryError

TOKEN_PREFIX: Final = "mr_"
MIN_PASSWORD_LENGTH: Final = 12
MAX_PASSWORD_LENGTH: Final = 1024
# The passwords MLflow once shipped as defaults and the obvious ones (T-02).
_REFUSED: Final = frozenset({"password1234", "password", "admin", "adminadmin", "123456789012"})


@functools.cache
def _hasher() -> Any:
    """argon2-cffi's hasher (imported on first use: only a server with users needs it).

    Its defaults are RFC 9106's low-memory profile (argon2id, t=3, m=64 MiB).
    """
    try:
        from argon2 import PasswordHasher
    except ImportError:  # pragma: no cover - the server extra installs it
        raise RegistryError("Passwords need argon2-cffi: pip install 'modelreg[server]'.") from None
    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so a wrong name costs as much as
    a wrong password (no user enumeration by timing)."""
    return str(_hasher().hash(secrets.token_hex(16)))


def check_password_policy(password: object) -> str:
    """The password if it is acceptable; 400 saying what is required otherwise (T-04)."""
    if not isinstance(password, str) or not password:
        raise InvalidArgument("A password is required.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidArgument(
            f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidArgument(f"The password is longer than {MAX_PASSWORD_LENGTH} characters.")
    if password.lower() in _REFUSED or len(set(password)) < 4:
        raise InvalidArgument("The password is too easy to guess: choose another one.")
    return password


def hash_password(password: str) -> str:
    return str(_hasher().hash(password))


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (None: no such user; still costs a hash)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(stored or _dummy_hash(), password)) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A fresh API token: a recognisable prefix and 32 random bytes, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored and looked up for a token: the hex SHA-256 of its text."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


__all__ = [
    "MIN_PASSWORD_LENGTH",
    "TOKEN_PREFIX",
    "check_password_policy",
    "hash_password",
    "new_token",
    "token_digest",
    "verify_password",
]
