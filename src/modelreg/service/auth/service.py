"""The authentication service: users, API tokens, groups (MLflow's roles), grants.

Everything about who someone is and what they were granted lives here; the server
resolves credentials to a :class:`~modelreg.principal.Principal` through
:meth:`AuthService.authenticate_basic` / :meth:`AuthService.authenticate_token` and
asks :meth:`AuthService.level_of` before a request touches an object.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from modelreg.errors import InvalidArgument, NotFound, PermissionDenied
from modelreg.principal import Principal
from modelreg.service.auth.levels import Level, effective
from modelreg.service.auth.policy import GrantPolicy, subjects_of
from modelreg.service.auth.secrets import (
    check_password_policy,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)
from modelreg.service.clock import Clock, now_ms
from modelreg.store.auth import AuthStore
from modelreg.store.database import Database

_USERNAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,255}$")
_DAY_MS: Final = 86_400_000
MAX_TOKEN_DAYS: Final = 3650
RESOURCE_TYPES: Final = ("registered_model", "experiment")


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    is_admin: bool


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as listed: never its secret."""

    id: int
    name: str
    creation_timestamp: int
    expiry_timestamp: int | None
    revoked: bool


@dataclass(frozen=True, slots=True)
class Role:
    id: int
    name: str
    description: str | None


def validate_username(username: object) -> str:
    if not isinstance(username, str) or not _USERNAME.match(username):
        raise InvalidArgument(
            "Invalid username: use 1-256 letters, digits and . _ @ + - (starting with a "
            "letter or digit)."
        )
    return username


def _user(row: Any) -> User:
    return User(int(row.id), row.username, bool(row.is_admin))


class AuthService:
    """Users, tokens, groups and grants over one database.

    ``on_change`` is called after any change that can invalidate a cached principal
    (a password, admin flag, group membership or token changed): the server clears its
    principal cache.
    """

    def __init__(
        self,
        db: Database,
        policy: GrantPolicy | None = None,
        *,
        clock: Clock = now_ms,
    ) -> None:
        self.db = db
        self.policy = policy or GrantPolicy()
        self.clock = clock
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    # --------------------------------------------------------- authentication
    def _principal(self, store: AuthStore, user_id: int, name: str, admin: bool) -> Principal:
        return Principal(
            name, authenticated=True, is_admin=admin, groups=frozenset(store.groups_of(user_id))
        )

    def authenticate_basic(self, username: str, password: str) -> Principal | None:
        """The user's principal if the password is right; None otherwise.

        An unknown user costs one argon2 verification too, so a wrong name and a
        wrong password take the same time.
        """
        with self.db.read() as conn:
            store = AuthStore(conn)
            row = store.user(username)
            if not verify_password(None if row is None else row.password_hash, password):
                return None
            return self._principal(store, int(row.id), row.username, bool(row.is_admin))

    def authenticate_token(self, token: str) -> Principal | None:
        """The principal of a live token (not revoked, not expired); None otherwise.

        Looked up by its SHA-256: the database compares digests, never the token.
        """
        digest = token_digest(token)
        with self.db.read() as conn:
            store = AuthStore(conn)
            row = store.token(digest)
            if row is None or row.revoked:
                return None
            if row.expiry_timestamp is not None and row.expiry_timestamp <= self.clock():
                return None
            return self._principal(store, int(row.id), row.username, bool(row.is_admin))

    # ------------------------------------------------------------------ users
    def has_users(self) -> bool:
        with self.db.read() as conn:
            return AuthStore(conn).user_count() > 0

    def create_user(self, username: str, password: str, *, is_admin: bool = False) -> User:
        username = validate_username(username)
        check_password_policy(password)
        hashed = hash_password(password)
        with self.db.write() as conn:
            user_id = AuthStore(conn).insert_user(username, hashed, is_admin, self.clock())
        return User(user_id, username, is_admin)

    def bootstrap_admin(self, username: str, password: str) -> bool:
        """Create the first admin if no user of that name exists; never overwrite one."""
        username = validate_username(username)
        with self.db.read() as conn:
            if AuthStore(conn).user(username) is not None:
                return False
        self.create_user(username, password, is_admin=True)
        return True

    def _require_user(self, store: AuthStore, username: str) -> Any:
        row = store.user(username) if isinstance(username, str) else None
        if row is None:
            raise NotFound(f"User with username={str(username)[:256]} not found")
        return row

    def get_user(self, username: str) -> User:
        with self.db.read() as conn:
            return _user(self._require_user(AuthStore(conn), username))

    def list_users(self) -> list[User]:
        with self.db.read() as conn:
            return [_user(row) for row in AuthStore(conn).users()]

    def update_password(
        self, username: str, password: str, *, current_password: str | None = None
    ) -> None:
        """Set a new password; with ``current_password``, only if it is the current one."""
        check_password_policy(password)
        hashed = hash_password(password)
        with self.db.write() as conn:
            store = AuthStore(conn)
            row = self._require_user(store, username)
            if current_password is not None and not verify_password(
                row.password_hash, current_password
            ):
                raise PermissionDenied("The current password is not correct.")
            store.update_user(int(row.id), password_hash=hashed)
        self._changed()

    def set_admin(self, username: str, is_admin: bool) -> None:
        with self.db.write() as conn:
            store = AuthStore(conn)
            row = self._require_user(store, username)
            store.update_user(int(row.id), is_admin=bool(is_admin))
        self._changed()

    def delete_user(self, username: str) -> None:
        with self.db.write() as conn:
            store = AuthStore(conn)
            row = self._require_user(store, username)
            store.delete_user(int(row.id), row.username)
        self._changed()

    # ----------------------------------------------------------------- tokens
    def create_token(
        self, username: str, name: str, expires_in_days: int | None
    ) -> tuple[str, TokenInfo]:
        """A new token for ``username``: the secret (shown once) and what is listed."""
        if not isinstance(name, str) or not name.strip() or len(name) > 256:
            raise InvalidArgument("A token needs a name of 1-256 characters.")
        if expires_in_days is not None and not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
            raise InvalidArgument(
                f"expires_in_days must be 1..{MAX_TOKEN_DAYS}, got {expires_in_days}."
            )
        token = new_token()
        now = self.clock()
        expiry = None if expires_in_days is None else now + expires_in_days * _DAY_MS
        with self.db.write() as conn:
            store = AuthStore(conn)
            row = self._require_user(store, username)
            token_id = store.insert_token(int(row.id), name, token_digest(token), now, expiry)
        return token, TokenInfo(token_id, name, now, expiry, False)

    def list_tokens(self, username: str) -> list[TokenInfo]:
        with self.db.read() as conn:
            store = AuthStore(conn)
            row = self._require_user(store, username)
            return [
                TokenInfo(
                    int(t.id),
                    t.name,
                    int(t.creation_timestamp),
                    t.expiry_timestamp,
                    bool(t.revoked),
                )
                for t in store.tokens_of(int(row.id))
            ]

    def revoke_token(self, username: str, token_id: int) -> None:
        with self.db.write() as conn:
            store = AuthStore(conn)
            row = self._require_user(store, username)
            if not 0 <= token_id < 2**31 or not store.revoke_token(int(row.id), token_id):
                raise NotFound(f"Token {token_id} of user {username} not found")
        self._changed()

    # ---------------------------------------------------------- groups (roles)
    def create_role(self, name: str, description: str | None = None) -> Role:
        name = validate_username(name)
        with self.db.write() as conn:
            role_id = AuthStore(conn).insert_group(name, description)
        return Role(role_id, name, description)

    def _require_role(self, store: AuthStore, role_id: int) -> Any:
        row = store.group(role_id) if 0 <= role_id < 2**31 else None
        if row is None:
            raise NotFound(f"Role with id={role_id} not found")
        return row

    def get_role(self, role_id: int) -> Role:
        with self.db.read() as conn:
            row = self._require_role(AuthStore(conn), role_id)
        return Role(int(row.id), row.name, row.description)

    def list_roles(self) -> list[Role]:
        with self.db.read() as conn:
            return [Role(int(r.id), r.name, r.description) for r in AuthStore(conn).groups()]

    def update_role(self, role_id: int, description: str | None) -> Role:
        with self.db.write() as conn:
            store = AuthStore(conn)
            row = self._require_role(store, role_id)
            store.update_group(role_id, description=description)
        return Role(role_id, row.name, description)

    def delete_role(self, role_id: int) -> None:
        with self.db.write() as conn:
            store = AuthStore(conn)
            row = self._require_role(store, role_id)
            store.delete_group(role_id, row.name)
        self._changed()

    def assign_role(self, username: str, role_id: int) -> tuple[int, int]:
        with self.db.write() as conn:
            store = AuthStore(conn)
            user = self._require_user(store, username)
            self._require_role(store, role_id)
            store.add_member(role_id, int(user.id))
        self._changed()
        return int(user.id), role_id

    def unassign_role(self, username: str, role_id: int) -> None:
        with self.db.write() as conn:
            store = AuthStore(conn)
            user = self._require_user(store, username)
            self._require_role(store, role_id)
            store.remove_member(role_id, int(user.id))
        self._changed()

    def roles_of(self, username: str) -> list[Role]:
        with self.db.read() as conn:
            store = AuthStore(conn)
            user = self._require_user(store, username)
            return [Role(int(r.id), r.name, r.description) for r in store.user_groups(int(user.id))]

    def role_members(self, role_id: int) -> list[int]:
        with self.db.read() as conn:
            store = AuthStore(conn)
            self._require_role(store, role_id)
            return [int(r[0]) for r in store.members(role_id)]

    # ----------------------------------------------------------------- grants
    def level_of(self, principal: Principal, kind: str, key: Any) -> tuple[bool, Level]:
        """Whether the object exists, and ``principal``'s level on it.

        ``kind`` is what the request names the object by: ``model`` (a registered
        model's name), ``experiment`` (an experiment id), ``run`` or ``logged_model``
        (their experiment's grants apply).
        """
        if principal.is_admin:
            return True, Level.MANAGE
        with self.db.read() as conn:
            exists, explicit = AuthStore(conn).levels(kind, key, subjects_of(principal))
        return exists, effective(explicit, self.policy.default)

    def _resource(self, store: AuthStore, resource_type: str, resource_id: str) -> tuple[str, int]:
        if resource_type == "registered_model":
            model_id = store.model_id(resource_id)
            if model_id is None:
                raise NotFound(f"Registered Model with name={resource_id[:256]} not found")
            return "model", model_id
        if resource_type == "experiment":
            text = str(resource_id)
            if not text.isascii() or not text.isdigit() or len(text) > 18:
                raise InvalidArgument(f"Invalid experiment id {text[:50]!r}: use its number.")
            experiment_id = int(text)
            exists, _ = store.levels("experiment", experiment_id, ("",))
            if not exists:
                raise NotFound(f"No Experiment with id={experiment_id} exists")
            return "experiment", experiment_id
        allowed = ", ".join(RESOURCE_TYPES)
        raise InvalidArgument(
            f"Invalid resource_type {str(resource_type)[:50]!r}: use one of {allowed}."
        )

    def grant(self, subject: str, resource_type: str, resource_id: str, level: Level) -> None:
        """Set ``subject``'s (a user name or ``group:<name>``) level on one object."""
        with self.db.write() as conn:
            store = AuthStore(conn)
            kind, object_id = self._resource(store, resource_type, resource_id)
            if not subject.startswith("group:"):
                self._require_user(store, subject)
            if kind == "model":
                store.set_model_grant(object_id, subject, int(level))
            else:
                store.set_experiment_grant(object_id, subject, int(level))

    def revoke(self, subject: str, resource_type: str, resource_id: str) -> None:
        with self.db.write() as conn:
            store = AuthStore(conn)
            kind, object_id = self._resource(store, resource_type, resource_id)
            if kind == "model":
                store.delete_model_grant(object_id, subject)
            else:
                store.delete_experiment_grant(object_id, subject)

    def grants_of(self, subject: str) -> list[tuple[str, str, Level]]:
        with self.db.read() as conn:
            return [(t, i, Level(level)) for t, i, level in AuthStore(conn).grants_of(subject)]

    def user_level(self, username: str, resource_type: str, resource_id: str) -> Level:
        """A user's effective level on one object (MLflow's users/permissions/get)."""
        with self.db.read() as conn:
            store = AuthStore(conn)
            row = self._require_user(store, username)
            kind, object_id = self._resource(store, resource_type, resource_id)
            principal = self._principal(store, int(row.id), row.username, bool(row.is_admin))
        if principal.is_admin:
            return Level.MANAGE
        key: Any = resource_id if kind == "model" else object_id
        return self.level_of(principal, kind, key)[1]

    def models_holding(self, location: str) -> list[str]:
        """Names of the models with a version whose registry copy is ``location``."""
        with self.db.read() as conn:
            return AuthStore(conn).models_holding(location)

    def webhook_model(self, kind: str, key: str) -> tuple[bool, str | None]:
        """Whether a webhook exists (named by its id, ``kind`` ``webhook``, or by one
        of its deliveries', ``delivery``) and the model it is scoped to (None: all)."""
        with self.db.read() as conn:
            return AuthStore(conn).webhook_model(kind, key)

    def grant_creator(self, principal: Principal, resource_type: str, resource_id: str) -> None:
        """The creator of a model or experiment gets MANAGE on it (as in MLflow)."""
        if principal.authenticated:
            self.grant(principal.name, resource_type, resource_id, Level.MANAGE)


__all__ = ["MAX_TOKEN_DAYS", "RESOURCE_TYPES", "AuthService", "Role", "TokenInfo", "User"]
