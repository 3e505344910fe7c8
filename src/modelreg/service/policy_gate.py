"""The promotion-policy gate every move into a stage or an alias passes (#9).

Direct moves (``transition_model_version_stage``, ``set_registered_model_alias``,
Databricks' transition-stage, the embedded client) call :func:`enforce_direct` inside
their transaction, before changing anything: a protected target refuses the move
with ``PERMISSION_DENIED`` listing every unmet requirement. A model without a policy
for the target pays exactly one primary-key lookup. Approvals (``service.approvals``)
call :func:`version_state` and :func:`modelreg.policies.unmet_requirements` with the
recorded approvals instead, then execute the move themselves.

It lives beside the registry service, not inside the approvals package, because the
registry's own moves import it (and the approvals service imports the registry).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection

from modelreg.approval_entities import PromotionPolicy
from modelreg.errors import PermissionDenied, RegistryError
from modelreg.policies import VersionState, unmet_requirements
from modelreg.service.snapshots import Snapshotter
from modelreg.store.approvals import ApprovalStore
from modelreg.store.registry import RegistryStore


def stage_target(stage: str) -> str:
    """The policy target a stage move is governed by (the stage's canonical name)."""
    return stage


def alias_target(alias: str) -> str:
    """The policy target an alias move is governed by: ``@alias``."""
    return "@" + alias


def describe_target(target: str) -> str:
    return f"alias {target[1:]!r}" if target.startswith("@") else f"stage {target}"


def policy_for(conn: Connection, model_id: int, name: str, target: str) -> PromotionPolicy | None:
    """The policy protecting ``target`` of the model, if any: one primary-key read."""
    return ApprovalStore(conn).policy(model_id, name, target)


def version_state(
    conn: Connection,
    row: Any,
    policy: PromotionPolicy,
    snapshotter: Snapshotter | None,
) -> VersionState:
    """What ``policy`` looks at on the version ``row`` (read only for what it requires)."""
    tags: dict[str, str] = {}
    if policy.required_tags:
        found, _ = RegistryStore(conn).version_tags_and_aliases([(row.model_id, row.version)])
        tags = found.get((row.model_id, row.version), {})
    checks: dict[str, str] = {}
    if policy.required_checks:
        latest = ApprovalStore(conn).checks(row.model_id, row.name, row.version)
        checks = {check.check_name: check.state for check in latest}
    problem = integrity_problem(row, snapshotter) if policy.require_integrity else None
    return VersionState(
        creator=row.user_id or "", tags=tags, checks=checks, integrity_problem=problem
    )


def integrity_problem(row: Any, snapshotter: Snapshotter | None) -> str:
    """Why the version's registry copy does not match its manifest ("" when it does)."""
    if not row.manifest or not row.storage_location:
        return "the version has no registry copy to verify (its source is external)"
    if snapshotter is None:
        return "this process has no artifact store to verify the files in"
    recorded = json.loads(row.manifest)
    try:
        actual = snapshotter.store.sha256_tree(row.storage_location)
    except RegistryError as error:
        return f"the files cannot be read: {error}"
    if actual == recorded:
        return ""
    changed = sorted(k for k in recorded if k in actual and actual[k] != recorded[k])
    missing = sorted(set(recorded) - set(actual))
    unexpected = sorted(set(actual) - set(recorded))
    parts = [
        f"{label}: {', '.join(names)}"
        for label, names in (("changed", changed), ("missing", missing), ("unexpected", unexpected))
        if names
    ]
    return "; ".join(parts)


def refusal(name: str, version: int, target: str, unmet: list[str]) -> PermissionDenied:
    return PermissionDenied(
        f"Moving {name} version {version} to {describe_target(target)} is refused by its "
        f"promotion policy: {'; '.join(unmet)}."
    )


def enforce_direct(
    conn: Connection,
    row: Any,
    target: str,
    snapshotter: Snapshotter | None,
) -> None:
    """Refuse a direct move of version ``row`` into ``target`` that its policy forbids.

    ``row`` is the version's row (with the model's ``name``); nothing has changed yet,
    so raising leaves the transaction to roll back with nothing written. A direct move
    carries no approvals: a policy requiring any can only be satisfied by a request.
    """
    policy = policy_for(conn, row.model_id, row.name, target)
    if policy is None:
        return
    unmet = unmet_requirements(policy, version_state(conn, row, policy, snapshotter))
    if unmet:
        raise refusal(row.name, row.version, target, unmet)


__all__ = [
    "alias_target",
    "describe_target",
    "enforce_direct",
    "integrity_problem",
    "policy_for",
    "refusal",
    "stage_target",
    "version_state",
]
