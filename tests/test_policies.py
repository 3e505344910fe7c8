"""Promotion-policy rules as pure functions (modelreg.policies), and the validation
runner of validate_and_promote (modelreg.client.validation_run): no database."""

from __future__ import annotations

import pytest

from modelreg.approval_entities import PromotionPolicy
from modelreg.client.validation_run import compute_metric, run_validation
from modelreg.errors import InvalidArgument
from modelreg.policies import (
    VersionState,
    approval_refusal,
    policy_target,
    unmet_requirements,
    validate_approvers,
)
from modelreg.principal import Principal

POLICY = PromotionPolicy(
    name="m",
    target="Production",
    required_approvals=2,
    approvers=["bob", "group:leads"],
    four_eyes=True,
    required_tags={"validation": "passed", "owner": "ds"},
    required_checks=["ci", "bias"],
    require_integrity=True,
)


def test_every_unmet_requirement_is_listed() -> None:
    state = VersionState(
        creator="alice",
        tags={"validation": "failed"},
        checks={"ci": "success", "bias": "pending"},
        integrity_problem="changed: model.pkl",
    )
    assert unmet_requirements(POLICY, state, ["bob"]) == [
        "2 approval(s) required, 1 given",
        "tag 'owner' must be 'ds' (missing)",
        "tag 'validation' must be 'passed' (is 'failed')",
        "status check 'bias' must be success (pending)",
        "files must match their manifest (changed: model.pkl)",
    ]
    met = VersionState(
        creator="alice",
        tags={"validation": "passed", "owner": "ds"},
        checks={"ci": "success", "bias": "success"},
        integrity_problem="",
    )
    assert unmet_requirements(POLICY, met, ["bob", "carol"]) == []
    assert unmet_requirements(POLICY, met, ["bob", "bob"])[0].startswith("2 approval(s)")


def test_who_may_approve() -> None:
    lead = Principal("dana", groups=frozenset({"leads"}))
    assert approval_refusal(POLICY, lead, "erin", "alice", []) is None
    assert approval_refusal(POLICY, Principal("bob"), "erin", "alice", []) is None
    assert approval_refusal(POLICY, Principal("erin"), "erin", "alice", []) == (
        "four-eyes: erin requested this move and cannot approve it"
    )
    assert approval_refusal(POLICY, Principal("alice"), "erin", "alice", []) == (
        "four-eyes: alice created this version and cannot approve it"
    )
    assert approval_refusal(POLICY, Principal("zoe"), "erin", "alice", []) == (
        "zoe is not an approver for Production of m (approvers: bob, group:leads)"
    )
    assert approval_refusal(POLICY, lead, "erin", "alice", ["dana"]) == (
        "dana has already approved this request"
    )
    # Without a policy anyone approves, once.
    assert approval_refusal(None, Principal("erin"), "erin", "erin", []) is None


def test_policy_targets_and_approvers() -> None:
    assert policy_target("production") == "Production"
    assert policy_target("@champion") == "@champion"
    with pytest.raises(InvalidArgument, match="Invalid alias name"):
        policy_target("@bad alias")
    with pytest.raises(InvalidArgument, match="A policy target must be a stage"):
        policy_target(" ")
    assert validate_approvers(["bob", "bob", "group:x"]) == ["bob", "group:x"]
    with pytest.raises(InvalidArgument, match="user name or 'group:<name>'"):
        validate_approvers([""])


class _Model:
    def predict(self, features: list[float]) -> list[float]:
        return [2.0 * x for x in features]


def test_validation_results_and_thresholds() -> None:
    assert run_validation(lambda m: True, None).passed
    verdict = run_validation(lambda m: {"passed": False, "auc": 0.6}, None)
    assert (verdict.passed, verdict.metrics) == (False, {"auc": 0.6})
    regression = run_validation({"mae": 0.5, "r2": 0.9}, _Model(), ([1.0, 2.0], [2.0, 4.5]))
    assert regression.metrics == {"mae": 0.25, "r2": pytest.approx(0.92)}
    assert regression.passed
    worse = run_validation({"rmse": 0.1}, _Model(), ([1.0, 2.0], [2.0, 4.5]))
    assert not worse.passed and worse.reason == "rmse 0.3536 (needs <= 0.1)"
    with pytest.raises(InvalidArgument, match="Unknown metric"):
        run_validation({"auc": 0.9}, _Model(), ([1.0], [1.0]))
    with pytest.raises(InvalidArgument, match="need data=\\(X, y\\)"):
        run_validation({"f1": 0.9}, _Model(), None)
    with pytest.raises(InvalidArgument, match="must return True/False"):
        run_validation(lambda m: "yes", None)
    labels, predicted = [1, 1, 0, 0], [1, 0, 0, 0]
    assert compute_metric("accuracy", labels, predicted) == 0.75
    assert compute_metric("precision", labels, predicted) == pytest.approx((1 + 2 / 3) / 2)
    assert compute_metric("recall", labels, predicted) == pytest.approx((0.5 + 1) / 2)
