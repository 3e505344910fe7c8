"""Shared setup of the ``--auth`` tests: an app with users admin, alice, bob and eve.

The security checklist's cast (reference/security-checklist.md §4): ``admin``;
``alice`` creates objects; ``bob`` has no grants; ``eve`` gets EDIT on alice's model.
Password hashing uses argon2id with test-sized costs (the production profile spends
~64 MiB and tens of milliseconds per hash, by design).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from argon2 import PasswordHasher

from modelreg.config import Settings
from modelreg.server import ServerSettings, create_app
from modelreg.service.auth import secrets as auth_secrets
from modelreg.service.auth.service import AuthService
from modelreg.store.webhooks import WebhookStore
from tests.server.asgi import TestClient, asgi_client

API = "/api/2.0/mlflow"
API3 = "/api/3.0/mlflow"
TOKENS = "/api/2.0/modelreg/tokens"
PASSWORDS = {
    "admin": "admin-Pass-123!",
    "alice": "alice-Pass-123!",
    "bob": "bob-Pass-123!xyz",
    "eve": "eve-Pass-123!xyz",
}


def basic(user: str, password: str | None = None) -> dict[str, str]:
    secret = PASSWORDS[user] if password is None else password
    raw = base64.b64encode(f"{user}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def fast_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(auth_secrets, "_hasher", lambda: cheap)
    monkeypatch.setattr(auth_secrets, "_dummy_hash", lambda: cheap.hash("not-a-user"))


@dataclass
class AuthEnv:
    """The client, the auth service, and alice's objects (model M v1, experiment, run)."""

    http: TestClient
    auth: AuthService
    model: str = "M"
    experiment_id: str = ""
    run_id: str = ""
    logged_model_id: str = ""

    def call(self, user: str | None, method: str, path: str, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if user is not None:
            headers.update(basic(user))
        return self.http.request(method, path, headers=headers, **kwargs)

    def ok(self, user: str, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(user, method, path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json() if response.content else {}


HOOK_URL = "https://hooks.example.com/modelreg"


def add_webhook(env: AuthEnv, model_name: str | None = "M") -> tuple[str, str]:
    """A webhook (DISABLED: nothing is sent) scoped to ``model_name`` (None: the
    whole registry), and one dead delivery of it: their ids."""
    services = env.http.app.state.services  # type: ignore[attr-defined]
    hook = services.webhooks.create_webhook(
        "hook",
        HOOK_URL,
        ["model_version.created"],
        kind="http",
        status="DISABLED",
        model_name=model_name,
    )
    delivery_id = str(uuid.uuid4())
    with services.db.write() as conn:
        WebhookStore(conn).insert_deliveries(
            [
                {
                    "delivery_id": delivery_id,
                    "webhook_id": hook.webhook_id,
                    "event_id": 1,
                    "event_type": "model_version.created",
                    "order_key": model_name or "",
                    "status": "DEAD",
                    "attempts": 1,
                    "next_attempt_at": 0,
                    "created_at": 0,
                }
            ]
        )
    return hook.webhook_id, delivery_id


def make_env(http: TestClient) -> AuthEnv:
    auth: AuthService = http.app.state.services.auth  # type: ignore[attr-defined]
    auth.create_user("admin", PASSWORDS["admin"], is_admin=True)
    for user in ("alice", "bob", "eve"):
        auth.create_user(user, PASSWORDS[user])
    env = AuthEnv(http, auth)
    env.ok("alice", "POST", f"{API}/registered-models/create", json={"name": "M"})
    exp = env.ok("alice", "POST", f"{API}/experiments/create", json={"name": "alice-exp"})
    env.experiment_id = exp["experiment_id"]
    run = env.ok("alice", "POST", f"{API}/runs/create", json={"experiment_id": env.experiment_id})
    env.run_id = run["run"]["info"]["run_id"]
    env.ok(
        "alice",
        "POST",
        f"{API}/model-versions/create",
        json={"name": "M", "source": f"runs:/{env.run_id}/model", "run_id": env.run_id},
    )
    env.ok(
        "alice",
        "POST",
        f"{API}/registered-models/alias",
        json={"name": "M", "alias": "prod", "version": "1"},
    )
    logged = env.ok(
        "alice",
        "POST",
        f"{API}/logged-models",
        json={"experiment_id": env.experiment_id, "name": "lm"},
    )
    env.logged_model_id = logged["model"]["info"]["model_id"]
    env.ok(
        "admin",
        "POST",
        f"{API3}/users/permissions/grant",
        json={
            "username": "eve",
            "resource_type": "registered_model",
            "resource_id": "M",
            "permission": "EDIT",
        },
    )
    return env


@pytest.fixture
def auth_server_settings() -> ServerSettings:
    return ServerSettings(auth=True)


@pytest.fixture
def auth_app(settings: Settings, auth_server_settings: ServerSettings, fast_hashes: None) -> Any:
    return create_app(settings, auth_server_settings)


@pytest.fixture
def env(auth_app: Any) -> Iterator[AuthEnv]:
    with asgi_client(auth_app) as http:
        yield make_env(http)


@pytest.fixture
def live_env(auth_app: Any) -> Iterator[tuple[str, AuthEnv]]:
    """The --auth app on a real loopback socket (uvicorn in a thread), with the cast."""
    import threading
    import time

    import uvicorn

    from tests.server.asgi import free_port

    port = free_port()
    config = uvicorn.Config(auth_app, host="127.0.0.1", port=port, log_config=None, ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        with asgi_client(auth_app) as http:
            yield f"http://127.0.0.1:{port}", make_env(http)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
