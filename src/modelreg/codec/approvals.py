"""Approval entities to and from JSON (pure): the server renders, the HTTP client parses.

Transition requests are rendered in Databricks' shapes (``TransitionRequest`` and
``Activity``: ``id``, ``to_stage``, ``from_stage``, ``user_id``, ``comment``,
``creation_timestamp``, ``activity_type``, ``available_actions``) with modelreg's own
fields beside them (``name``, ``version``, ``kind``, ``target``, ``status``,
``approvals``); databricks-sdk ignores fields it does not know.
"""

from __future__ import annotations

from typing import Any

from modelreg.approval_entities import (
    KIND_STAGE,
    Approval,
    ApprovalRequest,
    Comment,
    PromotionPolicy,
    StatusCheck,
)

Json = dict[str, Any]

ACTIVITY_FOR_STATUS = {
    "open": "REQUESTED_TRANSITION",
    "approved": "APPROVED_REQUEST",
    "rejected": "REJECTED_REQUEST",
    "cancelled": "CANCELLED_REQUEST",
}


def comment_json(comment: Comment, viewer: str | None = None) -> Json:
    body: Json = {
        "id": comment.id,
        "name": comment.name,
        "version": comment.version,
        "user_id": comment.user_id,
        "comment": comment.comment,
        "creation_timestamp": comment.creation_timestamp,
        "last_updated_timestamp": comment.last_updated_timestamp,
    }
    if viewer is not None and viewer == comment.user_id:
        body["available_actions"] = ["EDIT_COMMENT", "DELETE_COMMENT"]
    return body


def comment_from_json(data: Json) -> Comment:
    return Comment(
        id=str(data["id"]),
        name=str(data["name"]),
        version=str(data["version"]),
        user_id=str(data.get("user_id", "")),
        comment=str(data.get("comment", "")),
        creation_timestamp=int(data["creation_timestamp"]),
        last_updated_timestamp=int(data["last_updated_timestamp"]),
    )


def request_json(request: ApprovalRequest) -> Json:
    body: Json = {
        "id": request.id,
        "name": request.name,
        "version": request.version,
        "kind": request.kind,
        "target": request.target,
        "status": request.status,
        "activity_type": ACTIVITY_FOR_STATUS.get(request.status, "REQUESTED_TRANSITION"),
        "user_id": request.creator,
        "creator": request.creator,
        "comment": request.comment,
        "from_stage": request.from_stage,
        "creation_timestamp": request.creation_timestamp,
        "last_updated_timestamp": request.last_updated_timestamp,
        "approvals": [
            {"approver": a.approver, "timestamp": a.timestamp, "comment": a.comment}
            for a in request.approvals
        ],
    }
    if request.kind == KIND_STAGE:
        body["to_stage"] = request.target
    else:
        body["alias"] = request.target
    if request.resolved_by:
        body["resolved_by"] = request.resolved_by
        body["resolution_comment"] = request.resolution_comment
    if request.is_open:
        body["available_actions"] = [
            "APPROVE_TRANSITION_REQUEST",
            "REJECT_TRANSITION_REQUEST",
            "CANCEL_TRANSITION_REQUEST",
        ]
    return body


def activity_json(request: ApprovalRequest, actor: str, comment: str) -> Json:
    """Databricks' ``Activity`` for an approve, reject or withdraw by ``actor``."""
    return {
        "id": request.id,
        "activity_type": ACTIVITY_FOR_STATUS.get(request.status, "APPROVED_REQUEST"),
        "from_stage": request.from_stage,
        "to_stage": request.target,
        "user_id": actor,
        "comment": comment,
        "creation_timestamp": request.last_updated_timestamp,
        "last_updated_timestamp": request.last_updated_timestamp,
    }


def request_from_json(data: Json) -> ApprovalRequest:
    return ApprovalRequest(
        id=str(data["id"]),
        name=str(data["name"]),
        version=str(data["version"]),
        kind=str(data["kind"]),
        target=str(data["target"]),
        creator=str(data.get("creator", data.get("user_id", ""))),
        status=str(data["status"]),
        creation_timestamp=int(data["creation_timestamp"]),
        last_updated_timestamp=int(data["last_updated_timestamp"]),
        comment=str(data.get("comment", "")),
        from_stage=str(data.get("from_stage", "")),
        resolved_by=str(data.get("resolved_by", "")),
        resolution_comment=str(data.get("resolution_comment", "")),
        approvals=[
            Approval(str(a["approver"]), int(a["timestamp"]), str(a.get("comment", "")))
            for a in data.get("approvals", [])
        ],
    )


def policy_json(policy: PromotionPolicy) -> Json:
    return {
        "name": policy.name,
        "target": policy.target,
        "required_approvals": policy.required_approvals,
        "approvers": list(policy.approvers),
        "four_eyes": policy.four_eyes,
        "required_tags": dict(policy.required_tags),
        "required_checks": list(policy.required_checks),
        "require_integrity": policy.require_integrity,
        "updated_by": policy.updated_by,
        "last_updated_timestamp": policy.last_updated_timestamp,
    }


def policy_from_json(data: Json) -> PromotionPolicy:
    return PromotionPolicy(
        name=str(data["name"]),
        target=str(data["target"]),
        required_approvals=int(data.get("required_approvals", 0)),
        approvers=[str(a) for a in data.get("approvers", [])],
        four_eyes=bool(data.get("four_eyes", False)),
        required_tags={str(k): str(v) for k, v in data.get("required_tags", {}).items()},
        required_checks=[str(c) for c in data.get("required_checks", [])],
        require_integrity=bool(data.get("require_integrity", False)),
        updated_by=str(data.get("updated_by", "")),
        last_updated_timestamp=int(data.get("last_updated_timestamp", 0)),
    )


def check_json(check: StatusCheck) -> Json:
    return {
        "name": check.name,
        "version": check.version,
        "check_name": check.check_name,
        "state": check.state,
        "details_url": check.details_url,
        "description": check.description,
        "actor": check.actor,
        "timestamp": check.timestamp,
    }


def check_from_json(data: Json) -> StatusCheck:
    return StatusCheck(
        name=str(data["name"]),
        version=str(data["version"]),
        check_name=str(data["check_name"]),
        state=str(data["state"]),
        actor=str(data.get("actor", "")),
        timestamp=int(data["timestamp"]),
        details_url=str(data.get("details_url", "")),
        description=str(data.get("description", "")),
    )
