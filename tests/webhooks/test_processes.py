"""Real ``modelreg server`` processes: a write acknowledged just before ``kill -9`` is
delivered after the restart, and two servers on one PostgreSQL deliver each attempt
exactly once (the receiver counts)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from modelreg.store.database import Database
from tests.backends import enabled_backends
from tests.server.live import running_server
from tests.webhooks.receiver import receiver

pytestmark = pytest.mark.slow

LOOPBACK_ENV = {
    "MODELREG_WEBHOOK_ALLOWED_SCHEMES": "http",
    "MODELREG_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
    "MODELREG_SECRET_KEY": "process test key",
}


def _hook(api: str, url: str) -> str:
    found = httpx.post(
        f"{api}/modelreg/webhooks",
        json={
            "name": "ci",
            "url": url,
            "events": ["registered_model.created"],
            "kind": "http",
            "secret": "s3cret",
        },
    )
    found.raise_for_status()
    return str(found.json()["webhook"]["webhook_id"])


def test_a_write_acknowledged_before_kill_9_is_delivered_after_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in LOOPBACK_ENV.items():
        monkeypatch.setenv(key, value)
    # The worker looks for work at start-up, then not for a minute: the write below is
    # acknowledged and the server killed before any worker has seen it.
    monkeypatch.setenv("MODELREG_WEBHOOK_POLL_INTERVAL", "60")
    with receiver() as rx:
        with running_server(tmp_path, "--workers", "1") as server:
            api = f"{server.url}/api/2.0"
            _hook(api, rx.url)
            created = httpx.post(f"{api}/mlflow/registered-models/create", json={"name": "churn"})
            assert created.status_code == 200
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
        assert rx.requests == []
        monkeypatch.setenv("MODELREG_WEBHOOK_POLL_INTERVAL", "0.05")
        with running_server(tmp_path, "--workers", "1", log_name="restarted.log"):
            (got,) = rx.wait_for(1)
            time.sleep(0.5)
            assert len(rx.requests) == 1
    assert got.json()["event"]["model_name"] == "churn"


@pytest.mark.backend
@pytest.mark.skipif("postgresql" not in enabled_backends(), reason="needs PostgreSQL")
def test_two_servers_on_postgresql_deliver_each_attempt_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server_databases: dict[str, str]
) -> None:
    from tests.conftest import _truncate

    uri = server_databases["postgresql"]
    _truncate(uri)
    db = Database(uri)
    try:
        from modelreg.events import WebhookDeleted
        from modelreg.service import event_log
        from modelreg.store.webhooks import WebhookStore

        with db.write() as conn:  # the cursor at the newest event, as after migration
            event_log.record(conn, "test", 0, WebhookDeleted(webhook_id="-", name="align"))
            store = WebhookStore(conn)
            store.move_cursor(store.events_after(0, 1_000_000)[-1].id)
    finally:
        db.dispose()
    for key, value in LOOPBACK_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MODELREG_WEBHOOK_POLL_INTERVAL", "0.02")
    count = 60
    with receiver() as rx:
        extra = ("--workers", "1", "--backend-store-uri", uri)
        with (
            running_server(tmp_path, *extra, log_name="a.log") as a,
            running_server(tmp_path, *extra, log_name="b.log") as b,
        ):
            _hook(f"{a.url}/api/2.0", rx.url)
            with httpx.Client() as client:
                for i in range(count):
                    server = (a, b)[i % 2]
                    client.post(
                        f"{server.url}/api/2.0/mlflow/registered-models/create",
                        json={"name": f"m{i}"},
                    ).raise_for_status()
            sent = rx.wait_for(count, timeout=60)
            time.sleep(1.0)  # anything sent twice would arrive by now
            sent = list(rx.requests)
    ids = [r.headers["X-MLflow-Delivery-Id"] for r in sent]
    assert len(ids) == count and len(set(ids)) == count
    assert sorted(r.json()["event"]["model_name"] for r in sent) == sorted(
        f"m{i}" for i in range(count)
    )


def test_modelreg_worker_delivers_and_stops_gracefully_on_sigterm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    from modelreg.service import RegistryService
    from modelreg.service.webhooks import WebhookService
    from tests.webhooks.conftest import LOOPBACK

    uri = f"sqlite:///{tmp_path / 'registry.db'}"
    env = {**os.environ, **LOOPBACK_ENV, "MODELREG_WEBHOOK_POLL_INTERVAL": "0.05"}
    log = tmp_path / "worker.log"
    with receiver() as rx, log.open("wb") as sink:
        db = Database(uri)
        db.ensure_schema()
        WebhookService(db, LOOPBACK, actor="alice").create_webhook(
            "ci", rx.url, ["registered_model.created"], kind="http"
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "modelreg.cli", "worker", "--backend-store-uri", uri],
            stdout=sink,
            stderr=sink,
            env=env,
        )
        try:
            RegistryService(db, actor="alice").create_registered_model("churn")
            (got,) = rx.wait_for(1, timeout=60)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0, log.read_text()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            db.dispose()
    assert got.json()["event"]["model_name"] == "churn"
    assert "delivering webhooks" in log.read_text()
