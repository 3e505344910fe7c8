"""Promotion policies: the rules per model and target, set, read and deleted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelreg import events, validation
from modelreg.approval_entities import PromotionPolicy
from modelreg.errors import InvalidArgument, NotFound
from modelreg.policies import policy_target, validate_approvers
from modelreg.service.approvals._base import ApprovalsBase
from modelreg.service.registry._base import model_not_found
from modelreg.store.approvals import ApprovalStore
from modelreg.store.registry import RegistryStore

MAX_REQUIRED_APPROVALS = 100


def _required_approvals(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument("required_approvals must be an integer.")
    if not 0 <= value <= MAX_REQUIRED_APPROVALS:
        raise InvalidArgument(
            f"required_approvals must be between 0 and {MAX_REQUIRED_APPROVALS}, got {value}."
        )
    return value


def _tags(tags: Mapping[str, Any] | None) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise InvalidArgument("required_tags must be an object of tag key to value.")
    return validation.validate_tags(tags)


def _checks(checks: Sequence[str] | None) -> list[str]:
    if checks is None:
        return []
    if isinstance(checks, str) or not all(isinstance(c, str) and c.strip() for c in checks):
        raise InvalidArgument("required_checks must be a list of status check names.")
    return list(dict.fromkeys(checks))


def not_found(name: str, target: str) -> NotFound:
    return NotFound(f"No promotion policy for {target} of registered model {name}")


class Policies(ApprovalsBase):
    """Per model and target (a stage, or ``@alias``): what a move there requires."""

    def set_promotion_policy(
        self,
        name: str,
        target: str,
        required_approvals: int = 0,
        approvers: Sequence[str] | None = None,
        four_eyes: bool = False,
        required_tags: Mapping[str, Any] | None = None,
        required_checks: Sequence[str] | None = None,
        require_integrity: bool = False,
    ) -> PromotionPolicy:
        name = validation.validate_model_name(name)
        if isinstance(approvers, str):
            raise InvalidArgument("approvers must be a list of user or 'group:' names.")
        for flag, value in (("four_eyes", four_eyes), ("require_integrity", require_integrity)):
            if not isinstance(value, bool):
                raise InvalidArgument(f"{flag} must be true or false.")
        now = self.clock()
        policy = PromotionPolicy(
            name=name,
            target=policy_target(target),
            required_approvals=_required_approvals(required_approvals),
            approvers=validate_approvers(approvers or []),
            four_eyes=four_eyes,
            required_tags=_tags(required_tags),
            required_checks=_checks(required_checks),
            require_integrity=require_integrity,
            updated_by=self.actor,
            last_updated_timestamp=now,
        )
        with self.db.write() as conn:
            store = RegistryStore(conn)
            model_id = store.lock_model(name, now)
            if model_id is None:
                raise self._missing_model(name)
            ApprovalStore(conn).put_policy(model_id, policy)
            self._record(
                conn,
                now,
                events.PromotionPolicySet(
                    name=name,
                    target=policy.target,
                    required_approvals=policy.required_approvals,
                    approvers=policy.approvers,
                    four_eyes=policy.four_eyes,
                    required_tags=policy.required_tags,
                    required_checks=policy.required_checks,
                    require_integrity=policy.require_integrity,
                ),
            )
            return policy

    def get_promotion_policy(self, name: str, target: str) -> PromotionPolicy:
        name = validation.validate_model_name(name)
        key = policy_target(target)
        with self.db.read() as conn:
            model_id = self._require_model_id(RegistryStore(conn), name)
            found = ApprovalStore(conn).policy(model_id, name, key)
        if found is None:
            raise not_found(name, key)
        return found

    def list_promotion_policies(self, name: str) -> list[PromotionPolicy]:
        name = validation.validate_model_name(name)
        with self.db.read() as conn:
            model_id = self._require_model_id(RegistryStore(conn), name)
            return ApprovalStore(conn).policies(model_id, name)

    def delete_promotion_policy(self, name: str, target: str) -> None:
        name = validation.validate_model_name(name)
        key = policy_target(target)
        now = self.clock()
        with self.db.write() as conn:
            model_id = RegistryStore(conn).lock_model(name, now)
            if model_id is None:
                raise self._missing_model(name)
            if not ApprovalStore(conn).delete_policy(model_id, key):
                raise not_found(name, key)
            self._record(conn, now, events.PromotionPolicyDeleted(name=name, target=key))

    @staticmethod
    def _missing_model(name: str) -> NotFound:
        return model_not_found(name)
