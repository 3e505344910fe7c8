"""Queries and statements for users, tokens, groups and grants (``modelreg server --auth``).

Grant lookups are on every authorised request, so they are prepared statements with
one bound slot per subject (the user and each of their groups: ``subject IN (…)`` with
a fixed count, see :func:`subject_slots`) and look the object up by what the request
names (a model name, an experiment id, a run id, a logged-model id) in the same
statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    delete,
    func,
    insert,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from modelreg.errors import AlreadyExists
from modelreg.store.prepared import Prepared, PreparedCache
from modelreg.store.tables import (
    auth_experiment_grants as eg,
)
from modelreg.store.tables import (
    auth_group_members as members,
)
from modelreg.store.tables import (
    auth_groups as groups,
)
from modelreg.store.tables import (
    auth_model_grants as mg,
)
from modelreg.store.tables import (
    auth_tokens as tokens,
)
from modelreg.store.tables import (
    auth_users as users,
)
from modelreg.store.tables import (
    experiments,
    logged_models,
    model_versions,
    registered_models,
    runs,
    webhook_deliveries,
    webhooks,
)


def subject_slots(column: Any, count: int) -> ColumnElement[bool]:
    """``column IN (:s0, …)`` with one slot per subject (statements cached per count)."""
    slots: list[Any] = [bindparam(f"s{i}") for i in range(count)]
    result: ColumnElement[bool] = column == slots[0] if count == 1 else column.in_(slots)
    return result


def subject_params(subjects: Sequence[str]) -> dict[str, str]:
    return {f"s{i}": subject for i, subject in enumerate(subjects)}


_LEVEL_QUERIES = PreparedCache()


def _model_levels(count: int) -> Any:
    return (
        select(mg.c.level)
        .select_from(mg.join(registered_models, registered_models.c.id == mg.c.model_id))
        .where(registered_models.c.name == bindparam("key"), subject_slots(mg.c.subject, count))
    )


def _experiment_levels(count: int) -> Any:
    return select(eg.c.level).where(
        eg.c.experiment_id == bindparam("key"), subject_slots(eg.c.subject, count)
    )


def _run_levels(count: int) -> Any:
    return (
        select(eg.c.level)
        .select_from(eg.join(runs, runs.c.experiment_id == eg.c.experiment_id))
        .where(runs.c.run_id == bindparam("key"), subject_slots(eg.c.subject, count))
    )


def _logged_model_levels(count: int) -> Any:
    return (
        select(eg.c.level)
        .select_from(eg.join(logged_models, logged_models.c.experiment_id == eg.c.experiment_id))
        .where(logged_models.c.model_id == bindparam("key"), subject_slots(eg.c.subject, count))
    )


def _experiment_name_levels(count: int) -> Any:
    return (
        select(eg.c.level)
        .select_from(eg.join(experiments, experiments.c.experiment_id == eg.c.experiment_id))
        .where(experiments.c.name == bindparam("key"), subject_slots(eg.c.subject, count))
    )


# What a request can name an object by -> (the grants' query, whether the object exists).
_LEVELS = {
    "model": _model_levels,
    "experiment": _experiment_levels,
    "run": _run_levels,
    "logged_model": _logged_model_levels,
    "experiment_name": _experiment_name_levels,
}
_EXISTS = {
    "model": Prepared(
        select(registered_models.c.id).where(registered_models.c.name == bindparam("key"))
    ),
    "experiment": Prepared(
        select(experiments.c.experiment_id).where(experiments.c.experiment_id == bindparam("key"))
    ),
    "run": Prepared(select(runs.c.experiment_id).where(runs.c.run_id == bindparam("key"))),
    "logged_model": Prepared(
        select(logged_models.c.experiment_id).where(logged_models.c.model_id == bindparam("key"))
    ),
    "experiment_name": Prepared(
        select(experiments.c.experiment_id).where(experiments.c.name == bindparam("key"))
    ),
}
KINDS = tuple(_LEVELS)

_TOKEN = Prepared(
    select(
        users.c.id,
        users.c.username,
        users.c.is_admin,
        users.c.credentials_version,
        tokens.c.id.label("token_id"),
        tokens.c.expiry_timestamp,
        tokens.c.revoked,
    )
    .select_from(tokens.join(users, users.c.id == tokens.c.user_id))
    .where(tokens.c.token_hash == bindparam("digest"))
)
_USER = Prepared(select(users).where(users.c.username == bindparam("username")))
_GROUPS_OF = Prepared(
    select(groups.c.name)
    .select_from(members.join(groups, groups.c.id == members.c.group_id))
    .where(members.c.user_id == bindparam("uid"))
)


@dataclass(frozen=True, slots=True)
class Visibility:
    """A search restricted to the objects on which ``subjects`` hold level ``least``
    or better (1, READ, for searches; 4, MANAGE, for the webhooks one may manage);
    ``default_readable``: the server's default level is ``least`` or better."""

    subjects: tuple[str, ...]
    default_readable: bool
    least: int = 1

    @property
    def shape(self) -> tuple[int, bool, int]:
        """What the statement depends on (its values are bound parameters)."""
        return len(self.subjects), self.default_readable, self.least

    def params(self) -> dict[str, str]:
        return subject_params(self.subjects)

    def models(self, id_column: Any) -> Any:
        return visible_ids(id_column, mg, mg.c.model_id, *self.shape)

    def model_names(self, name_column: Any) -> Any:
        """The same term for a column holding model names (webhooks scoped to a model)."""
        names = select(registered_models.c.name).where(self.models(registered_models.c.id))
        return name_column.in_(names)

    def experiments(self, id_column: Any) -> Any:
        return visible_ids(id_column, eg, eg.c.experiment_id, *self.shape)


def visible_ids(
    id_column: Any, grants: Any, key: Any, count: int, default_readable: bool, least: int = 1
) -> Any:
    """A WHERE term keeping the objects the subjects hold ``least`` on (search
    filtering in SQL).

    Under a default below ``least``, the objects with an explicit grant of ``least``
    or better and no DENY; under a default of ``least`` or better, every object except
    those whose explicit grants for the subjects deny or stay below ``least``.
    """
    explicit = select(key).where(subject_slots(grants.c.subject, count)).group_by(key)
    if default_readable:
        hidden = explicit.having(
            or_(func.min(grants.c.level) < 0, func.max(grants.c.level) < least)
        )
        return not_(id_column.in_(hidden))
    readable = explicit.having(
        and_(func.min(grants.c.level) >= 0, func.max(grants.c.level) >= least)
    )
    return id_column.in_(readable)


class AuthStore:
    """Users, tokens, groups and grants, on one connection's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ------------------------------------------------------------------ users
    def user(self, username: str) -> Any:
        return _USER.first(self.conn, {"username": username})

    def user_by_id(self, user_id: int) -> Any:
        return self.conn.execute(select(users).where(users.c.id == user_id)).first()

    def users(self) -> list[Any]:
        return list(self.conn.execute(select(users).order_by(users.c.username)).all())

    def user_count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(users)).scalar_one())

    def insert_user(self, username: str, password_hash: str, is_admin: bool, now: int) -> int:
        try:
            with self.conn.begin_nested():
                result = self.conn.execute(
                    insert(users).values(
                        username=username,
                        password_hash=password_hash,
                        is_admin=is_admin,
                        creation_timestamp=now,
                        credentials_version=0,
                    )
                )
        except IntegrityError:
            raise AlreadyExists(f"User '{username}' already exists.") from None
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def update_user(self, user_id: int, **values: Any) -> None:
        self.conn.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(credentials_version=users.c.credentials_version + 1, **values)
        )

    def delete_user(self, user_id: int, username: str) -> None:
        # Grants name subjects, not ids: a later user of the same name starts with none.
        self.conn.execute(delete(mg).where(mg.c.subject == username))
        self.conn.execute(delete(eg).where(eg.c.subject == username))
        self.conn.execute(delete(tokens).where(tokens.c.user_id == user_id))
        self.conn.execute(delete(members).where(members.c.user_id == user_id))
        self.conn.execute(delete(users).where(users.c.id == user_id))

    def groups_of(self, user_id: int) -> list[str]:
        return sorted(row[0] for row in _GROUPS_OF.all(self.conn, {"uid": user_id}))

    # ----------------------------------------------------------------- tokens
    def token(self, digest: str) -> Any:
        return _TOKEN.first(self.conn, {"digest": digest})

    def insert_token(
        self, user_id: int, name: str, digest: str, now: int, expiry: int | None
    ) -> int:
        result = self.conn.execute(
            insert(tokens).values(
                user_id=user_id,
                name=name,
                token_hash=digest,
                creation_timestamp=now,
                expiry_timestamp=expiry,
                revoked=False,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def tokens_of(self, user_id: int) -> list[Any]:
        return list(
            self.conn.execute(
                select(tokens).where(tokens.c.user_id == user_id).order_by(tokens.c.id)
            ).all()
        )

    def revoke_token(self, user_id: int, token_id: int) -> bool:
        result = self.conn.execute(
            update(tokens)
            .where(tokens.c.user_id == user_id, tokens.c.id == token_id)
            .values(revoked=True)
        )
        return bool(result.rowcount)

    # ----------------------------------------------------------------- groups
    def insert_group(self, name: str, description: str | None) -> int:
        try:
            with self.conn.begin_nested():
                result = self.conn.execute(
                    insert(groups).values(name=name, description=description)
                )
        except IntegrityError:
            raise AlreadyExists(f"Role '{name}' already exists.") from None
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def group(self, group_id: int) -> Any:
        return self.conn.execute(select(groups).where(groups.c.id == group_id)).first()

    def groups(self) -> list[Any]:
        return list(self.conn.execute(select(groups).order_by(groups.c.id)).all())

    def update_group(self, group_id: int, **values: Any) -> None:
        self.conn.execute(update(groups).where(groups.c.id == group_id).values(**values))

    def delete_group(self, group_id: int, name: str) -> None:
        subject = f"group:{name}"
        self.conn.execute(delete(mg).where(mg.c.subject == subject))
        self.conn.execute(delete(eg).where(eg.c.subject == subject))
        self.conn.execute(delete(members).where(members.c.group_id == group_id))
        self.conn.execute(delete(groups).where(groups.c.id == group_id))

    def add_member(self, group_id: int, user_id: int) -> None:
        exists = self.conn.execute(
            select(members.c.user_id).where(
                members.c.group_id == group_id, members.c.user_id == user_id
            )
        ).first()
        if exists is None:
            self.conn.execute(insert(members).values(group_id=group_id, user_id=user_id))

    def remove_member(self, group_id: int, user_id: int) -> bool:
        result = self.conn.execute(
            delete(members).where(members.c.group_id == group_id, members.c.user_id == user_id)
        )
        return bool(result.rowcount)

    def members(self, group_id: int) -> list[Any]:
        return list(
            self.conn.execute(select(members.c.user_id).where(members.c.group_id == group_id)).all()
        )

    def user_groups(self, user_id: int) -> list[Any]:
        return list(
            self.conn.execute(
                select(groups)
                .select_from(members.join(groups, groups.c.id == members.c.group_id))
                .where(members.c.user_id == user_id)
                .order_by(groups.c.id)
            ).all()
        )

    # ----------------------------------------------------------------- grants
    def levels(self, kind: str, key: Any, subjects: Sequence[str]) -> tuple[bool, list[int]]:
        """Whether the object exists, and the subjects' explicit levels on it."""
        exists = _EXISTS[kind].first(self.conn, {"key": key}) is not None
        if not exists:
            return False, []
        count = len(subjects)
        statement = _LEVEL_QUERIES.get((kind, count), lambda: _LEVELS[kind](count))
        rows = statement.all(self.conn, {"key": key, **subject_params(subjects)})
        return True, [row[0] for row in rows]

    def experiment_of(self, kind: str, key: Any) -> Any:
        """The experiment id of a run or logged model (None if it does not exist)."""
        return _EXISTS[kind].scalar(self.conn, {"key": key})

    def model_id(self, name: str) -> int | None:
        found = _EXISTS["model"].scalar(self.conn, {"key": name})
        return None if found is None else int(found)

    def set_model_grant(self, model_id: int, subject: str, level: int) -> None:
        self.conn.execute(delete(mg).where(mg.c.model_id == model_id, mg.c.subject == subject))
        self.conn.execute(insert(mg).values(model_id=model_id, subject=subject, level=level))

    def set_experiment_grant(self, experiment_id: int, subject: str, level: int) -> None:
        self.conn.execute(
            delete(eg).where(eg.c.experiment_id == experiment_id, eg.c.subject == subject)
        )
        self.conn.execute(
            insert(eg).values(experiment_id=experiment_id, subject=subject, level=level)
        )

    def delete_model_grant(self, model_id: int, subject: str) -> bool:
        result = self.conn.execute(
            delete(mg).where(mg.c.model_id == model_id, mg.c.subject == subject)
        )
        return bool(result.rowcount)

    def delete_experiment_grant(self, experiment_id: int, subject: str) -> bool:
        result = self.conn.execute(
            delete(eg).where(eg.c.experiment_id == experiment_id, eg.c.subject == subject)
        )
        return bool(result.rowcount)

    def models_holding(self, location: str) -> list[str]:
        rows = self.conn.execute(
            select(registered_models.c.name)
            .select_from(
                model_versions.join(
                    registered_models, registered_models.c.id == model_versions.c.model_id
                )
            )
            .where(model_versions.c.storage_location == location)
            .distinct()
        ).all()
        return [row[0] for row in rows]

    def webhook_model(self, kind: str, key: str) -> tuple[bool, str | None]:
        """Whether the webhook (``kind`` ``webhook``: by its id; ``delivery``: by one of
        its deliveries' ids) exists, and the model it is scoped to (None: registry-wide)."""
        if kind == "delivery":
            statement = (
                select(webhooks.c.model_name)
                .select_from(
                    webhook_deliveries.join(
                        webhooks, webhooks.c.webhook_id == webhook_deliveries.c.webhook_id
                    )
                )
                .where(webhook_deliveries.c.delivery_id == key)
            )
        else:
            statement = select(webhooks.c.model_name).where(webhooks.c.webhook_id == key)
        row = self.conn.execute(statement).first()
        return (False, None) if row is None else (True, row[0])

    def grants_of(self, subject: str) -> list[tuple[str, str, int]]:
        """(resource type, resource id, level) of every grant naming ``subject``."""
        model_rows = self.conn.execute(
            select(registered_models.c.name, mg.c.level)
            .select_from(mg.join(registered_models, registered_models.c.id == mg.c.model_id))
            .where(mg.c.subject == subject)
            .order_by(registered_models.c.name)
        ).all()
        experiment_rows = self.conn.execute(
            select(eg.c.experiment_id, eg.c.level)
            .where(eg.c.subject == subject)
            .order_by(eg.c.experiment_id)
        ).all()
        return [("registered_model", str(r[0]), int(r[1])) for r in model_rows] + [
            ("experiment", str(r[0]), int(r[1])) for r in experiment_rows
        ]


__all__ = ["KINDS", "AuthStore", "Visibility", "subject_params", "subject_slots", "visible_ids"]
