"""Promotion-policy evaluation as pure functions: policy + version state → what is unmet.

The service gathers the state (tags, latest status checks, the integrity verdict, the
approvals recorded) inside its transaction and asks here; nothing here touches a
database, so every rule is tested on plain values. Messages name each requirement so a
refusal says everything that is missing at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from modelreg import validation
from modelreg.approval_entities import PromotionPolicy
from modelreg.errors import InvalidArgument
from modelreg.principal import Principal

GROUP_PREFIX = "group:"


@dataclass(frozen=True, slots=True)
class VersionState:
    """What a policy looks at on one version, read in the deciding transaction."""

    creator: str
    tags: Mapping[str, str] = field(default_factory=dict)
    # The latest state of each status check by name.
    checks: Mapping[str, str] = field(default_factory=dict)
    # None when the policy does not ask; else "" (files match) or why they do not.
    integrity_problem: str | None = None


def policy_target(target: str) -> str:
    """A policy target as stored: a stage name, or ``@alias``; anything else is refused."""
    if not isinstance(target, str) or not target.strip():
        raise InvalidArgument(
            "A policy target must be a stage (Staging, Production, Archived, None) or an "
            "alias written as '@alias'."
        )
    if target.startswith("@"):
        return "@" + validation.validate_alias(target[1:])
    return validation.canonical_stage(target)


def unmet_requirements(
    policy: PromotionPolicy, state: VersionState, approvals: Sequence[str] = ()
) -> list[str]:
    """Every requirement of ``policy`` that ``state`` (with these approvers) does not meet."""
    unmet: list[str] = []
    have = len(set(approvals))
    if have < policy.required_approvals:
        unmet.append(
            f"{policy.required_approvals} approval(s) required, {have} given"
            + ("" if approvals else " (request the move and have it approved)")
        )
    for key, wanted in sorted(policy.required_tags.items()):
        actual = state.tags.get(key)
        if actual != wanted:
            shown = "missing" if actual is None else f"is {actual!r}"
            unmet.append(f"tag {key!r} must be {wanted!r} ({shown})")
    for check in policy.required_checks:
        check_state = state.checks.get(check)
        if check_state != "success":
            shown = "missing" if check_state is None else check_state
            unmet.append(f"status check {check!r} must be success ({shown})")
    if policy.require_integrity and state.integrity_problem:
        unmet.append(f"files must match their manifest ({state.integrity_problem})")
    return unmet


def approval_refusal(
    policy: PromotionPolicy | None,
    who: Principal,
    request_creator: str,
    version_creator: str,
    approved_by: Sequence[str],
) -> str | None:
    """Why ``who`` may not approve this request (None when they may)."""
    if who.name in approved_by:
        return f"{who.name} has already approved this request"
    if policy is None:
        return None
    if policy.four_eyes and who.name == request_creator:
        return f"four-eyes: {who.name} requested this move and cannot approve it"
    if policy.four_eyes and version_creator and who.name == version_creator:
        return f"four-eyes: {who.name} created this version and cannot approve it"
    if policy.approvers and not any(who.is_in(member) for member in policy.approvers):
        return (
            f"{who.name} is not an approver for {policy.target} of {policy.name} "
            f"(approvers: {', '.join(policy.approvers)})"
        )
    return None


def rejection_refusal(policy: PromotionPolicy | None, who: Principal) -> str | None:
    """Why ``who`` may not reject a request this policy governs (None when they may):
    a policy that names approvers leaves rejecting to them (and admins)."""
    if policy is None or not policy.approvers or who.is_admin:
        return None
    if any(who.is_in(member) for member in policy.approvers):
        return None
    return f"only an approver ({', '.join(policy.approvers)}) or an admin may reject"


def validate_approvers(approvers: Sequence[str]) -> list[str]:
    """User names or ``group:<name>`` entries, without blanks or duplicates."""
    cleaned: list[str] = []
    for member in approvers:
        if not isinstance(member, str) or not member.strip():
            raise InvalidArgument("Each approver must be a user name or 'group:<name>'.")
        if member.startswith(GROUP_PREFIX) and not member[len(GROUP_PREFIX) :].strip():
            raise InvalidArgument(f"Approver {member!r} names no group: write 'group:<name>'.")
        if member not in cleaned:
            cleaned.append(member.strip())
    return cleaned


__all__ = [
    "VersionState",
    "approval_refusal",
    "rejection_refusal",
    "policy_target",
    "unmet_requirements",
    "validate_approvers",
]
