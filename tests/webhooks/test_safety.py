"""SSRF and transport safety: schemes, private addresses at connect time (a name that
resolves to 127.0.0.1 included), no redirects, timeouts, bounded responses, secrets."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from modelreg.config import WebhookSettings, webhook_settings
from modelreg.errors import InvalidArgument
from modelreg.service import RegistryService
from modelreg.service.webhooks import DeliveryWorker, WebhookService
from modelreg.store.database import Database
from modelreg.store.tables import webhooks as webhooks_table
from modelreg.webhooks.addresses import NetworkPolicy
from modelreg.webhooks.transport import post
from tests.webhooks.conftest import LOOPBACK, drain
from tests.webhooks.receiver import receiver

HTTP_ONLY = NetworkPolicy(allowed_schemes=frozenset({"http"}))


def _to_loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]  # hooks.example.com "resolves" to loopback


def test_default_settings_refuse_http_and_private_targets(db: Database) -> None:
    hooks = WebhookService(db, WebhookSettings(), actor="alice")
    with pytest.raises(InvalidArgument, match="scheme 'http' is not allowed"):
        hooks.create_webhook("x", "http://example.com/hook", ["alias.set"])
    for url in (
        "https://127.0.0.1/x",
        "https://[::1]/x",
        "https://169.254.169.254/latest",
        "https://localhost:8443/x",
        "https://10.0.0.5/x",
    ):
        with pytest.raises(InvalidArgument, match="private, loopback or link-local"):
            hooks.create_webhook("x", url, ["alias.set"])


def test_a_name_resolving_to_loopback_is_refused_at_connect_time() -> None:
    with receiver() as rx:
        port = rx.url.split(":")[2].split("/")[0]
        url = f"http://hooks.example.com:{port}/hook"
        refused = post(url, b"{}", {}, replace(HTTP_ONLY, resolver=_to_loopback))
        assert not refused.ok and refused.error is not None
        assert "127.0.0.1" in refused.error and "refused" in refused.error
        assert rx.requests == []
        # Allowed, the connection goes to the address that was checked (the name itself
        # does not resolve anywhere real).
        allowed = replace(HTTP_ONLY, resolver=_to_loopback, allow_private_ips=True)
        assert post(url, b"{}", {}, allowed).ok
        (got,) = rx.wait_for(1)
    assert got.headers["Host"] == f"hooks.example.com:{port}"


def test_the_worker_refuses_private_addresses_when_they_are_not_allowed(
    db: Database, make_worker: Callable[..., DeliveryWorker]
) -> None:
    with receiver() as rx:
        WebhookService(db, LOOPBACK, actor="alice").create_webhook(
            "x", rx.url, ["registered_model.created"], kind="http"
        )
        RegistryService(db, actor="alice").create_registered_model("churn")
        strict = replace(LOOPBACK, allow_private_ips=False)
        drain(make_worker(strict))
        assert rx.requests == []
    hooks = WebhookService(db, LOOPBACK)
    (hook,) = hooks.list_webhooks()
    (delivery,) = hooks.list_deliveries(hook.webhook_id)
    assert delivery.last_error is not None and "refused" in delivery.last_error


@contextmanager
def _answering(
    handler: Callable[[BaseHTTPRequestHandler], None],
) -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(self.path)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            handler(self)

        def do_GET(self) -> None:
            seen.append("GET " + self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


LOCAL = NetworkPolicy(
    allowed_schemes=frozenset({"http"}), allow_private_ips=True, read_timeout_s=0.5
)


def test_redirects_are_not_followed() -> None:
    def redirect(h: BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", "/elsewhere")
        h.send_header("Content-Length", "0")
        h.end_headers()

    with _answering(redirect) as (url, seen):
        outcome = post(url + "/hook", b"{}", {}, LOCAL)
    assert (outcome.ok, outcome.status, seen) == (False, 302, ["/hook"])


def test_responses_are_read_only_up_to_the_excerpt() -> None:
    def huge(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(50_000_000))
        h.end_headers()
        try:
            h.wfile.write(b"x" * 1_000_000)
        except OSError:
            pass

    with _answering(huge) as (url, _):
        outcome = post(url, b"{}", {}, LOCAL)
    assert outcome.ok and len(outcome.excerpt) == 1024


def test_a_slow_receiver_times_out() -> None:
    def slow(h: BaseHTTPRequestHandler) -> None:
        time.sleep(1.5)

    with _answering(slow) as (url, _):
        outcome = post(url, b"{}", {}, LOCAL)
    assert not outcome.ok and outcome.status is None and "timed out" in str(outcome.error)


def test_mlflow_env_names_are_aliases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOWED_SCHEMES", "https, http")
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS", "true")
    monkeypatch.setenv("MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY", "k")
    found = webhook_settings()
    assert found.allowed_schemes == {"http", "https"} and found.allow_private_ips
    assert found.secret_key == "k"
    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOWED_SCHEMES", "https")
    monkeypatch.setenv("MODELREG_WEBHOOK_ALLOW_PRIVATE_IPS", "false")
    found = webhook_settings()
    assert found.allowed_schemes == {"https"} and not found.allow_private_ips


def test_secrets_are_encrypted_at_rest_and_never_returned(db: Database) -> None:
    hooks = WebhookService(db, LOOPBACK, actor="alice")
    hook = hooks.create_webhook(
        "x",
        "https://example.com/h",
        ["alias.set"],
        kind="http",
        secret="s3cret-value",
        authorization="Bearer tok3n",
    )
    with db.read() as conn:
        row = conn.execute(webhooks_table.select()).one()
    assert "s3cret-value" not in str(row) and "tok3n" not in str(row)
    assert row.secret.startswith("fernet:")
    assert "s3cret" not in repr(hook) and hook.has_secret and hook.has_authorization
    target = hooks.target(row)
    assert target.secret == "s3cret-value" and "s3cret" not in repr(target)
