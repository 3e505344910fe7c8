"""The approvals contract on both transports (fixture ``team``: embedded and HTTP).

Comments, transition and alias requests, promotion policies, status checks and
``validate_and_promote``; every refusal path of the policies (direct moves, approvals
that would complete with a requirement unmet, four-eyes, non-approvers, twice by the
same person), each leaving nothing changed.
"""

from __future__ import annotations

from typing import Any

import pytest

from modelreg.approval_entities import PromotionResult
from modelreg.client.approvals_client import ApprovalMethods
from modelreg.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from tests.contract.conftest import ACTOR, Member, Team

S3 = "s3://bucket/models/churn"


def _model(alice: Member, name: str = "m", versions: int = 2) -> None:
    alice.registry.create_registered_model(name)
    for i in range(1, versions + 1):
        alice.registry.create_model_version(name, f"{S3}/{i}")


def _event_types(member: Member) -> list[str]:
    registry: Any = member.registry
    if hasattr(registry, "list_events"):  # embedded only: the service's raw event log
        return [e.type for e in registry.list_events()]
    return []


# ------------------------------------------------------------------ comments
def test_comments_lifecycle_and_author_rules(team: Team) -> None:
    alice, bob = team(ACTOR), team("bob")
    _model(alice)
    first = alice.approvals.create_comment("m", 1, "Looks **good** <script>x</script>")
    second = bob.approvals.create_comment("m", "1", "Agreed")
    assert (first.user_id, first.comment, first.version) == (
        ACTOR,
        "Looks **good** <script>x</script>",  # stored as written; rendering escapes
        "1",
    )
    assert [c.id for c in alice.approvals.list_comments("m", 1)] == [first.id, second.id]
    with pytest.raises(PermissionDenied, match=r"Only the author of comment .* \(alice\)"):
        bob.approvals.update_comment(first.id, "hijacked")
    with pytest.raises(PermissionDenied, match="Only the author"):
        bob.approvals.delete_comment(first.id)
    edited = alice.approvals.update_comment(first.id, "Edited")
    assert edited.comment == "Edited" and edited.last_updated_timestamp >= first.creation_timestamp
    alice.approvals.delete_comment(first.id)
    assert [c.comment for c in bob.approvals.list_comments("m", 1)] == ["Agreed"]
    with pytest.raises(NotFound, match=f"Comment with id={first.id} not found"):
        alice.approvals.delete_comment(first.id)
    with pytest.raises(InvalidArgument, match="cannot be empty"):
        alice.approvals.create_comment("m", 1, "  ")
    with pytest.raises(NotFound, match=r"Model Version \(name=m, version=9\) not found"):
        alice.approvals.create_comment("m", 9, "x")
    if _event_types(alice):
        assert _event_types(alice)[-4:] == [
            "comment.created",
            "comment.created",
            "comment.updated",
            "comment.deleted",
        ]


# ---------------------------------------------------------- transition requests
def test_transition_request_approve_executes_with_archive(team: Team) -> None:
    alice, bob = team(ACTOR), team("bob")
    _model(alice)
    alice.registry.transition_model_version_stage("m", 1, "Production")
    request = alice.approvals.create_transition_request("m", 2, "production", "ship it")
    assert (request.target, request.status, request.creator, request.comment) == (
        "Production",
        "open",
        ACTOR,
        "ship it",
    )
    assert request.from_stage == "None"
    assert [r.id for r in bob.approvals.list_transition_requests("m", 2)] == [request.id]
    with pytest.raises(AlreadyExists, match="already has an open request"):
        alice.approvals.create_transition_request("m", 2, "Production")
    approved = bob.approvals.approve_transition_request("m", 2, "Production", True, "ok")
    assert approved.status == "approved" and approved.resolved_by == "bob"
    assert [a.approver for a in approved.approvals] == ["bob"]
    assert alice.registry.get_model_version("m", 2).current_stage == "Production"
    assert alice.registry.get_model_version("m", 1).current_stage == "Archived"
    assert alice.approvals.list_transition_requests("m", 2) == []
    with pytest.raises(NotFound, match="No open request to move m version 2 to stage Production"):
        bob.approvals.approve_transition_request("m", 2, "Production")
    if _event_types(alice):
        assert _event_types(alice)[-3:] == [
            "transition_request.created",
            "transition_request.approved",
            "model_version.stage_transitioned",
        ]


def test_transition_request_reject_and_delete(team: Team) -> None:
    alice, bob = team(ACTOR), team("bob")
    _model(alice)
    alice.approvals.create_transition_request("m", 1, "Staging")
    rejected = bob.approvals.reject_transition_request("m", 1, "Staging", "not yet")
    assert (rejected.status, rejected.resolved_by, rejected.resolution_comment) == (
        "rejected",
        "bob",
        "not yet",
    )
    assert alice.registry.get_model_version("m", 1).current_stage == "None"
    alice.approvals.create_transition_request("m", 1, "Staging")
    with pytest.raises(PermissionDenied, match="Only alice .* may withdraw it"):
        bob.approvals.delete_transition_request("m", 1, "Staging", ACTOR)
    withdrawn = alice.approvals.delete_transition_request("m", 1, "Staging", ACTOR, "oops")
    assert withdrawn.status == "cancelled"
    with pytest.raises(NotFound, match="No open request by alice"):
        alice.approvals.delete_transition_request("m", 1, "Staging", ACTOR)
    assert alice.approvals.list_transition_requests("m", 1) == []
    with pytest.raises(InvalidArgument, match="Invalid Model Version stage"):
        alice.approvals.create_transition_request("m", 1, "Prod")


# -------------------------------------------------------------- alias requests
def test_transition_stage_records_its_comment_under_the_policies(team: Team) -> None:
    # Databricks' transition-stage: MLflow's direct move, with a comment in its event.
    alice = team(ACTOR)
    _model(alice)
    moved = alice.approvals.transition_stage("m", 1, "production", False, "Hotfix: **v1**")
    assert (moved.version, moved.current_stage) == ("1", "Production")
    alice.approvals.transition_stage("m", 2, "Production", archive_existing_versions=True)
    assert alice.registry.get_model_version("m", 1).current_stage == "Archived"
    moves = alice.history.search_events("m", type="model_version.stage_transitioned")
    assert [(e.version, e.payload["comment"], e.payload["archived_versions"]) for e in moves] == [
        (1, "Hotfix: **v1**", []),
        (2, "", [1]),
    ]
    alice.approvals.set_promotion_policy("m", "Staging", required_checks=["ci"])
    with pytest.raises(PermissionDenied, match="status check 'ci' must be success"):
        alice.approvals.transition_stage("m", 1, "Staging", False, "please")
    with pytest.raises(InvalidArgument, match="at most 65536"):
        alice.approvals.transition_stage("m", 1, "Production", False, "x" * 65_537)
    with pytest.raises(NotFound):
        alice.approvals.transition_stage("m", 9, "Production", False, "x")
    assert alice.registry.get_model_version("m", 1).current_stage == "Archived"
    assert len(alice.history.search_events("m", type="model_version.stage_transitioned")) == 2


def test_alias_request_lifecycle(team: Team) -> None:
    alice, bob = team(ACTOR), team("bob")
    _model(alice)
    request = alice.approvals.create_alias_request("m", 2, "champion", "new best")
    assert (request.kind, request.target) == ("alias", "champion")
    assert [r.id for r in bob.approvals.list_alias_requests("m", 2)] == [request.id]
    assert bob.approvals.approve_alias_request("m", 2, "champion").status == "approved"
    assert alice.registry.get_model_version_by_alias("m", "champion").version == "2"
    alice.approvals.create_alias_request("m", 1, "champion")
    assert bob.approvals.reject_alias_request("m", 1, "champion").status == "rejected"
    alice.approvals.create_alias_request("m", 1, "champion")
    assert alice.approvals.delete_alias_request("m", 1, "champion", ACTOR).status == "cancelled"
    assert alice.registry.get_model_version_by_alias("m", "champion").version == "2"
    with pytest.raises(InvalidArgument, match="Invalid alias name"):
        alice.approvals.create_alias_request("m", 1, "bad alias")


# ------------------------------------------------------------------- policies
def test_policy_crud(team: Team) -> None:
    alice = team(ACTOR)
    _model(alice)
    policy = alice.approvals.set_promotion_policy(
        "m",
        "production",
        required_approvals=2,
        approvers=["bob", "group:ml-leads"],
        four_eyes=True,
        required_tags={"validation": "passed"},
        required_checks=["ci"],
        require_integrity=False,
    )
    assert (policy.target, policy.required_approvals, policy.updated_by) == (
        "Production",
        2,
        ACTOR,
    )
    assert alice.approvals.get_promotion_policy("m", "Production") == policy
    alias_policy = alice.approvals.set_promotion_policy("m", "@champion", required_approvals=1)
    assert [p.target for p in alice.approvals.list_promotion_policies("m")] == [
        "@champion",
        "Production",
    ]
    alice.approvals.delete_promotion_policy("m", "@champion")
    assert alice.approvals.list_promotion_policies("m") == [policy]
    with pytest.raises(NotFound, match="No promotion policy for @champion"):
        alice.approvals.get_promotion_policy("m", alias_policy.target)
    with pytest.raises(NotFound, match="No promotion policy for @champion"):
        alice.approvals.delete_promotion_policy("m", "@champion")
    with pytest.raises(InvalidArgument, match="required_approvals must be between 0 and 100"):
        alice.approvals.set_promotion_policy("m", "Staging", required_approvals=-1)
    with pytest.raises(InvalidArgument, match="names no group"):
        alice.approvals.set_promotion_policy("m", "Staging", approvers=["group:"])
    with pytest.raises(InvalidArgument, match="Invalid Model Version stage"):
        alice.approvals.set_promotion_policy("m", "Prod")
    with pytest.raises(NotFound, match="Registered Model with name=nope not found"):
        alice.approvals.set_promotion_policy("nope", "Production")


def test_direct_moves_into_protected_targets_are_refused_listing_everything(team: Team) -> None:
    alice = team(ACTOR)
    _model(alice)
    alice.approvals.set_promotion_policy(
        "m",
        "Production",
        required_approvals=1,
        required_tags={"validation": "passed"},
        required_checks=["ci", "bias"],
    )
    alice.approvals.set_status_check("m", 1, "bias", "failure")
    with pytest.raises(PermissionDenied) as refused:
        alice.registry.transition_model_version_stage("m", 1, "Production", True)
    message = str(refused.value)
    for part in (
        "Moving m version 1 to stage Production is refused by its promotion policy",
        "1 approval(s) required, 0 given",
        "tag 'validation' must be 'passed' (missing)",
        "status check 'ci' must be success (missing)",
        "status check 'bias' must be success (failure)",
    ):
        assert part in message
    assert alice.registry.get_model_version("m", 1).current_stage == "None"
    # Staging is not protected: unchanged behaviour.
    assert alice.registry.transition_model_version_stage("m", 1, "Staging").current_stage == (
        "Staging"
    )
    alice.approvals.set_promotion_policy("m", "@champion", required_checks=["ci"])
    with pytest.raises(PermissionDenied, match="to alias 'champion' is refused"):
        alice.registry.set_registered_model_alias("m", "champion", 1)
    alice.approvals.set_status_check("m", 1, "ci", "success")
    alice.registry.set_registered_model_alias("m", "champion", 1)  # requirements now met
    assert alice.registry.get_model_version_by_alias("m", "champion").version == "1"


def test_approval_refusals_record_nothing(team: Team) -> None:
    alice, bob, carol, dave = team(ACTOR), team("bob"), team("carol"), team("dave")
    _model(alice)
    alice.approvals.set_promotion_policy(
        "m",
        "Production",
        required_approvals=2,
        approvers=["alice", "bob", "carol"],
        four_eyes=True,
        required_checks=["ci"],
    )
    bob.approvals.create_transition_request("m", 1, "Production")
    with pytest.raises(PermissionDenied, match="four-eyes: bob requested this move"):
        bob.approvals.approve_transition_request("m", 1, "Production")
    with pytest.raises(PermissionDenied, match="four-eyes: alice created this version"):
        alice.approvals.approve_transition_request("m", 1, "Production")
    with pytest.raises(PermissionDenied, match="dave is not an approver for Production of m"):
        dave.approvals.approve_transition_request("m", 1, "Production")
    first = carol.approvals.approve_transition_request("m", 1, "Production")
    assert first.status == "open" and [a.approver for a in first.approvals] == ["carol"]
    with pytest.raises(PermissionDenied, match="carol has already approved this request"):
        carol.approvals.approve_transition_request("m", 1, "Production")
    # A second approver exists only through the request's creator or the version's
    # creator, both excluded by four-eyes: relax the approver list to add one.
    alice.approvals.set_promotion_policy(
        "m",
        "Production",
        required_approvals=2,
        approvers=["carol", "group:leads"],
        four_eyes=True,
        required_checks=["ci"],
    )
    erin = team("erin")
    with pytest.raises(PermissionDenied, match="erin is not an approver"):
        erin.approvals.approve_transition_request("m", 1, "Production")
    alice.approvals.set_promotion_policy(
        "m", "Production", required_approvals=2, approvers=["carol", "erin"], required_checks=["ci"]
    )
    with pytest.raises(PermissionDenied) as refused:
        erin.approvals.approve_transition_request("m", 1, "Production")
    assert "would complete the request" in str(refused.value)
    assert "status check 'ci' must be success (missing)" in str(refused.value)
    (still_open,) = alice.approvals.list_transition_requests("m", 1)
    assert [a.approver for a in still_open.approvals] == ["carol"]  # nothing recorded
    alice.approvals.set_status_check("m", 1, "ci", "success")
    done = erin.approvals.approve_transition_request("m", 1, "Production", True)
    assert done.status == "approved"
    assert [a.approver for a in done.approvals] == ["carol", "erin"]
    assert alice.registry.get_model_version("m", 1).current_stage == "Production"


def test_reject_needs_an_approver_when_the_policy_names_them(team: Team) -> None:
    alice, bob = team(ACTOR), team("bob")
    _model(alice)
    alice.approvals.set_promotion_policy(
        "m", "@champion", required_approvals=1, approvers=["carol"]
    )
    alice.approvals.create_alias_request("m", 1, "champion")
    with pytest.raises(PermissionDenied, match=r"Only an approver \(carol\) or an admin"):
        bob.approvals.reject_alias_request("m", 1, "champion")
    assert team("carol").approvals.reject_alias_request("m", 1, "champion").status == "rejected"


# -------------------------------------------------------------- status checks
def test_status_checks_latest_and_history(team: Team) -> None:
    alice, ci = team(ACTOR), team("ci-bot")
    _model(alice)
    ci.approvals.set_status_check("m", 1, "tests", "pending", "https://ci/1", "running")
    ci.approvals.set_status_check("m", 1, "lint", "success")
    done = ci.approvals.set_status_check("m", 1, "tests", "SUCCESS", "https://ci/1", "42 passed")
    assert (done.state, done.actor, done.details_url) == ("success", "ci-bot", "https://ci/1")
    latest = alice.approvals.list_status_checks("m", 1)
    assert [(c.check_name, c.state) for c in latest] == [("lint", "success"), ("tests", "success")]
    history = alice.approvals.list_status_checks("m", 1, history=True)
    assert [(c.check_name, c.state) for c in history] == [
        ("tests", "pending"),
        ("lint", "success"),
        ("tests", "success"),
    ]
    with pytest.raises(InvalidArgument, match="must be one of pending, success, failure, error"):
        ci.approvals.set_status_check("m", 1, "tests", "green")
    assert alice.approvals.list_status_checks("m", 2) == []


# -------------------------------------------------------- validate and promote
class _Client(ApprovalMethods):
    """The client's approval methods over one member's transports."""

    def __init__(self, member: Member) -> None:
        self._approvals = member.approvals
        self._registry = member.registry


class _Model:
    def predict(self, features: list[int]) -> list[int]:
        return [1 if x > 0 else 0 for x in features]


def _load(uri: str) -> _Model:
    assert uri.startswith("models:/m/")
    return _Model()


def test_validate_and_promote_outcomes(team: Team) -> None:
    alice = team(ACTOR)
    client = _Client(alice)
    _model(alice, versions=3)
    failed = client.validate_and_promote(
        "m", 1, lambda model: (False, {"accuracy": 0.5}), load_model=_load
    )
    assert isinstance(failed, PromotionResult)
    assert (failed.outcome, failed.passed, failed.metrics) == ("failed", False, {"accuracy": 0.5})
    assert alice.registry.get_model_version("m", 1).tags["validation"] == "failed"
    assert alice.registry.get_model_version("m", 1).current_stage == "None"
    (check,) = alice.approvals.list_status_checks("m", 1)
    assert (check.check_name, check.state, check.description) == (
        "validation",
        "failure",
        "accuracy=0.5",
    )
    data = ([1, 2, -1, -2], [1, 1, 0, 0])
    promoted = client.validate_and_promote(
        "m", 2, {"accuracy": 0.9, "f1": 0.8}, data=data, load_model=_load
    )
    assert promoted.promoted and promoted.metrics == {"accuracy": 1.0, "f1": 1.0}
    assert alice.registry.get_model_version("m", 2).current_stage == "Production"
    again = client.validate_and_promote(
        "m", 1, lambda model: True, "Staging", False, comment="nightly", load_model=_load
    )
    assert again.promoted  # a direct stage move carries the comment in its event
    (move,) = alice.history.search_events("m", 1, "model_version.stage_transitioned")
    assert (move.payload["to_stage"], move.payload["comment"]) == ("Staging", "nightly")
    alice.approvals.set_promotion_policy(
        "m", "Production", required_approvals=1, required_checks=["validation"]
    )
    requested = client.validate_and_promote("m", 3, lambda model: True, load_model=_load)
    assert requested.outcome == "requested" and requested.request is not None
    assert requested.request.target == "Production"
    assert alice.registry.get_model_version("m", 3).current_stage == "None"
    team("bob").approvals.approve_transition_request("m", 3, "Production", True)
    assert alice.registry.get_model_version("m", 3).current_stage == "Production"
    assert alice.registry.get_model_version("m", 2).current_stage == "Archived"
    to_alias = client.validate_and_promote(
        "m", 3, lambda model: True, "@champion", load_model=_load
    )
    assert to_alias.promoted
    assert alice.registry.get_model_version_by_alias("m", "champion").version == "3"
