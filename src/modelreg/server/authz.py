"""What each endpoint requires of its caller, declared in the route table.

Every :class:`~modelreg.server.routing.Endpoint` names a :data:`Requirement`
(``permission=…``); ``tests/server/test_auth_coverage.py`` walks the table and fails
for any route without one, and proves each refuses a caller without the right. With
``modelreg server --auth`` the :class:`Authorizer` enforces the declaration before the
handler runs (and before a cached response is served); without ``--auth`` the
declarations are documentation.

Declarations:

* :data:`OPEN`: no credentials needed (``/health``, ``/version``).
* :data:`AUTHENTICATED`: any signed-in user. Searches declare this: they filter in
  SQL to what the caller may read (``GrantPolicy.visibility``).
* :class:`Creates`: any signed-in user; the creator gets MANAGE on what was created.
* :data:`ADMIN_ONLY`: admins only (user management, the whole artifact root).
* :class:`SelfOrAdmin`: the user named by a field, or an admin (own password, tokens).
* :class:`ModelPermission`: a level on the registered model named by a field.
* :class:`ExperimentPermission`: a level on an experiment, found from an experiment id
  (or a list of them), a run id or a logged-model id.
* :class:`WebhookPermission`: MANAGE on the model a webhook is scoped to; a
  registry-wide webhook (no model) is for admins.
* :class:`ArtifactPathPermission`: the artifact proxy; the path's first segment is an
  experiment id (runs', logged models' files), ``_registry/<uuid>`` a registry copy
  (READ on a model whose version holds it); anything else is for admins.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar
from urllib.parse import unquote

from modelreg.errors import PermissionDenied, RegistryError
from modelreg.model_uris import parse_models_uri
from modelreg.principal import Principal
from modelreg.server.wire import Params
from modelreg.service.auth.levels import Level
from modelreg.service.auth.service import AuthService
from modelreg.service.snapshots import VERSIONS_PREFIX

Lookup = Literal["experiment", "experiment_name", "run", "logged_model"]
K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Open:
    """No credentials needed."""


@dataclass(frozen=True, slots=True)
class Authenticated:
    """Any signed-in user (what they see is filtered by their grants)."""


@dataclass(frozen=True, slots=True)
class AdminOnly:
    """Admins only."""


@dataclass(frozen=True, slots=True)
class SelfOrAdmin:
    """The user the request names in ``from_field`` (absent: the caller), or an admin."""

    from_field: str = "username"


@dataclass(frozen=True, slots=True)
class Creates:
    """Any signed-in user; afterwards the creator gets MANAGE on the new object.

    ``resource_type`` is ``registered_model`` (named by the request's ``from_field``)
    or ``experiment`` (its id is the response's ``result_field``).
    """

    resource_type: Literal["registered_model", "experiment"]
    from_field: str | None = None
    result_field: str | None = None


@dataclass(frozen=True, slots=True)
class ModelPermission:
    """``level`` on the registered model named by the request's ``from_field``.

    ``whole_registry_for_admins``: a request that names no model covers every model
    (the event feed, chain verification), so only an admin may make it.
    """

    level: Level
    from_field: str = "name"
    whole_registry_for_admins: bool = False


@dataclass(frozen=True, slots=True)
class ExperimentPermission:
    """``level`` on an experiment found by ``lookup`` from the request's ``from_field``.

    ``lookup``: ``experiment`` (an id; with ``many``, a list of ids, every one
    checked), ``run`` (a run id, also accepted as ``run_uuid``) or ``logged_model``.
    """

    level: Level
    from_field: str = "experiment_id"
    lookup: Lookup = "experiment"
    many: bool = False


@dataclass(frozen=True, slots=True)
class ArtifactPathPermission:
    """``level`` on what an artifact-proxy path belongs to (see the module doc)."""

    level: Level
    from_field: str


@dataclass(frozen=True, slots=True)
class WebhookPermission:
    """MANAGE on the model of the webhook the request names; admins only for a
    registry-wide webhook (it sends every model's events out).

    ``lookup``: ``create`` (the model is the request's ``from_field``; none asks for a
    registry-wide webhook), ``webhook`` (``from_field`` is a webhook id) or
    ``delivery`` (a delivery id; its webhook's model). Listing declares
    :data:`AUTHENTICATED`: the service keeps, in SQL, the webhooks a caller manages.
    """

    from_field: str
    lookup: Literal["create", "webhook", "delivery"] = "webhook"


@dataclass(frozen=True, slots=True)
class ResourcePermission:
    """``level`` on the object the request names by ``resource_type`` (``registered_model``
    or ``experiment``) and ``resource_id`` (MLflow's permission APIs)."""

    level: Level


@dataclass(frozen=True, slots=True)
class VersionSource:
    """Registering a version: EDIT on the model, and READ on what the version is made
    from (its ``run_id``, ``model_id``, and a ``runs:/``, ``models:/`` or
    ``mlflow-artifacts:/`` source): nobody registers, and so copies, files they cannot
    read (security checklist T-08)."""


Requirement = (
    Open
    | Authenticated
    | AdminOnly
    | SelfOrAdmin
    | Creates
    | ModelPermission
    | ExperimentPermission
    | ArtifactPathPermission
    | ResourcePermission
    | VersionSource
    | WebhookPermission
)

OPEN: Final = Open()
AUTHENTICATED: Final = Authenticated()
ADMIN_ONLY: Final = AdminOnly()
READ, EDIT, MANAGE = Level.READ, Level.EDIT, Level.MANAGE
REGISTRY_PREFIX: Final = "_registry"
# Decisions kept per worker on SQLite while nothing was committed anywhere.
_DECISIONS: Final = 10_000


def _denied(what: str) -> PermissionDenied:
    return PermissionDenied(f"Permission denied: {what}.")


def _experiment_number(text: str) -> int | None:
    """An experiment id a database can hold; None for anything else (the handler
    answers 400 for a malformed one)."""
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)


def _text(params: Params, name: str) -> str | None:
    value = params.value(name)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


class Authorizer:
    """Enforces endpoint requirements against the grants in the database.

    Point decisions (a caller's level on one object) made by :meth:`check_inline` (the
    bounded reads served on the event loop, whose SQLite connection never writes) are
    kept while the database's change token has not moved: any commit by another
    connection (a grant, a rename, a delete, in any thread or process) invalidates
    them all, so a kept decision is never stale. (A connection's own commits do not
    move its token, so checks on the writer threads never use kept decisions.) Other
    databases ask every time (one indexed statement).
    """

    def __init__(self, auth: AuthService) -> None:
        self.auth = auth
        self._kept: OrderedDict[tuple[Any, ...], tuple[int, bool, Level]] = OrderedDict()
        self._local = threading.local()

    def check_inline(self, requirement: Requirement, principal: Principal, params: Params) -> None:
        """:meth:`check`, from a thread whose connection never writes: may use kept
        decisions."""
        self._local.keep = True
        try:
            self.check(requirement, principal, params)
        finally:
            self._local.keep = False

    def allowed(
        self, checks: Mapping[K, tuple[Requirement, Params]], principal: Principal
    ) -> dict[K, bool]:
        """For each named ``(requirement, params)``, whether :meth:`check` would pass.

        What a page offers its caller (the UI shows a form only when the route it
        posts to would accept the caller). Levels are looked up once per object for
        the whole batch, so a page's many actions on one model cost one lookup.
        """
        self._local.memo = {}
        try:
            return {key: self._passes(*check, principal) for key, check in checks.items()}
        finally:
            self._local.memo = None

    def allowed_without_object(self, requirement: Requirement, principal: Principal) -> bool:
        """Whether ``requirement`` passes for a request that names no object (a menu
        link such as ``/webhooks`` or ``/audit``): decided from the principal alone,
        never a database read, so it may run on the event loop."""
        return self._passes(requirement, Params(), principal)

    def _passes(self, requirement: Requirement, params: Params, principal: Principal) -> bool:
        try:
            self.check(requirement, principal, params)
        except PermissionDenied:
            return False
        return True

    def _level(self, principal: Principal, kind: str, key: Any) -> tuple[bool, Level]:
        if principal.is_admin:
            return True, Level.MANAGE
        cache_key = (principal.name, principal.groups, kind, key)
        memo: dict[tuple[Any, ...], tuple[bool, Level]] | None = getattr(self._local, "memo", None)
        if memo is not None:
            if cache_key not in memo:
                memo[cache_key] = self._looked_up(principal, kind, key, cache_key)
            return memo[cache_key]
        return self._looked_up(principal, kind, key, cache_key)

    def _looked_up(
        self, principal: Principal, kind: str, key: Any, cache_key: tuple[Any, ...]
    ) -> tuple[bool, Level]:
        keep = getattr(self._local, "keep", False)
        token = self.auth.db.change_token() if keep else None
        if token is not None:
            found = self._kept.get(cache_key)
            if found is not None and found[0] == token:
                return found[1], found[2]
        exists, level = self.auth.level_of(principal, kind, key)
        if token is not None:
            self._kept[cache_key] = (token, exists, level)
            self._kept.move_to_end(cache_key)
            if len(self._kept) > _DECISIONS:
                self._kept.popitem(last=False)
        return exists, level

    def _need(self, principal: Principal, kind: str, key: Any, level: Level, what: str) -> None:
        exists, have = self._level(principal, kind, key)
        # A missing object is left to the handler (404 as MLflow answers); only an
        # existing one can be denied.
        if exists and have < level:
            raise _denied(f"{level.name} on {what} is required")

    def check(self, requirement: Requirement, principal: Principal, params: Params) -> None:
        """Raise PermissionDenied unless ``principal`` meets ``requirement``."""
        if isinstance(requirement, Open | Authenticated | Creates):
            return
        if principal.is_admin:
            return
        if isinstance(requirement, AdminOnly):
            raise _denied("this operation is for admins")
        if isinstance(requirement, SelfOrAdmin):
            named = _text(params, requirement.from_field)
            if named is not None and named != principal.name:
                raise _denied("only an admin may act on another user")
            return
        if isinstance(requirement, ModelPermission):
            name = _text(params, requirement.from_field)
            if name is not None:
                self._need(principal, "model", name, requirement.level, f"model '{name[:256]}'")
            elif requirement.whole_registry_for_admins:
                raise _denied("without a model name this covers the whole registry: for admins")
            return
        if isinstance(requirement, ExperimentPermission):
            self._experiment(requirement, principal, params)
            return
        if isinstance(requirement, ResourcePermission):
            self._resource(requirement.level, principal, params)
            return
        if isinstance(requirement, VersionSource):
            self._version_source(principal, params)
            return
        if isinstance(requirement, WebhookPermission):
            self._webhook(requirement, principal, params)
            return
        self._artifact(requirement, principal, params)

    def _webhook(
        self, requirement: WebhookPermission, principal: Principal, params: Params
    ) -> None:
        key = _text(params, requirement.from_field)
        if requirement.lookup == "create":
            name = key
        elif key is None:
            return  # the handler answers 400
        else:
            found, name = self.auth.webhook_model(requirement.lookup, key)
            if not found:
                return  # the handler answers 404
        if name is None:
            raise _denied("a registry-wide webhook (no model_name) is for admins")
        exists, have = self._level(principal, "model", name)
        # Unlike other checks a missing model is refused: a webhook for a name nobody
        # holds yet would receive the events of whoever creates that model next.
        if not exists:
            raise _denied(f"MANAGE on model '{name[:256]}' is required (it does not exist)")
        if have < Level.MANAGE:
            raise _denied(f"MANAGE on model '{name[:256]}' is required")

    def _experiment(
        self, requirement: ExperimentPermission, principal: Principal, params: Params
    ) -> None:
        field, lookup, level = requirement.from_field, requirement.lookup, requirement.level
        if requirement.many:
            ids = params.values(field) or []
            keys: list[str] = [str(value) for value in ids]
        else:
            key = _text(params, field)
            if key is None and lookup == "run":
                key = _text(params, "run_uuid")
            keys = [] if key is None else [key]
        for key in keys:
            if lookup == "experiment":
                number = _experiment_number(key.strip())
                if number is None:
                    continue  # the handler answers 400 for a malformed id
                self._need(principal, "experiment", number, level, f"experiment {number}")
            else:
                self._need(principal, lookup, key, level, f"the experiment of {lookup} {key[:64]}")

    def _version_source(self, principal: Principal, params: Params) -> None:
        self.check(ModelPermission(EDIT), principal, params)
        self.check(ExperimentPermission(READ, "run_id", "run"), principal, params)
        self.check(ExperimentPermission(READ, "model_id", "logged_model"), principal, params)
        source = _text(params, "source") or ""
        scheme, _, rest = source.partition(":")
        rest = rest.lstrip("/")
        if scheme == "runs" and rest:
            run_id = rest.partition("/")[0]
            self._need(principal, "run", run_id, READ, f"the experiment of run {run_id[:64]}")
        elif scheme == "models" and rest:
            try:
                ref = parse_models_uri(source)
            except RegistryError:
                return  # the handler answers 400
            if ref.model_id is not None:
                self._need(principal, "logged_model", ref.model_id, READ, "the logged model")
            elif ref.name is not None:
                self._need(principal, "model", ref.name, READ, f"model '{ref.name[:256]}'")
        elif scheme == "mlflow-artifacts":
            path = Params(body={"path": rest})
            self._artifact(ArtifactPathPermission(READ, "path"), principal, path)

    def _resource(self, level: Level, principal: Principal, params: Params) -> None:
        kind, key = _text(params, "resource_type"), _text(params, "resource_id")
        if key is None:
            return  # the handler answers 400
        if kind == "registered_model":
            self._need(principal, "model", key, level, f"model '{key[:256]}'")
        elif kind == "experiment" and (number := _experiment_number(key)) is not None:
            self._need(principal, "experiment", number, level, f"experiment {key}")
        else:
            # Anything else is refused by the handler for an admin; deny everyone else.
            raise _denied(f"{level.name} on the resource is required")

    def _artifact(
        self, requirement: ArtifactPathPermission, principal: Principal, params: Params
    ) -> None:
        path = (_text(params, requirement.from_field) or "").lstrip("/")
        first, _, rest = path.partition("/")
        level = requirement.level
        number = _experiment_number(first)
        if number is not None:
            self._need(principal, "experiment", number, level, f"experiment {first}")
            return
        if first == VERSIONS_PREFIX and rest and level == Level.READ:
            # _model-versions/<quoted name>/<version>/…: READ on that model.
            name = unquote(rest.partition("/")[0])
            self._need(principal, "model", name, level, f"model '{name[:256]}'")
            return
        if first == REGISTRY_PREFIX and rest and level == Level.READ:
            folder = f"{REGISTRY_PREFIX}/{rest.partition('/')[0]}"
            for name in self.auth.models_holding(folder):
                if self._level(principal, "model", name)[1].can_read:
                    return
        raise _denied("this artifact path is for admins")

    def after(
        self,
        requirement: Requirement,
        principal: Principal,
        params: Params,
        result: Callable[[], Any],
    ) -> None:
        """After a successful call: the creator of a model or experiment gets MANAGE."""
        if not isinstance(requirement, Creates):
            return
        if requirement.from_field is not None:
            resource_id = _text(params, requirement.from_field)
        else:
            body = result()
            value = body.get(requirement.result_field or "") if isinstance(body, dict) else None
            resource_id = None if value is None else str(value)
        if resource_id is not None:
            self.auth.grant_creator(principal, requirement.resource_type, resource_id)


__all__ = [
    "ADMIN_ONLY",
    "AUTHENTICATED",
    "EDIT",
    "MANAGE",
    "OPEN",
    "READ",
    "AdminOnly",
    "ArtifactPathPermission",
    "Authenticated",
    "Authorizer",
    "Creates",
    "ExperimentPermission",
    "ModelPermission",
    "Open",
    "Requirement",
    "ResourcePermission",
    "SelfOrAdmin",
    "VersionSource",
    "WebhookPermission",
]
