"""The approvals half of ``MlflowClient``: comments, requests, policies, status checks,
and ``validate_and_promote`` (#9). The same methods embedded and over HTTP: they call
the client's :class:`~modelreg.protocols.Approvals` transport."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from modelreg import validation
from modelreg.approval_entities import (
    ApprovalRequest,
    Comment,
    PromotionPolicy,
    PromotionResult,
    StatusCheck,
)
from modelreg.client.validation_run import run_validation
from modelreg.entities import ModelVersion
from modelreg.errors import NotFound
from modelreg.protocols import Approvals, Registry, Version

VALIDATION_TAG = "validation"
_DESCRIPTION_LIMIT = 1000


def _load_pyfunc(uri: str) -> Any:
    # The flavors sit above the client (they use it to fetch files), and loading a model
    # pulls in heavy libraries: import them only when a model is actually loaded.
    return importlib.import_module("modelreg.pyfunc").load_model(uri)


class ApprovalMethods:
    """MlflowClient's approval methods; mixed into :class:`~modelreg.client.MlflowClient`."""

    _approvals: Approvals
    _registry: Registry

    # -------------------------------------------------------------- comments
    def create_comment(self, name: str, version: Version, comment: str) -> Comment:
        return self._approvals.create_comment(name, version, comment)

    def update_comment(self, id: str, comment: str) -> Comment:
        return self._approvals.update_comment(id, comment)

    def delete_comment(self, id: str) -> None:
        self._approvals.delete_comment(id)

    def list_comments(self, name: str, version: Version) -> list[Comment]:
        return self._approvals.list_comments(name, version)

    # --------------------------------------------------- transition requests
    def create_transition_request(
        self, name: str, version: Version, stage: str, comment: str | None = None
    ) -> ApprovalRequest:
        return self._approvals.create_transition_request(name, version, stage, comment)

    def approve_transition_request(
        self,
        name: str,
        version: Version,
        stage: str,
        archive_existing_versions: bool = False,
        comment: str | None = None,
    ) -> ApprovalRequest:
        return self._approvals.approve_transition_request(
            name, version, stage, archive_existing_versions, comment
        )

    def reject_transition_request(
        self, name: str, version: Version, stage: str, comment: str | None = None
    ) -> ApprovalRequest:
        return self._approvals.reject_transition_request(name, version, stage, comment)

    def list_transition_requests(self, name: str, version: Version) -> list[ApprovalRequest]:
        return self._approvals.list_transition_requests(name, version)

    def delete_transition_request(
        self, name: str, version: Version, stage: str, creator: str, comment: str | None = None
    ) -> ApprovalRequest:
        return self._approvals.delete_transition_request(name, version, stage, creator, comment)

    def transition_stage(
        self,
        name: str,
        version: Version,
        stage: str,
        archive_existing_versions: bool = False,
        comment: str | None = None,
    ) -> ModelVersion:
        """``transition_model_version_stage`` with a comment recorded in the move's event
        (Databricks' ``transition_stage``; promotion policies apply)."""
        return self._approvals.transition_stage(
            name, version, stage, archive_existing_versions, comment
        )

    # -------------------------------------------------------- alias requests
    def create_alias_request(
        self, name: str, version: Version, alias: str, comment: str | None = None
    ) -> ApprovalRequest:
        return self._approvals.create_alias_request(name, version, alias, comment)

    def approve_alias_request(
        self, name: str, version: Version, alias: str, comment: str | None = None
    ) -> ApprovalRequest:
        return self._approvals.approve_alias_request(name, version, alias, comment)

    def reject_alias_request(
        self, name: str, version: Version, alias: str, comment: str | None = None
    ) -> ApprovalRequest:
        return self._approvals.reject_alias_request(name, version, alias, comment)

    def list_alias_requests(self, name: str, version: Version) -> list[ApprovalRequest]:
        return self._approvals.list_alias_requests(name, version)

    def delete_alias_request(
        self, name: str, version: Version, alias: str, creator: str, comment: str | None = None
    ) -> ApprovalRequest:
        return self._approvals.delete_alias_request(name, version, alias, creator, comment)

    # ---------------------------------------------------- promotion policies
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
        return self._approvals.set_promotion_policy(
            name,
            target,
            required_approvals,
            approvers,
            four_eyes,
            required_tags,
            required_checks,
            require_integrity,
        )

    def get_promotion_policy(self, name: str, target: str) -> PromotionPolicy:
        return self._approvals.get_promotion_policy(name, target)

    def list_promotion_policies(self, name: str) -> list[PromotionPolicy]:
        return self._approvals.list_promotion_policies(name)

    def delete_promotion_policy(self, name: str, target: str) -> None:
        self._approvals.delete_promotion_policy(name, target)

    # --------------------------------------------------------- status checks
    def set_status_check(
        self,
        name: str,
        version: Version,
        check_name: str,
        state: str,
        details_url: str | None = None,
        description: str | None = None,
    ) -> StatusCheck:
        return self._approvals.set_status_check(
            name, version, check_name, state, details_url, description
        )

    def list_status_checks(
        self, name: str, version: Version, history: bool = False
    ) -> list[StatusCheck]:
        return self._approvals.list_status_checks(name, version, history)

    # ------------------------------------------------------ validate, promote
    def validate_and_promote(
        self,
        name: str,
        version: Version,
        validate: Callable[[Any], Any] | Mapping[str, float],
        target: str = "Production",
        archive_existing_versions: bool = True,
        *,
        data: Any = None,
        check_name: str = VALIDATION_TAG,
        comment: str | None = None,
        load_model: Callable[[str], Any] | None = None,
    ) -> PromotionResult:
        """Validate a version, record the result as a status check, then promote it.

        Loads ``models:/name/version`` (``load_model`` replaces the pyfunc loader), runs
        ``validate(model)`` (or compares metric thresholds on ``data=(X, y)``) and posts
        status check ``check_name`` with the metrics. A pass tags the version
        ``validation=passed`` and moves it to ``target`` (a stage, or ``@alias``) — or,
        when the target's promotion policy requires approvals, opens a request instead.
        ``comment`` goes with the request, or with a stage move (in its event).
        A failure tags it ``validation=failed`` and moves nothing.
        """
        number = str(validation.parse_version(version))
        model = (load_model or _load_pyfunc)(f"models:/{name}/{number}")
        verdict = run_validation(validate, model, data)
        summary = ", ".join(f"{k}={v:.4g}" for k, v in sorted(verdict.metrics.items()))
        description = (summary or ("passed" if verdict.passed else verdict.reason))[
            :_DESCRIPTION_LIMIT
        ]
        state = "success" if verdict.passed else "failure"
        self._approvals.set_status_check(name, number, check_name, state, None, description)
        result = functools.partial(
            PromotionResult, name=name, version=number, target=target, metrics=verdict.metrics
        )
        if not verdict.passed:
            self._registry.set_model_version_tag(name, number, VALIDATION_TAG, "failed")
            return result(outcome="failed", passed=False, reason=verdict.reason)
        self._registry.set_model_version_tag(name, number, VALIDATION_TAG, "passed")
        alias = target[1:] if target.startswith("@") else None
        policy = self._policy_or_none(name, target)
        if policy is not None and policy.required_approvals > 0:
            if alias is not None:
                request = self._approvals.create_alias_request(name, number, alias, comment)
            else:
                request = self._approvals.create_transition_request(name, number, target, comment)
            return result(
                outcome="requested",
                passed=True,
                request=request,
                reason=f"{policy.required_approvals} approval(s) required by the policy",
            )
        if alias is not None:
            self._registry.set_registered_model_alias(name, alias, number)
        else:
            self._approvals.transition_stage(
                name, number, target, archive_existing_versions, comment
            )
        return result(outcome="promoted", passed=True)

    def _policy_or_none(self, name: str, target: str) -> PromotionPolicy | None:
        try:
            return self._approvals.get_promotion_policy(name, target)
        except NotFound:
            return None
