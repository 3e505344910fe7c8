"""Frozen value objects of the approval workflow: comments, requests, policies, checks.

Versions are strings, as on every other entity (:mod:`modelreg.entities`); timestamps
are milliseconds since the epoch. A request's ``target`` is a stage name
(``Production``) for transition requests and an alias name (``champion``) for alias
requests; a policy's ``target`` is a stage name or ``@alias``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

REQUEST_OPEN: Final = "open"
REQUEST_APPROVED: Final = "approved"
REQUEST_REJECTED: Final = "rejected"
REQUEST_CANCELLED: Final = "cancelled"

KIND_STAGE: Final = "stage"
KIND_ALIAS: Final = "alias"

CHECK_STATES: Final = ("pending", "success", "failure", "error")


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment on a model version (Markdown, stored as written)."""

    id: str
    name: str
    version: str
    user_id: str
    comment: str
    creation_timestamp: int
    last_updated_timestamp: int


@dataclass(frozen=True, slots=True)
class Approval:
    """One approver's approval of a request."""

    approver: str
    timestamp: int
    comment: str = ""


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """A request to move a version into a stage (``kind="stage"``) or an alias."""

    id: str
    name: str
    version: str
    kind: str
    target: str
    creator: str
    status: str
    creation_timestamp: int
    last_updated_timestamp: int
    comment: str = ""
    # The version's stage when the request was made (Databricks' Activity.from_stage).
    from_stage: str = ""
    # Who closed it (approved, rejected or cancelled), and their comment.
    resolved_by: str = ""
    resolution_comment: str = ""
    approvals: list[Approval] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status == REQUEST_OPEN


@dataclass(frozen=True, slots=True)
class PromotionPolicy:
    """The rules a move into ``target`` (a stage, or ``@alias``) of model ``name`` obeys."""

    name: str
    target: str
    required_approvals: int = 0
    approvers: list[str] = field(default_factory=list)
    four_eyes: bool = False
    required_tags: dict[str, str] = field(default_factory=dict)
    required_checks: list[str] = field(default_factory=list)
    require_integrity: bool = False
    updated_by: str = ""
    last_updated_timestamp: int = 0


@dataclass(frozen=True, slots=True)
class StatusCheck:
    """A CI result posted on a version, like a commit status."""

    name: str
    version: str
    check_name: str
    state: str
    actor: str
    timestamp: int
    details_url: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class PromotionResult:
    """What ``validate_and_promote`` did: ``promoted``, ``requested`` or ``failed``."""

    name: str
    version: str
    target: str
    outcome: str
    passed: bool
    metrics: dict[str, float] = field(default_factory=dict)
    request: ApprovalRequest | None = None
    reason: str = ""

    @property
    def promoted(self) -> bool:
        return self.outcome == "promoted"


__all__ = [
    "CHECK_STATES",
    "KIND_ALIAS",
    "KIND_STAGE",
    "REQUEST_APPROVED",
    "REQUEST_CANCELLED",
    "REQUEST_OPEN",
    "REQUEST_REJECTED",
    "Approval",
    "ApprovalRequest",
    "Comment",
    "PromotionPolicy",
    "PromotionResult",
    "StatusCheck",
]
