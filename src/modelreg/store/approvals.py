"""Queries and statements for comments, requests, approvals, policies and status checks.

Every method runs inside the caller's open transaction; the service decides what is
allowed and records events. Reads are indexed: a policy by its primary key (the one
lookup every stage or alias move pays), requests and comments by (model, version).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, select, update

from modelreg.approval_entities import (
    REQUEST_OPEN,
    Approval,
    ApprovalRequest,
    Comment,
    PromotionPolicy,
    StatusCheck,
)
from modelreg.entities import version_text
from modelreg.store.prepared import Prepared
from modelreg.store.tables import (
    approval_requests,
    approvals,
    comments,
    promotion_policies,
    registered_models,
    status_checks,
)

_ar = approval_requests
_pp = promotion_policies

# The lookup every move into a stage or alias makes: one primary-key read.
_POLICY = Prepared(
    select(_pp).where(_pp.c.model_id == bindparam("model_id"), _pp.c.target == bindparam("target"))
)


def _policy(row: Any, name: str) -> PromotionPolicy:
    return PromotionPolicy(
        name=name,
        target=row.target,
        required_approvals=row.required_approvals,
        approvers=list(json.loads(row.approvers)),
        four_eyes=bool(row.four_eyes),
        required_tags=dict(json.loads(row.required_tags)),
        required_checks=list(json.loads(row.required_checks)),
        require_integrity=bool(row.require_integrity),
        updated_by=row.updated_by,
        last_updated_timestamp=row.last_updated_timestamp,
    )


def _comment(row: Any) -> Comment:
    return Comment(
        id=str(row.id),
        name=row.name,
        version=version_text(row.version),
        user_id=row.user_id,
        comment=row.comment,
        creation_timestamp=row.creation_timestamp,
        last_updated_timestamp=row.last_updated_timestamp,
    )


def _inserted_id(result: Any) -> int:
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every insert here has an autoincrement key
        raise RuntimeError("The database returned no id for an inserted row.")
    return int(key[0])


class ApprovalStore:
    """The approval workflow's rows, in one open transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ---------------------------------------------------------------- policies
    def policy(self, model_id: int, name: str, target: str) -> PromotionPolicy | None:
        row = _POLICY.first(self.conn, {"model_id": model_id, "target": target})
        return None if row is None else _policy(row, name)

    def policies(self, model_id: int, name: str) -> list[PromotionPolicy]:
        rows = self.conn.execute(
            select(_pp).where(_pp.c.model_id == model_id).order_by(_pp.c.target)
        )
        return [_policy(row, name) for row in rows]

    def put_policy(self, model_id: int, policy: PromotionPolicy) -> None:
        values = {
            "required_approvals": policy.required_approvals,
            "approvers": json.dumps(policy.approvers),
            "four_eyes": policy.four_eyes,
            "required_tags": json.dumps(policy.required_tags, sort_keys=True),
            "required_checks": json.dumps(policy.required_checks),
            "require_integrity": policy.require_integrity,
            "updated_by": policy.updated_by,
            "last_updated_timestamp": policy.last_updated_timestamp,
        }
        # The caller holds the model's row lock, so read-then-write cannot race.
        where = and_(_pp.c.model_id == model_id, _pp.c.target == policy.target)
        if self.conn.execute(update(_pp).where(where).values(**values)).rowcount == 0:
            self.conn.execute(insert(_pp).values(model_id=model_id, target=policy.target, **values))

    def delete_policy(self, model_id: int, target: str) -> bool:
        where = and_(_pp.c.model_id == model_id, _pp.c.target == target)
        return bool(self.conn.execute(delete(_pp).where(where)).rowcount)

    # ---------------------------------------------------------------- comments
    def insert_comment(self, model_id: int, version: int, user: str, text: str, now: int) -> int:
        result = self.conn.execute(
            insert(comments).values(
                model_id=model_id,
                version=version,
                user_id=user,
                comment=text,
                creation_timestamp=now,
                last_updated_timestamp=now,
            )
        )
        return int(_inserted_id(result))

    def comment(self, comment_id: int) -> Comment | None:
        row = self.conn.execute(
            select(comments, registered_models.c.name)
            .join(registered_models, registered_models.c.id == comments.c.model_id)
            .where(comments.c.id == comment_id)
        ).first()
        return None if row is None else _comment(row)

    def update_comment(self, comment_id: int, text: str, now: int) -> None:
        self.conn.execute(
            update(comments)
            .where(comments.c.id == comment_id)
            .values(comment=text, last_updated_timestamp=now)
        )

    def delete_comment(self, comment_id: int) -> None:
        self.conn.execute(delete(comments).where(comments.c.id == comment_id))

    def comments_of(self, model_id: int, name: str, version: int) -> list[Comment]:
        rows = self.conn.execute(
            select(comments, registered_models.c.name.label("name"))
            .join(registered_models, registered_models.c.id == comments.c.model_id)
            .where(comments.c.model_id == model_id, comments.c.version == version)
            .order_by(comments.c.id)
        )
        return [_comment(row) for row in rows]

    # ---------------------------------------------------------------- requests
    def insert_request(
        self,
        model_id: int,
        version: int,
        *,
        kind: str,
        target: str,
        creator: str,
        comment: str,
        from_stage: str,
        now: int,
    ) -> int:
        result = self.conn.execute(
            insert(_ar).values(
                model_id=model_id,
                version=version,
                kind=kind,
                target=target,
                creator=creator,
                comment=comment,
                from_stage=from_stage,
                status=REQUEST_OPEN,
                creation_timestamp=now,
                last_updated_timestamp=now,
            )
        )
        return int(_inserted_id(result))

    def open_requests(
        self,
        model_id: int,
        name: str,
        version: int,
        kind: str,
        target: str | None = None,
        creator: str | None = None,
    ) -> list[ApprovalRequest]:
        """Open requests on the version, oldest first (optionally one target, one creator)."""
        where = [
            _ar.c.model_id == model_id,
            _ar.c.version == version,
            _ar.c.status == REQUEST_OPEN,
            _ar.c.kind == kind,
        ]
        if target is not None:
            where.append(_ar.c.target == target)
        if creator is not None:
            where.append(_ar.c.creator == creator)
        rows = list(self.conn.execute(select(_ar).where(*where).order_by(_ar.c.id)))
        return self._with_approvals(rows, name)

    def open_requests_of_model(self, model_id: int, name: str, limit: int) -> list[ApprovalRequest]:
        """Open requests on any version of the model, oldest first, at most ``limit``."""
        where = [_ar.c.model_id == model_id, _ar.c.status == REQUEST_OPEN]
        query = select(_ar).where(*where).order_by(_ar.c.id).limit(limit)
        return self._with_approvals(list(self.conn.execute(query)), name)

    def request(self, request_id: int, name: str) -> ApprovalRequest | None:
        rows = list(self.conn.execute(select(_ar).where(_ar.c.id == request_id)))
        found = self._with_approvals(rows, name)
        return found[0] if found else None

    def resolve(
        self, request_ids: Sequence[int], status: str, by: str, comment: str, now: int
    ) -> None:
        if request_ids:
            self.conn.execute(
                update(_ar)
                .where(_ar.c.id.in_(list(request_ids)))
                .values(
                    status=status,
                    resolved_by=by,
                    resolution_comment=comment,
                    last_updated_timestamp=now,
                )
            )

    def insert_approval(self, request_id: int, approver: str, comment: str, now: int) -> None:
        self.conn.execute(
            insert(approvals).values(
                request_id=request_id, approver=approver, comment=comment, timestamp=now
            )
        )

    def _with_approvals(self, rows: list[Any], name: str) -> list[ApprovalRequest]:
        if not rows:
            return []
        by_request: dict[int, list[Approval]] = {row.id: [] for row in rows}
        found = self.conn.execute(
            select(approvals)
            .where(approvals.c.request_id.in_(list(by_request)))
            .order_by(approvals.c.timestamp, approvals.c.approver)
        )
        for approval in found:
            by_request[approval.request_id].append(
                Approval(approval.approver, approval.timestamp, approval.comment)
            )
        return [
            ApprovalRequest(
                id=str(row.id),
                name=name,
                version=version_text(row.version),
                kind=row.kind,
                target=row.target,
                creator=row.creator,
                status=row.status,
                creation_timestamp=row.creation_timestamp,
                last_updated_timestamp=row.last_updated_timestamp,
                comment=row.comment,
                from_stage=row.from_stage,
                resolved_by=row.resolved_by or "",
                resolution_comment=row.resolution_comment or "",
                approvals=by_request[row.id],
            )
            for row in rows
        ]

    # ----------------------------------------------------------- status checks
    def insert_check(self, model_id: int, version: int, check: StatusCheck) -> None:
        self.conn.execute(
            insert(status_checks).values(
                model_id=model_id,
                version=version,
                check_name=check.check_name,
                state=check.state,
                details_url=check.details_url,
                description=check.description,
                actor=check.actor,
                timestamp=check.timestamp,
            )
        )

    def checks(
        self, model_id: int, name: str, version: int, *, history: bool = False
    ) -> list[StatusCheck]:
        """The latest posting per check name (by name), or every posting (oldest first)."""
        sc = status_checks
        where = [sc.c.model_id == model_id, sc.c.version == version]
        if history:
            query = select(sc).where(*where).order_by(sc.c.id)
        else:
            latest = (
                select(func.max(sc.c.id).label("id"))
                .where(*where)
                .group_by(sc.c.check_name)
                .subquery()
            )
            query = select(sc).join(latest, latest.c.id == sc.c.id).order_by(sc.c.check_name)
        return [
            StatusCheck(
                name=name,
                version=version_text(row.version),
                check_name=row.check_name,
                state=row.state,
                actor=row.actor,
                timestamp=row.timestamp,
                details_url=row.details_url,
                description=row.description,
            )
            for row in self.conn.execute(query)
        ]
