"""Every route declares what it requires, and with ``--auth`` each refuses a caller without it.

The walk covers the whole route table (``modelreg.server.app.endpoints``): a route
added without ``permission=`` fails ``test_every_endpoint_declares_a_requirement`` (and a
server with --auth refuses to mount it); a route whose declaration is not enforced
fails the refusal walks below. Requests name alice's objects (model ``M``, her
experiment, run and logged model); ``bob`` has no grants, ``eve`` has EDIT on ``M``.
"""

from __future__ import annotations

from typing import Any

import pytest

from modelreg.server.app import endpoints
from modelreg.server.authz import (
    AdminOnly,
    ArtifactPathPermission,
    Authenticated,
    Creates,
    ExperimentPermission,
    ModelPermission,
    Open,
    ResourcePermission,
    SelfOrAdmin,
    VersionSource,
    WebhookPermission,
)
from modelreg.server.routing import Endpoint
from modelreg.service.auth import Level
from tests.server.auth_env import (
    AuthEnv,
    add_webhook,
)

TABLE = endpoints()
ROUTES = [(e.method, e.paths[0], e) for e in TABLE]
IDS = [f"{method} {path}" for method, path, _ in ROUTES]
# Searches and creates any signed-in user may call (searches filter: see test_auth).
ANY_USER = {e.operation_id for e in TABLE if isinstance(e.permission, Authenticated | Creates)}


def test_every_endpoint_declares_a_requirement() -> None:
    undeclared = [e.operation_id for e in TABLE if e.permission is None]
    assert undeclared == []


def test_a_server_with_auth_refuses_to_mount_an_undeclared_route(
    env: AuthEnv,
) -> None:
    from modelreg.server.api import Api
    from modelreg.server.context import AppContext
    from modelreg.server.routing import build_routes
    from modelreg.server.schemas import EMPTY

    app = env.http.app
    gate = app.state.gate  # type: ignore[attr-defined]
    services = app.state.services  # type: ignore[attr-defined]
    undeclared = Endpoint("GET", ("/x",), "x", "x", EMPTY, handler=lambda call: {})
    api = Api(services, gate.runner, 1024, None, gate)
    context = AppContext(services, gate.runner, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="declare permission="):
        build_routes([undeclared], context, api)


@pytest.fixture
def hook(env: AuthEnv) -> tuple[str, str]:
    """A webhook scoped to alice's model M and one of its deliveries."""
    return add_webhook(env)


def _values(env: AuthEnv, hook: tuple[str, str]) -> dict[str, Any]:
    return {
        "webhook_id": hook[0],
        "id": hook[0],
        "delivery_id": hook[1],
        "name": env.model,
        "version": "1",
        "alias": "prod",
        "key": "k",
        "value": "v",
        "new_name": "M2",
        "stage": "Production",
        "source": "s3://bucket/x",
        "experiment_id": env.experiment_id,
        "experiment_ids": [env.experiment_id],
        "experiment_name": "alice-exp",
        "run_id": env.run_id,
        "run_ids": [env.run_id],
        "metric_key": "m",
        "model_id": env.logged_model_id,
        "username": "alice",
        "password": "new-Pass-123!xyz",
        "is_admin": True,
        "resource_type": "registered_model",
        "resource_id": env.model,
        "resource_pattern": env.model,
        "permission": "READ",
        "path": env.experiment_id,
        "role_id": 1,
        "role_permission_id": f"registered_model:{env.model}@1",
        "token_id": 1,
        "timestamp": 1,
        "new_experiment_name": "x",
        "start": 0,
        "end": 10,
        "max_results": 10,
        "models": [{"model_id": env.logged_model_id}],
        "params": [{"key": "p", "value": "1"}],
        "tags": [{"key": "k", "value": "v"}],
    }


def _request(
    env: AuthEnv, endpoint: Endpoint, path: str, hook: tuple[str, str]
) -> tuple[str, dict[str, Any]]:
    values = _values(env, hook)
    url = (
        path.replace("{model_id}", env.logged_model_id)
        .replace("{webhook_id}", hook[0])
        .replace("{delivery_id}", hook[1])
        .replace("{tag_key}", "k")
        .replace("{artifact_path:path}", f"{env.experiment_id}/{env.run_id}/artifacts/x")
    )
    fields = {f.name: values[f.name] for f in endpoint.fields if f.name in values}
    fields.pop("artifact_path", None)
    for name in ("webhook_id", "delivery_id"):
        if "{" + name + "}" in path:
            fields.pop(name, None)
    if endpoint.method in ("GET", "DELETE") and endpoint.handler is None:
        return url, {"params": fields}
    if endpoint.method == "GET":
        return url, {"params": fields}
    if endpoint.method == "PUT":
        return url, {"content": b"data"}
    return url, {"json": fields}


@pytest.mark.parametrize(("method", "path", "endpoint"), ROUTES, ids=IDS)
def test_anonymous_callers_get_401_except_on_open_routes(
    env: AuthEnv,
    method: str,
    path: str,
    endpoint: Endpoint,
    hook: tuple[str, str],
) -> None:
    url, kwargs = _request(env, endpoint, path, hook)
    response = env.call(None, method, url, **kwargs)
    if isinstance(endpoint.permission, Open):
        assert response.status_code == 200
        return
    assert response.status_code == 401, response.text
    assert response.json()["error_code"] == "UNAUTHENTICATED"
    assert response.headers["www-authenticate"].startswith("Basic")


RESTRICTED = [
    route for route in ROUTES if not isinstance(route[2].permission, Open | Authenticated | Creates)
]


@pytest.mark.parametrize(
    ("method", "path", "endpoint"), RESTRICTED, ids=[f"{m} {p}" for m, p, _ in RESTRICTED]
)
def test_a_user_without_a_grant_gets_403(
    env: AuthEnv,
    method: str,
    path: str,
    endpoint: Endpoint,
    hook: tuple[str, str],
) -> None:
    assert isinstance(
        endpoint.permission,
        AdminOnly
        | SelfOrAdmin
        | ModelPermission
        | ExperimentPermission
        | ArtifactPathPermission
        | ResourcePermission
        | VersionSource
        | WebhookPermission,
    )
    url, kwargs = _request(env, endpoint, path, hook)
    response = env.call("bob", method, url, **kwargs)
    assert response.status_code == 403, response.text
    assert response.json()["error_code"] == "PERMISSION_DENIED"


MODEL_ROUTES = [r for r in ROUTES if isinstance(r[2].permission, ModelPermission)]


@pytest.mark.parametrize(
    ("method", "path", "endpoint"), MODEL_ROUTES, ids=[f"{m} {p}" for m, p, _ in MODEL_ROUTES]
)
def test_edit_on_a_model_allows_up_to_edit_and_refuses_manage(
    env: AuthEnv,
    method: str,
    path: str,
    endpoint: Endpoint,
    hook: tuple[str, str],
) -> None:
    assert isinstance(endpoint.permission, ModelPermission)
    url, kwargs = _request(env, endpoint, path, hook)
    response = env.call("eve", method, url, **kwargs)
    if endpoint.permission.level > Level.EDIT:
        assert response.status_code == 403, response.text
    else:
        assert response.status_code not in (401, 403), response.text


def test_the_walk_covers_each_kind_of_requirement() -> None:
    kinds = {type(e.permission).__name__ for e in TABLE}
    assert kinds >= {
        "Open",
        "Authenticated",
        "Creates",
        "AdminOnly",
        "SelfOrAdmin",
        "ModelPermission",
        "ExperimentPermission",
        "ArtifactPathPermission",
        "ResourcePermission",
        "VersionSource",
        "WebhookPermission",
    }
    assert {"searchRegisteredModels", "searchModelVersions", "searchExperiments"} <= ANY_USER
