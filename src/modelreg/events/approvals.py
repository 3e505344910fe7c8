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


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalsEvent(VersionEvent):
    """Base of the approval events about one version (filed under "approvals")."""

    AREA: ClassVar[str] = "approvals"


@event
class CommentCreated(ApprovalsEvent):
    """A comment was posted on a version."""

    TYPE: ClassVar[str] = "comment.created"
    comment_id: Annotated[str, "The comment's id."]
    comment: Annotated[str, "Its Markdown text, as written."]


@event
class CommentUpdated(ApprovalsEvent):
    """A comment's text was edited (by its author or an admin)."""

    TYPE: ClassVar[str] = "comment.updated"
    comment_id: Annotated[str, "The comment's id."]
    comment: Annotated[str, "The new text."]


@event
class CommentDeleted(ApprovalsEvent):
    """A comment was deleted (by its author or an admin)."""

    TYPE: ClassVar[str] = "comment.deleted"
    comment_id: Annotated[str, "The comment's id."]


@event
class TransitionRequestCreated(ApprovalsEvent):
    """Someone asked for a version to move to a stage."""

    TYPE: ClassVar[str] = "transition_request.created"
    request_id: Annotated[str, "The request's id."]
    stage: Annotated[str, "The stage asked for."]
    comment: Annotated[str, 'The requester\'s comment (`""` when none).']


@event
class TransitionRequestApproved(ApprovalsEvent):
    """An approval of a transition request was recorded; `completed` says if it moved."""

    TYPE: ClassVar[str] = "transition_request.approved"
    request_id: Annotated[str, "The request's id."]
    stage: Annotated[str, "The stage asked for."]
    approvals: Annotated[int, "Approvals recorded on the request, this one included."]
    required_approvals: Annotated[int, "Approvals the policy requires (1 without a policy)."]
    completed: Annotated[bool, "Whether this approval executed the transition."]
    comment: Annotated[str, 'The approver\'s comment (`""` when none).']


@event
class TransitionRequestRejected(ApprovalsEvent):
    """A transition request was rejected and closed."""

    TYPE: ClassVar[str] = "transition_request.rejected"
    request_id: Annotated[str, "The request's id."]
    stage: Annotated[str, "The stage asked for."]
    comment: Annotated[str, 'The rejecter\'s comment (`""` when none).']


@event
class TransitionRequestDeleted(ApprovalsEvent):
    """A transition request was withdrawn (cancelled) by its creator."""

    TYPE: ClassVar[str] = "transition_request.deleted"
    request_id: Annotated[str, "The request's id."]
    stage: Annotated[str, "The stage asked for."]
    creator: Annotated[str, "Who had made the request."]


@event
class AliasRequestCreated(ApprovalsEvent):
    """Someone asked for an alias to point at a version."""

    TYPE: ClassVar[str] = "alias_request.created"
    request_id: Annotated[str, "The request's id."]
    alias: Annotated[str, "The alias asked for."]
    comment: Annotated[str, 'The requester\'s comment (`""` when none).']


@event
class AliasRequestApproved(ApprovalsEvent):
    """An approval of an alias request was recorded; `completed` says if the alias moved."""

    TYPE: ClassVar[str] = "alias_request.approved"
    request_id: Annotated[str, "The request's id."]
    alias: Annotated[str, "The alias asked for."]
    approvals: Annotated[int, "Approvals recorded on the request, this one included."]
    required_approvals: Annotated[int, "Approvals the policy requires (1 without a policy)."]
    completed: Annotated[bool, "Whether this approval set the alias."]
    comment: Annotated[str, 'The approver\'s comment (`""` when none).']


@event
class AliasRequestRejected(ApprovalsEvent):
    """An alias request was rejected and closed."""

    TYPE: ClassVar[str] = "alias_request.rejected"
    request_id: Annotated[str, "The request's id."]
    alias: Annotated[str, "The alias asked for."]
    comment: Annotated[str, 'The rejecter\'s comment (`""` when none).']


@event
class AliasRequestDeleted(ApprovalsEvent):
    """An alias request was withdrawn (cancelled) by its creator."""

    TYPE: ClassVar[str] = "alias_request.deleted"
    request_id: Annotated[str, "The request's id."]
    alias: Annotated[str, "The alias asked for."]
    creator: Annotated[str, "Who had made the request."]


@event
class StatusCheckSet(ApprovalsEvent):
    """A status check (a CI result) was posted on a version."""

    TYPE: ClassVar[str] = "status_check.set"
    check_name: Annotated[str, "The check's name."]
    state: Annotated[str, "pending, success, failure or error."]
    details_url: Annotated[str, 'Where the details are (`""` when none).']
    description: Annotated[str, 'A short description (`""` when none).']


@event
class PromotionPolicySet(ModelEvent):
    """A promotion policy was created or replaced."""

    AREA: ClassVar[str] = "approvals"
    TYPE: ClassVar[str] = "promotion_policy.set"
    target: Annotated[str, "The stage, or `@alias`, it protects."]
    required_approvals: Annotated[int, "Approvals a move needs."]
    approvers: Annotated[list[str], "Who may approve (users or `group:` names; empty: anyone)."]
    four_eyes: Annotated[bool, "Whether the requester and the version's creator may not approve."]
    required_tags: Annotated[dict[str, str], "Tags the version must carry, with these values."]
    required_checks: Annotated[list[str], "Status checks that must be `success`."]
    require_integrity: Annotated[bool, "Whether the files must match their manifest."]


@event
class PromotionPolicyDeleted(ModelEvent):
    """A promotion policy was deleted (recorded only if it existed)."""

    AREA: ClassVar[str] = "approvals"
    TYPE: ClassVar[str] = "promotion_policy.deleted"
    target: Annotated[str, "The stage, or `@alias`, it protected."]
