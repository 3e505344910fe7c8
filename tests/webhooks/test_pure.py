"""The pure parts of webhooks: names, matching, payloads, signatures, backoff, gaps,
address rules and secret sealing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random

import pytest

from modelreg.entities import Event
from modelreg.errors import InvalidArgument
from modelreg.events import CATALOGUE
from modelreg.webhooks import names, payloads
from modelreg.webhooks.addresses import (
    AddressRefused,
    NetworkPolicy,
    check_url,
    checked_addresses,
    is_refused,
)
from modelreg.webhooks.backoff import Backoff
from modelreg.webhooks.crypto import SecretBox
from modelreg.webhooks.gaps import GapTracker
from modelreg.webhooks.matching import Subscription, match
from modelreg.webhooks.signatures import databricks_signature, mlflow_signature


def _event(type_: str, **payload: object) -> Event:
    payload.setdefault("name", "churn")
    version = payload.get("version")
    return Event(
        id=7,
        timestamp=1_700_000_000_000,
        actor="alice",
        type=type_,
        model_name="churn",
        version=version if isinstance(version, int) else None,
        payload=payload,
    )


def test_every_mapped_name_is_a_known_type() -> None:
    known = names.known_types()
    assert set(names.MLFLOW_TO_TYPE.values()) <= known
    assert {e.type for e in names.DATABRICKS_EVENTS.values()} <= known
    # The catalogue is the one list: every type a subscription may name is declared there.
    assert known == set(CATALOGUE) and "transition_request.created" in known
    assert names.mlflow_entity_action("alias.set") == ("model_version_alias", "created")
    assert names.mlflow_entity_action("model_version.stage_transitioned") == (
        "model_version",
        "stage_transitioned",
    )


def test_match_filters_type_model_pattern_stage_alias_and_age() -> None:
    sub = Subscription(
        "w",
        "http",
        frozenset({"model_version.stage_transitioned", "alias.set", "model_version.created"}),
        name_pattern="ch*",
        stages=frozenset({"production"}),
        aliases=frozenset({"champion"}),
        since_ms=100,
    )
    moved = {"to_stage": "Production", "from_stage": "Staging"}
    assert match(sub, "model_version.stage_transitioned", "churn", moved) == (
        "model_version.stage_transitioned"
    )
    assert match(sub, "model_version.stage_transitioned", "churn", {"to_stage": "Staging"}) is None
    assert match(sub, "model_version.stage_transitioned", "fraud", moved) is None
    assert match(sub, "alias.set", "churn", {"alias": "champion"}) == "alias.set"
    assert match(sub, "alias.set", "churn", {"alias": "shadow"}) is None
    # Events without a stage or alias pass those filters.
    assert match(sub, "model_version.created", "churn", {}) == "model_version.created"
    assert match(sub, "model_version.deleted", "churn", {}) is None
    assert match(sub, "model_version.created", "churn", {}, timestamp=99) is None


def test_databricks_match_names_the_event_that_matched() -> None:
    sub = Subscription(
        "w",
        "databricks",
        frozenset({"model_version.stage_transitioned"}),
        model_name="churn",
        databricks_events=("MODEL_VERSION_TRANSITIONED_TO_PRODUCTION",),
    )
    prod = {"to_stage": "Production"}
    assert match(sub, "model_version.stage_transitioned", "churn", prod) == (
        "MODEL_VERSION_TRANSITIONED_TO_PRODUCTION"
    )
    assert match(sub, "model_version.stage_transitioned", "churn", {"to_stage": "Staging"}) is None
    assert match(sub, "model_version.stage_transitioned", "other", prod) is None


def test_mlflow_body_has_mlflows_shapes() -> None:
    body = payloads.mlflow_body(
        _event(
            "model_version.created",
            version=3,
            source="s3://b/m",
            run_id=None,
            model_id=None,
            tags={},
            description="",
        )
    )
    assert (body["entity"], body["action"]) == ("model_version", "created")
    assert body["data"] == {
        "name": "churn",
        "version": "3",
        "source": "s3://b/m",
        "run_id": None,
        "tags": {},
        "description": None,
    }
    assert body["timestamp"].startswith("2023-11-14T22:13:20")
    alias = payloads.mlflow_body(_event("alias.set", version=2, alias="a", previous_version=None))
    assert (alias["entity"], alias["action"]) == ("model_version_alias", "created")
    assert alias["data"] == {"name": "churn", "alias": "a", "version": "2"}


def test_databricks_body() -> None:
    moved = {
        "version": 8,
        "from_stage": "None",
        "to_stage": "Production",
        "archived_versions": [],
        "comment": "",
    }
    event = _event("model_version.stage_transitioned", **moved)
    body = payloads.databricks_body(event, "hook1", "MODEL_VERSION_TRANSITIONED_STAGE")
    assert body == {
        "event": "MODEL_VERSION_TRANSITIONED_STAGE",
        "webhook_id": "hook1",
        "event_timestamp": 1_700_000_000_000,
        "model_name": "churn",
        "version": "8",
        "from_stage": "None",
        "to_stage": "Production",
    }
    # A comment given with the move (Databricks' transition-stage) is Databricks' text.
    commented = _event("model_version.stage_transitioned", **{**moved, "comment": "canary"})
    body = payloads.databricks_body(commented, "hook1", "MODEL_VERSION_TRANSITIONED_STAGE")
    assert body["text"] == "canary"


def test_templates_fill_variables_and_nest_the_payload() -> None:
    event = _event(
        "model_version.stage_transitioned",
        version=8,
        from_stage="Staging",
        to_stage="Production",
        archived_versions=[],
    )
    template = {
        "event_type": "deploy-${model_name}",
        "client_payload": {"version": "${version}", "stage": "${to_stage}", "all": "${payload}"},
        "ref": "main",
        "url": "${url}",
    }
    body = payloads.render_template(template, event, "https://reg.example.com/")
    assert body["event_type"] == "deploy-churn"
    assert body["client_payload"]["version"] == "8"
    assert body["client_payload"]["stage"] == "Production"
    assert body["client_payload"]["all"]["from_stage"] == "Staging"
    assert body["url"] == "https://reg.example.com/models/churn/versions/8"


def test_slack_message_is_readable_and_links_to_the_version() -> None:
    event = _event(
        "model_version.stage_transitioned",
        version=8,
        from_stage="Staging",
        to_stage="Production",
        archived_versions=[],
    )
    body = payloads.slack_body(event, "https://reg.example.com")
    assert body["text"].startswith("*churn* v8 moved from Staging to Production by alice")
    assert "<https://reg.example.com/models/churn/versions/8|open churn v8>" in body["text"]
    fields = [f["text"] for f in body["blocks"][1]["fields"]]
    assert "*To:* Production" in fields and "*By:* alice" in fields


def test_email_subject_never_breaks_a_header_line() -> None:
    event = _event(
        "model_version.created",
        version=1,
        source="x",
        run_id=None,
        model_id=None,
        tags={},
        description="",
    )
    subject, body = payloads.email_message(event, "New: ${model_name}\r\nBcc: x@y", None, None)
    assert "\n" not in subject and "\r" not in subject
    assert "New version churn v1 registered by alice" in body


def test_mlflow_signature_verifies_with_mlflows_recipe() -> None:
    body = json.dumps({"a": 1})
    sig = mlflow_signature("s3cret", "d-1", "1700000000", body)
    expected = base64.b64encode(
        hmac.new(b"s3cret", f"d-1.1700000000.{body}".encode(), hashlib.sha256).digest()
    ).decode()
    assert sig == f"v1,{expected}"


def test_databricks_signature_is_hex_hmac_of_the_body() -> None:
    body = b'{"event": "MODEL_VERSION_CREATED"}'
    assert databricks_signature("k", body) == hmac.new(b"k", body, hashlib.sha256).hexdigest()


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    backoff = Backoff(base_ms=1000, max_ms=8000, max_attempts=3)
    rng = random.Random(1)
    first = [backoff.delay_ms(1, rng) for _ in range(50)]
    assert all(500 <= d <= 1000 for d in first) and len(set(first)) > 1
    assert all(4000 <= backoff.delay_ms(10, rng) <= 8000 for _ in range(20))
    assert not backoff.exhausted(2) and backoff.exhausted(3)


def test_gap_tracker_waits_for_holes_then_skips_them() -> None:
    gaps = GapTracker(grace_ms=1000)
    assert gaps.safe_end(0, [1, 2, 3], now_ms=0) == 3
    assert gaps.safe_end(3, [4, 6, 7], now_ms=10) == 4  # 5 may still commit
    assert gaps.safe_end(4, [6, 7], now_ms=500) == 4
    assert gaps.safe_end(4, [5, 6, 7], now_ms=600) == 7  # it did
    assert gaps.safe_end(7, [9], now_ms=700) == 7
    assert gaps.safe_end(7, [9], now_ms=1701) == 9  # rolled back: skipped after the grace
    # A hole before an event older than the grace cannot fill any more.
    assert GapTracker(1000).safe_end(0, [5, 6], now_ms=5000, timestamps=[3000, 3001]) == 6
    assert GapTracker(1000).safe_end(0, [5, 6], now_ms=5000, timestamps=[4500, 4501]) == 0


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "100.64.0.1",
        "fc00::1",
    ],
)
def test_private_addresses_are_refused(address: str) -> None:
    assert is_refused(address)


def test_public_addresses_pass() -> None:
    assert not is_refused("93.184.216.34") and not is_refused("2606:2800:220:1::1")


def test_url_rules() -> None:
    policy = NetworkPolicy()
    with pytest.raises(InvalidArgument, match="scheme 'http' is not allowed; allowed: https"):
        check_url("http://example.com/hook", policy)
    with pytest.raises(InvalidArgument, match="private, loopback"):
        check_url("https://127.0.0.1/hook", policy)
    with pytest.raises(InvalidArgument, match="private, loopback"):
        check_url("https://localhost/hook", policy)
    assert check_url("https://example.com/hook", policy).hostname == "example.com"


def test_every_resolved_address_is_checked() -> None:
    def rebinding(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "127.0.0.1"]

    policy = NetworkPolicy(resolver=rebinding)
    with pytest.raises(AddressRefused, match="127.0.0.1"):
        checked_addresses("evil.example", 443, policy)
    allowed = NetworkPolicy(resolver=rebinding, allow_private_ips=True)
    assert checked_addresses("evil.example", 443, allowed) == ["93.184.216.34", "127.0.0.1"]


def test_secrets_are_sealed_with_the_key() -> None:
    box = SecretBox("a passphrase", shared_database=True)
    sealed = box.seal("s3cret")
    assert sealed is not None and sealed.startswith("fernet:") and "s3cret" not in sealed
    assert box.open(sealed) == "s3cret"
    with pytest.raises(Exception, match="another key"):
        SecretBox("other", shared_database=True).open(sealed)


def test_no_key_refuses_secrets_on_a_shared_database_only() -> None:
    with pytest.raises(InvalidArgument, match="MODELREG_SECRET_KEY"):
        SecretBox(None, shared_database=True).seal("s3cret")
    local = SecretBox(None, shared_database=False)
    assert local.open(local.seal("s3cret")) == "s3cret"
    assert SecretBox(None, shared_database=True).seal(None) is None
