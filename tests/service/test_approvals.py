"""Approvals on every database (SQLite always; PostgreSQL and MariaDB with ``backend``).

* promotion policies enforced on the service's direct moves and on approvals;
* two approvals racing to complete one request: exactly one transition, and both
  recorded or the second refused cleanly;
* the cost of the gate: a move on a model without policies runs one extra statement,
  a primary-key lookup (statement counts; SQLite's query plan);
* integrity: a policy requiring it refuses a version whose registry copy changed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from modelreg.errors import NotFound, PermissionDenied
from modelreg.principal import Principal
from modelreg.service import RegistryService, policy_gate
from modelreg.service.approvals import ApprovalsService
from modelreg.service.artifact_locations import ArtifactLocations
from modelreg.service.snapshots import open_snapshotter
from modelreg.store.database import Database
from tests.conftest import FakeClock
from tests.store.test_query_counts import recorded


@pytest.fixture
def approvals(db: Database, clock: FakeClock) -> ApprovalsService:
    return ApprovalsService(db, actor="alice", clock=clock)


def _model(service: RegistryService, versions: int = 2) -> None:
    service.create_registered_model("m")
    for number in range(1, versions + 1):
        service.create_model_version("m", f"s3://bucket/m/{number}")


def _transitions(service: RegistryService, version: int) -> int:
    return sum(
        1
        for e in service.list_events()
        if e.type == "model_version.stage_transitioned" and e.version == version
    )


def test_policy_refuses_direct_moves_and_changes_nothing(
    service: RegistryService, approvals: ApprovalsService
) -> None:
    _model(service)
    approvals.set_promotion_policy("m", "Production", required_checks=["ci"])
    approvals.set_promotion_policy("m", "@champion", required_tags={"validation": "passed"})
    before = len(service.list_events())
    with pytest.raises(PermissionDenied, match="status check 'ci' must be success"):
        service.transition_model_version_stage("m", 1, "Production", True)
    with pytest.raises(PermissionDenied, match="tag 'validation' must be 'passed'"):
        service.set_registered_model_alias("m", "champion", 1)
    assert len(service.list_events()) == before
    assert service.get_model_version("m", 1).current_stage == "None"
    assert service.get_registered_model("m").aliases == {}


@pytest.mark.parametrize("required", [1, 2])
def test_concurrent_approvals_complete_a_request_exactly_once(
    db: Database, service: RegistryService, required: int
) -> None:
    _model(service)
    service.transition_model_version_stage("m", 1, "Production")
    boss = ApprovalsService(db, actor="alice")
    boss.set_promotion_policy("m", "Production", required_approvals=required)
    boss.create_transition_request("m", 2, "Production")
    barrier = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def approve(who: str) -> None:
        mine = ApprovalsService(db, actor=who)
        barrier.wait()
        try:
            outcomes[who] = mine.approve_transition_request("m", 2, "Production", True).status
        except NotFound as error:
            outcomes[who] = error

    threads = [threading.Thread(target=approve, args=(who,)) for who in ("bob", "carol")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert service.get_model_version("m", 2).current_stage == "Production"
    assert service.get_model_version("m", 1).current_stage == "Archived"
    assert _transitions(service, 2) == 1
    statuses = sorted(str(outcome) for outcome in outcomes.values())
    if required == 1:
        # The loser waited on the model's row lock, then found no open request.
        assert statuses == ["No open request to move m version 2 to stage Production", "approved"]
    else:
        # Both approvals are recorded; the second of them completed the request.
        assert statuses == ["approved", "open"]
    approved = [e for e in service.list_events() if e.type == "transition_request.approved"]
    assert len(approved) == required
    assert [e.payload["completed"] for e in approved] == [False] * (required - 1) + [True]


@pytest.mark.parametrize("policies", ["none at all", "on another target"])
def test_a_move_without_policies_costs_one_primary_key_lookup(
    service: RegistryService,
    approvals: ApprovalsService,
    monkeypatch: pytest.MonkeyPatch,
    policies: str,
) -> None:
    for name in ("a", "b"):  # two models in the same state: one moved gated, one not
        service.create_registered_model(name)
        service.create_model_version(name, f"s3://bucket/{name}/1")
        if policies == "on another target":
            approvals.set_promotion_policy(name, "Staging", required_approvals=0)

    def moves(name: str) -> tuple[int, list[str]]:
        with recorded(service.db) as log:
            service.transition_model_version_stage(name, 1, "Production", True)
            service.set_registered_model_alias(name, "champion", 1)
        return len(log.queries()), log.queries()

    gated, statements = moves("a")
    with monkeypatch.context() as patch:
        patch.setattr(policy_gate, "enforce_direct", lambda *args: None)
        ungated, _ = moves("b")
    assert gated - ungated == 2  # one lookup per move: the transition and the alias
    lookups = [s for s in statements if "promotion_policies" in s]
    assert len(lookups) == 2
    for lookup in lookups:
        assert "WHERE promotion_policies.model_id =" in lookup
        assert "AND promotion_policies.target =" in lookup
    if service.db.dialect == "sqlite":
        with service.db.read() as conn:
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + lookups[0].replace("?", "1", 1).replace("?", "'x'", 1)
            ).all()
        assert any("USING INDEX" in str(row[-1]) for row in plan), plan


def test_integrity_policy_refuses_a_tampered_version(
    db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    root = tmp_path / "store"
    root.mkdir()
    source = tmp_path / "model"
    source.mkdir()
    (source / "MLmodel").write_text("flavors: {}\n")
    (source / "model.pkl").write_bytes(b"weights")
    snapshotter = open_snapshotter(ArtifactLocations(str(root), allow_external=True), str(root))
    registry = RegistryService(db, actor="alice", clock=clock, snapshotter=snapshotter)
    approvals = ApprovalsService(db, actor="alice", clock=clock, snapshotter=snapshotter)
    registry.create_registered_model("m")
    copied = registry.create_model_version("m", str(source))
    external = registry.create_model_version("m", "s3://elsewhere/model")
    approvals.set_promotion_policy("m", "Production", require_integrity=True)
    assert registry.transition_model_version_stage("m", 1, "Production").current_stage == (
        "Production"
    )
    assert copied.storage_location is not None
    (root / copied.storage_location / "model.pkl").write_bytes(b"tampered")
    with pytest.raises(
        PermissionDenied, match=r"files must match their manifest \(changed: model.pkl\)"
    ):
        registry.transition_model_version_stage("m", 1, "Production")
    with pytest.raises(PermissionDenied, match="no registry copy to verify"):
        registry.transition_model_version_stage("m", external.version, "Production")


def test_every_refusal_path_on_each_database(db: Database, service: RegistryService) -> None:
    _model(service)
    alice, bob, carol = (ApprovalsService(db, actor=who) for who in ("alice", "bob", "carol"))
    lead = ApprovalsService(db, actor=Principal("dana", groups=frozenset({"leads"})))
    alice.set_promotion_policy(
        "m",
        "@champion",
        required_approvals=2,
        approvers=["carol", "group:leads", "bob"],
        four_eyes=True,
        required_tags={"validation": "passed"},
    )
    bob.create_alias_request("m", 1, "champion")
    eve = ApprovalsService(db, actor="eve")
    refusals = {
        "four-eyes: bob requested this move": lambda: bob.approve_alias_request("m", 1, "champion"),
        "four-eyes: alice created this version": lambda: alice.approve_alias_request(
            "m", 1, "champion"
        ),
        "eve is not an approver": lambda: eve.approve_alias_request("m", 1, "champion"),
        r"Only an approver \(carol, group:leads, bob\) or an admin may reject": lambda: (
            eve.reject_alias_request("m", 1, "champion")
        ),
    }
    before = len(service.list_events())
    for message, attempt in refusals.items():
        with pytest.raises(PermissionDenied, match=message):
            attempt()
    assert len(service.list_events()) == before  # a refusal records nothing
    carol.approve_alias_request("m", 1, "champion")
    with pytest.raises(PermissionDenied, match="carol has already approved this request"):
        carol.approve_alias_request("m", 1, "champion")
    with pytest.raises(PermissionDenied, match="would complete .* tag 'validation' must be"):
        lead.approve_alias_request("m", 1, "champion")
    (still_open,) = alice.list_alias_requests("m", 1)
    assert [a.approver for a in still_open.approvals] == ["carol"]
    service.set_model_version_tag("m", 1, "validation", "passed")
    assert lead.approve_alias_request("m", 1, "champion").status == "approved"
    assert service.get_model_version_by_alias("m", "champion").version == "1"
    with pytest.raises(PermissionDenied, match="1 approval|2 approval"):
        service.set_registered_model_alias("m", "champion", 2)


def test_admins_may_edit_and_withdraw_for_others(db: Database, service: RegistryService) -> None:
    _model(service)
    alice = ApprovalsService(db, actor="alice")
    root = ApprovalsService(db, actor=Principal("root", is_admin=True))
    comment = alice.create_comment("m", 1, "mine")
    assert root.update_comment(comment.id, "moderated").comment == "moderated"
    alice.create_transition_request("m", 1, "Staging")
    assert root.delete_transition_request("m", 1, "Staging", "alice").status == "cancelled"
    root.delete_comment(comment.id)
    assert alice.list_comments("m", 1) == []


def test_deleting_a_version_deletes_its_approval_rows(
    db: Database, service: RegistryService
) -> None:
    _model(service)
    alice = ApprovalsService(db, actor="alice")
    alice.create_comment("m", 2, "x")
    alice.create_transition_request("m", 2, "Staging")
    alice.approve_transition_request("m", 2, "Staging")
    alice.set_status_check("m", 2, "ci", "success")
    alice.set_promotion_policy("m", "Production", required_approvals=1)
    service.delete_model_version("m", 2)
    assert _rows(db) == {
        "comments": 0,
        "approval_requests": 0,
        "approvals": 0,
        "status_checks": 0,
        "promotion_policies": 1,
    }
    service.delete_registered_model("m")
    assert _rows(db)["promotion_policies"] == 0


def _rows(db: Database) -> dict[str, int]:
    tables = ("comments", "approval_requests", "approvals", "status_checks", "promotion_policies")
    with db.read() as conn:
        return {t: conn.exec_driver_sql(f"SELECT COUNT(*) FROM {t}").scalar_one() for t in tables}
