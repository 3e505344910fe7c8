"""``modelreg webhooks …`` embedded and against a server; ``modelreg worker --once``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from modelreg.cli import main
from modelreg.service import RegistryService
from modelreg.store.database import Database
from tests.webhooks.receiver import receiver

LOOPBACK_ENV = {
    "MODELREG_WEBHOOK_ALLOWED_SCHEMES": "http,https",
    "MODELREG_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
}


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(autouse=True)
def _loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in LOOPBACK_ENV.items():
        monkeypatch.setenv(key, value)


def test_embedded_create_list_test_worker_deliveries_redeliver(sqlite_uri: str) -> None:
    with receiver() as rx:
        created = json.loads(
            _run(
                "webhooks",
                "create",
                "ci",
                rx.url,
                "--event",
                "registered_model.created",
                "--secret",
                "s3cret",
                "--name-pattern",
                "ch*",
                "--tracking-uri",
                sqlite_uri,
            )
        )["webhook"]
        assert created["has_secret"] and "secret" not in created
        assert created["filters"] == {"name_pattern": "ch*"}
        listed = _run("webhooks", "list", "--tracking-uri", sqlite_uri)
        assert created["webhook_id"] in listed and "registered_model.created" in listed
        tested = json.loads(
            _run("webhooks", "test", created["webhook_id"], "--tracking-uri", sqlite_uri)
        )
        assert tested["result"]["success"] is True
        db = Database(sqlite_uri)
        RegistryService(db, actor="alice").create_registered_model("churn")
        db.dispose()
        _run("worker", "--once", "--backend-store-uri", sqlite_uri)
        rx.wait_for(2)
        shown = json.loads(
            _run(
                "webhooks",
                "deliveries",
                created["webhook_id"],
                "--json",
                "--tracking-uri",
                sqlite_uri,
            )
        )["deliveries"]
        assert [d["status"] for d in shown] == ["SUCCEEDED"]
        again = json.loads(
            _run("webhooks", "redeliver", shown[0]["delivery_id"], "--tracking-uri", sqlite_uri)
        )
        assert again["delivery"]["status"] == "PENDING"
        _run("worker", "--once", "--backend-store-uri", sqlite_uri)
        sent = rx.wait_for(3)
    assert sent[1].headers["X-MLflow-Delivery-Id"] == sent[2].headers["X-MLflow-Delivery-Id"]


def test_against_a_server(live_webhook_server: str) -> None:
    with receiver() as rx:
        created = json.loads(
            _run(
                "webhooks",
                "create",
                "slack",
                rx.url,
                "--kind",
                "slack",
                "--event",
                "model_version.stage_transitioned",
                "--stage",
                "Production",
                "--tracking-uri",
                live_webhook_server,
            )
        )["webhook"]
        assert created["kind"] == "slack" and created["filters"] == {"stages": ["Production"]}
        assert created["webhook_id"] in _run(
            "webhooks", "list", "--tracking-uri", live_webhook_server
        )
        out = json.loads(
            _run(
                "webhooks",
                "redeliver",
                "--dead",
                created["webhook_id"],
                "--tracking-uri",
                live_webhook_server,
            )
        )
        assert out == {"requeued": 0}
    bad = CliRunner().invoke(
        main,
        [
            "webhooks",
            "create",
            "x",
            "https://example.com",
            "--event",
            "nope",
            "--tracking-uri",
            live_webhook_server,
        ],
    )
    # Rejected arguments exit 2 and a missing webhook 3, as in the other groups.
    assert bad.exit_code == 2 and "Unknown event type" in bad.output
    for verb in _MISSING_VERBS:
        missing = CliRunner().invoke(
            main, ["webhooks", *verb, "--tracking-uri", live_webhook_server]
        )
        assert missing.exit_code == 3, (verb, missing.output)
        assert "not found" in missing.output


_MISSING_VERBS = [
    ["get", "nope"],
    ["update", "nope", "--status", "DISABLED"],
    ["delete", "nope"],
    ["test", "nope"],
    ["deliveries", "nope"],
]


def test_embedded_get_update_delete_and_exit_codes(sqlite_uri: str) -> None:
    where = ["--tracking-uri", sqlite_uri]
    created = json.loads(
        _run("webhooks", "create", "ci", "https://example.com/hook", "--event",
             "registered_model.created", *where)
    )["webhook"]  # fmt: skip
    hook_id = created["webhook_id"]
    assert json.loads(_run("webhooks", "get", hook_id, *where))["webhook"] == created

    updated = json.loads(
        _run("webhooks", "update", hook_id, "--name", "ci-2", "--status", "DISABLED",
             "--event", "model_version.created", "--event", "alias.set", *where)
    )["webhook"]  # fmt: skip
    assert (updated["name"], updated["status"]) == ("ci-2", "DISABLED")
    assert updated["events"] == ["model_version.created", "alias.set"]
    assert updated["url"] == created["url"]  # what was not given stays
    nothing = CliRunner().invoke(main, ["webhooks", "update", hook_id, *where])
    assert nothing.exit_code == 2 and "Nothing to change" in nothing.output

    assert _run("webhooks", "delete", hook_id, *where).strip() == f"Deleted webhook {hook_id}."
    for verb in _MISSING_VERBS + [["get", hook_id], ["delete", hook_id]]:
        missing = CliRunner().invoke(main, ["webhooks", *verb, *where])
        assert missing.exit_code == 3, (verb, missing.output)
        assert missing.output.startswith("Error: ") and "not found" in missing.output
        assert "Traceback" not in missing.output
