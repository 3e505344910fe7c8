"""Events of the approval workflow: comments, requests, approvals, policies and checks.

Requests carry their ``request_id`` (the id the REST API and the Python client show)
and their ``kind``: ``stage`` for transition requests (``target`` is a stage) or
``alias`` for alias requests (``target`` is the alias). An approval that completes a
request executes the move in the same transaction, so the
``model_version.stage_transitioned`` or ``alias.set`` event follows in the log.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, ClassVar

from modelreg.events._base import ModelEvent, VersionEvent, event

# The fields several events share, each described once (docs/events.md shows these).
CommentId = Annotated[str, "The comment's id."]
RequestId = Annotated[str, "The request's id."]
RequesterComment = Annotated[str, 'The requester\'s comment (`""` when none).']
ApproverComment = Annotated[str, 'The approver\'s comment (`""` when none).']
RejecterComment = Annotated[str, 'The rejecter\'s comment (`""` when none).']
ApprovalCount = Annotated[int, "Approvals recorded on the request, this one included."]
RequiredApprovals = Annotated[int, "Approvals the policy requires (1 without a policy)."]
Creator = Annotated[str, "Who had made the request."]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalsEvent(VersionEvent):
    """Base of the approval events about one version (filed under "approvals")."""

    AREA: ClassVar[str] = "approvals"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class TransitionRequestEvent(ApprovalsEvent):
    """Base of the events of one transition request."""

    request_id: RequestId
    stage: Annotated[str, "The stage asked for."]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AliasRequestEvent(ApprovalsEvent):
    """Base of the events of one alias request."""

    request_id: RequestId
    alias: Annotated[str, "The alias asked for."]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PolicyEvent(ModelEvent):
    """Base of the promotion-policy events (about a model, not one version)."""

    AREA: ClassVar[str] = "approvals"


@event
class CommentCreated(ApprovalsEvent):
    """A comment was posted on a version."""

    TYPE: ClassVar[str] = "comment.created"
    comment_id: CommentId
    comment: Annotated[str, "Its Markdown text, as written."]


@event
class CommentUpdated(ApprovalsEvent):
    """A comment's text was edited (by its author or an admin)."""

    TYPE: ClassVar[str] = "comment.updated"
    comment_id: CommentId
    comment: Annotated[str, "The new text."]


@event
class CommentDeleted(ApprovalsEvent):
    """A comment was deleted (by its author or an admin)."""

    TYPE: ClassVar[str] = "comment.deleted"
    comment_id: CommentId


@event
class TransitionRequestCreated(TransitionRequestEvent):
    """Someone asked for a version to move to a stage."""

    TYPE: ClassVar[str] = "transition_request.created"
    comment: RequesterComment


@event
class TransitionRequestApproved(TransitionRequestEvent):
    """An approval of a transition request was recorded; `completed` says if it moved."""

    TYPE: ClassVar[str] = "transition_request.approved"
    approvals: ApprovalCount
    required_approvals: RequiredApprovals
    completed: Annotated[bool, "Whether this approval executed the transition."]
    comment: ApproverComment


@event
class TransitionRequestRejected(TransitionRequestEvent):
    """A transition request was rejected and closed."""

    TYPE: ClassVar[str] = "transition_request.rejected"
    comment: RejecterComment


@event
class TransitionRequestDeleted(TransitionRequestEvent):
    """A transition request was withdrawn (cancelled) by its creator."""

    TYPE: ClassVar[str] = "transition_request.deleted"
    creator: Creator


@event
class AliasRequestCreated(AliasRequestEvent):
    """Someone asked for an alias to point at a version."""

    TYPE: ClassVar[str] = "alias_request.created"
    comment: RequesterComment


@event
class AliasRequestApproved(AliasRequestEvent):
    """An approval of an alias request was recorded; `completed` says if the alias moved."""

    TYPE: ClassVar[str] = "alias_request.approved"
    approvals: ApprovalCount
    required_approvals: RequiredApprovals
    completed: Annotated[bool, "Whether this approval set the alias."]
    comment: ApproverComment


@event
class AliasRequestRejected(AliasRequestEvent):
    """An alias request was rejected and closed."""

    TYPE: ClassVar[str] = "alias_request.rejected"
    comment: RejecterComment


@event
class AliasRequestDeleted(AliasRequestEvent):
    """An alias request was withdrawn (cancelled) by its creator."""

    TYPE: ClassVar[str] = "alias_request.deleted"
    creator: Creator


@event
class StatusCheckSet(ApprovalsEvent):
    """A status check (a CI result) was posted on a version."""

    TYPE: ClassVar[str] = "status_check.set"
    check_name: Annotated[str, "The check's name."]
    state: Annotated[str, "pending, success, failure or error."]
    details_url: Annotated[str, 'Where the details are (`""` when none).']
    description: Annotated[str, 'A short description (`""` when none).']


@event
class PromotionPolicySet(PolicyEvent):
    """A promotion policy was created or replaced."""

    TYPE: ClassVar[str] = "promotion_policy.set"
    target: Annotated[str, "The stage, or `@alias`, it protects."]
    required_approvals: Annotated[int, "Approvals a move needs."]
    approvers: Annotated[list[str], "Who may approve (users or `group:` names; empty: anyone)."]
    four_eyes: Annotated[bool, "Whether the requester and the version's creator may not approve."]
    required_tags: Annotated[dict[str, str], "Tags the version must carry, with these values."]
    required_checks: Annotated[list[str], "Status checks that must be `success`."]
    require_integrity: Annotated[bool, "Whether the files must match their manifest."]


@event
class PromotionPolicyDeleted(PolicyEvent):
    """A promotion policy was deleted (recorded only if it existed)."""

    TYPE: ClassVar[str] = "promotion_policy.deleted"
    target: Annotated[str, "The stage, or `@alias`, it protected."]
