"""The HTTP transport of :class:`~modelreg.protocols.Approvals`.

Comments and transition requests go over Databricks' Workspace Model Registry paths
(``/api/2.0/mlflow/comments/…``, ``/api/2.0/mlflow/transition-requests/…``); alias
requests, policies and status checks over ``/api/2.0/modelreg/…``. Replies are decoded
by :mod:`modelreg.codec.approvals`, the server's own codec.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelreg import validation
from modelreg.approval_entities import ApprovalRequest, Comment, PromotionPolicy, StatusCheck
from modelreg.client.http import JsonApi
from modelreg.codec import approvals as ac
from modelreg.codec.registry import model_version_from_json
from modelreg.entities import ModelVersion
from modelreg.protocols import Approvals, Version


def _version(version: Version) -> str:
    return str(validation.parse_version(version))


class HttpApprovals(JsonApi, Approvals):
    """Comments, requests, policies and status checks over a modelreg server."""

    def _request(self, data: dict[str, Any]) -> ApprovalRequest:
        return self._parse(lambda d: ac.request_from_json(d["request"]), data)

    def _requests(self, data: dict[str, Any]) -> list[ApprovalRequest]:
        return self._parse(lambda d: [ac.request_from_json(r) for r in d.get("requests", [])], data)

    # -------------------------------------------------------------- comments
    def create_comment(self, name: str, version: Version, comment: str) -> Comment:
        data = self._call(
            "POST",
            "mlflow/comments/create",
            {"name": name, "version": _version(version), "comment": comment},
            keep_null=("comment",),
        )
        return self._parse(lambda d: ac.comment_from_json(d["comment"]), data)

    def update_comment(self, id: str, comment: str) -> Comment:
        data = self._call(
            "PATCH",
            "mlflow/comments/update",
            {"id": str(id), "comment": comment},
            keep_null=("comment",),
        )
        return self._parse(lambda d: ac.comment_from_json(d["comment"]), data)

    def delete_comment(self, id: str) -> None:
        self._call("DELETE", "mlflow/comments/delete", {"id": str(id)})

    def list_comments(self, name: str, version: Version) -> list[Comment]:
        data = self._call(
            "GET", "mlflow/comments/list", {"name": name, "version": _version(version)}
        )
        return self._parse(lambda d: [ac.comment_from_json(c) for c in d.get("comments", [])], data)

    # --------------------------------------------------- transition requests
    def create_transition_request(
        self, name: str, version: Version, stage: str, comment: str | None = None
    ) -> ApprovalRequest:
        fields = {"name": name, "version": _version(version), "stage": stage, "comment": comment}
        return self._request(self._call("POST", "mlflow/transition-requests/create", fields))

    def approve_transition_request(
        self,
        name: str,
        version: Version,
        stage: str,
        archive_existing_versions: bool = False,
        comment: str | None = None,
    ) -> ApprovalRequest:
        fields = _move(name, version, stage, archive_existing_versions, comment)
        return self._request(self._call("POST", "mlflow/transition-requests/approve", fields))

    def reject_transition_request(
        self, name: str, version: Version, stage: str, comment: str | None = None
    ) -> ApprovalRequest:
        fields = {"name": name, "version": _version(version), "stage": stage, "comment": comment}
        return self._request(self._call("POST", "mlflow/transition-requests/reject", fields))

    def list_transition_requests(self, name: str, version: Version) -> list[ApprovalRequest]:
        fields = {"name": name, "version": _version(version)}
        return self._requests(self._call("GET", "mlflow/transition-requests/list", fields))

    def delete_transition_request(
        self, name: str, version: Version, stage: str, creator: str, comment: str | None = None
    ) -> ApprovalRequest:
        fields = {
            "name": name,
            "version": _version(version),
            "stage": stage,
            "creator": creator,
            "comment": comment,
        }
        return self._request(self._call("DELETE", "mlflow/transition-requests/delete", fields))

    def transition_stage(
        self,
        name: str,
        version: Version,
        stage: str,
        archive_existing_versions: bool = False,
        comment: str | None = None,
    ) -> ModelVersion:
        fields = _move(name, version, stage, archive_existing_versions, comment)
        data = self._call("POST", "mlflow/databricks/model-versions/transition-stage", fields)
        return self._parse(lambda d: model_version_from_json(d["model_version_databricks"]), data)

    # -------------------------------------------------------- alias requests
    def _alias_call(
        self, method: str, verb: str, name: str, version: Version, **fields: Any
    ) -> dict[str, Any]:
        sent = {"name": name, "version": _version(version), **fields}
        return self._call(method, f"modelreg/alias-requests/{verb}", sent)

    def create_alias_request(
        self, name: str, version: Version, alias: str, comment: str | None = None
    ) -> ApprovalRequest:
        return self._request(
            self._alias_call("POST", "create", name, version, alias=alias, comment=comment)
        )

    def approve_alias_request(
        self, name: str, version: Version, alias: str, comment: str | None = None
    ) -> ApprovalRequest:
        return self._request(
            self._alias_call("POST", "approve", name, version, alias=alias, comment=comment)
        )

    def reject_alias_request(
        self, name: str, version: Version, alias: str, comment: str | None = None
    ) -> ApprovalRequest:
        return self._request(
            self._alias_call("POST", "reject", name, version, alias=alias, comment=comment)
        )

    def list_alias_requests(self, name: str, version: Version) -> list[ApprovalRequest]:
        return self._requests(self._alias_call("GET", "list", name, version))

    def delete_alias_request(
        self, name: str, version: Version, alias: str, creator: str, comment: str | None = None
    ) -> ApprovalRequest:
        return self._request(
            self._alias_call(
                "DELETE", "delete", name, version, alias=alias, creator=creator, comment=comment
            )
        )

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
        fields = {
            "name": name,
            "target": target,
            "required_approvals": required_approvals,
            "approvers": None if approvers is None else list(approvers),
            "four_eyes": four_eyes,
            "required_tags": None if required_tags is None else dict(required_tags),
            "required_checks": None if required_checks is None else list(required_checks),
            "require_integrity": require_integrity,
        }
        data = self._call("POST", "modelreg/policies/set", fields)
        return self._parse(lambda d: ac.policy_from_json(d["policy"]), data)

    def get_promotion_policy(self, name: str, target: str) -> PromotionPolicy:
        data = self._call("GET", "modelreg/policies/get", {"name": name, "target": target})
        return self._parse(lambda d: ac.policy_from_json(d["policy"]), data)

    def list_promotion_policies(self, name: str) -> list[PromotionPolicy]:
        data = self._call("GET", "modelreg/policies/list", {"name": name})
        return self._parse(lambda d: [ac.policy_from_json(p) for p in d.get("policies", [])], data)

    def delete_promotion_policy(self, name: str, target: str) -> None:
        self._call("DELETE", "modelreg/policies/delete", {"name": name, "target": target})

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
        fields = {
            "name": name,
            "version": _version(version),
            "check_name": check_name,
            "state": state,
            "details_url": details_url,
            "description": description,
        }
        data = self._call("POST", "modelreg/checks/set", fields)
        return self._parse(lambda d: ac.check_from_json(d["check"]), data)

    def list_status_checks(
        self, name: str, version: Version, history: bool = False
    ) -> list[StatusCheck]:
        fields = {
            "name": name,
            "version": _version(version),
            "history": "true" if history else None,
        }
        data = self._call("GET", "modelreg/checks/list", fields)
        return self._parse(lambda d: [ac.check_from_json(c) for c in d.get("checks", [])], data)


def _move(
    name: str, version: Version, stage: str, archive_existing_versions: bool, comment: str | None
) -> dict[str, Any]:
    """The fields of a stage move, approved (a request) or direct (Databricks' route)."""
    return {
        "name": name,
        "version": _version(version),
        "stage": stage,
        "archive_existing_versions": archive_existing_versions,
        "comment": comment,
    }
