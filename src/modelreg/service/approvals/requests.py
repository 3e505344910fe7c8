"""Transition and alias requests: create, approve, reject, withdraw, list.

Databricks names a transition request by (model, version, stage) and, to withdraw
one, its creator; alias requests follow the same shape with an alias. Approvals
serialise on the model's row lock, so two approvers racing to complete one request
see each other: exactly one executes the move, the other finds no open request.
An approval that completes a request executes the move in the same transaction,
after the policy's other requirements have been checked against the approvals.
"""

from __future__ import annotations

from typing import Any

from modelreg import events, validation
from modelreg.approval_entities import (
    KIND_ALIAS,
    KIND_STAGE,
    REQUEST_APPROVED,
    REQUEST_CANCELLED,
    REQUEST_REJECTED,
    ApprovalRequest,
    PromotionPolicy,
)
from modelreg.entities import ACTIVE_STAGES, ModelVersion
from modelreg.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from modelreg.events import DomainEvent
from modelreg.policies import approval_refusal, rejection_refusal, unmet_requirements
from modelreg.protocols import Version
from modelreg.service import policy_gate
from modelreg.service.approvals._base import ApprovalsBase
from modelreg.service.registry._base import read_back
from modelreg.store.approvals import ApprovalStore
from modelreg.store.registry import RegistryStore


def _target(kind: str, target: str) -> str:
    if kind == KIND_STAGE:
        stage = validation.canonical_stage(target)
        return stage
    return validation.validate_alias(target)


def _policy_key(kind: str, target: str) -> str:
    return (
        policy_gate.stage_target(target) if kind == KIND_STAGE else policy_gate.alias_target(target)
    )


def _what(kind: str, name: str, version: int, target: str) -> str:
    where = f"stage {target}" if kind == KIND_STAGE else f"alias {target!r}"
    return f"{name} version {version} to {where}"


def _created(kind: str, row: Any, request_id: str, target: str, comment: str) -> DomainEvent:
    if kind == KIND_STAGE:
        return events.TransitionRequestCreated(
            name=row.name, version=row.version, request_id=request_id, stage=target, comment=comment
        )
    return events.AliasRequestCreated(
        name=row.name, version=row.version, request_id=request_id, alias=target, comment=comment
    )


class Requests(ApprovalsBase):
    """Requests to move a version into a stage or an alias, and their approvals."""

    # ------------------------------------------------------ transition requests
    def create_transition_request(
        self, name: str, version: Version, stage: str, comment: str | None = None
    ) -> ApprovalRequest:
        return self._create(KIND_STAGE, name, version, stage, comment)

    def approve_transition_request(
        self,
        name: str,
        version: Version,
        stage: str,
        archive_existing_versions: bool = False,
        comment: str | None = None,
    ) -> ApprovalRequest:
        return self._approve(KIND_STAGE, name, version, stage, comment, archive_existing_versions)

    def reject_transition_request(
        self, name: str, version: Version, stage: str, comment: str | None = None
    ) -> ApprovalRequest:
        return self._reject(KIND_STAGE, name, version, stage, comment)

    def list_transition_requests(self, name: str, version: Version) -> list[ApprovalRequest]:
        return self._list(KIND_STAGE, name, version)

    def delete_transition_request(
        self, name: str, version: Version, stage: str, creator: str, comment: str | None = None
    ) -> ApprovalRequest:
        return self._delete(KIND_STAGE, name, version, stage, creator, comment)

    def transition_stage(
        self,
        name: str,
        version: Version,
        stage: str,
        archive_existing_versions: bool = False,
        comment: str | None = None,
    ) -> ModelVersion:
        # The registry's own move (gate, row lock, event), with the comment in its event.
        return self._moves().transition_stage(
            name, version, stage, archive_existing_versions, comment
        )

    # ----------------------------------------------------------- alias requests
    def create_alias_request(
        self, name: str, version: Version, alias: str, comment: str | None = None
    ) -> ApprovalRequest:
        return self._create(KIND_ALIAS, name, version, alias, comment)

    def approve_alias_request(
        self, name: str, version: Version, alias: str, comment: str | None = None
    ) -> ApprovalRequest:
        return self._approve(KIND_ALIAS, name, version, alias, comment, False)

    def reject_alias_request(
        self, name: str, version: Version, alias: str, comment: str | None = None
    ) -> ApprovalRequest:
        return self._reject(KIND_ALIAS, name, version, alias, comment)

    def list_alias_requests(self, name: str, version: Version) -> list[ApprovalRequest]:
        return self._list(KIND_ALIAS, name, version)

    def delete_alias_request(
        self, name: str, version: Version, alias: str, creator: str, comment: str | None = None
    ) -> ApprovalRequest:
        return self._delete(KIND_ALIAS, name, version, alias, creator, comment)

    # ------------------------------------------------------- a model's requests
    def list_open_requests(self, name: str, max_results: int = 50) -> list[ApprovalRequest]:
        """Open transition and alias requests on any version of ``name``, oldest first."""
        if not 1 <= max_results <= 1000:
            raise InvalidArgument("max_results must be between 1 and 1000.")
        name = validation.validate_model_name(name)
        with self.db.read() as conn:
            model_id = self._require_model_id(RegistryStore(conn), name)
            return ApprovalStore(conn).open_requests_of_model(model_id, name, max_results)

    # ------------------------------------------------------------------ shared
    def _create(
        self, kind: str, name: str, version: Version, target: str, comment: str | None
    ) -> ApprovalRequest:
        target = _target(kind, target)
        text = validation.validate_comment(comment, required=False)
        now = self.clock()
        with self.db.write() as conn:
            row = self._locked_version_row(RegistryStore(conn), name, version, now)
            store = ApprovalStore(conn)
            mine = store.open_requests(
                row.model_id, row.name, row.version, kind, target, creator=self.actor
            )
            if mine:
                raise AlreadyExists(
                    f"{self.actor} already has an open request to move "
                    f"{_what(kind, row.name, row.version, target)} (id {mine[0].id})."
                )
            new_id = store.insert_request(
                row.model_id,
                row.version,
                kind=kind,
                target=target,
                creator=self.actor,
                comment=text,
                from_stage=row.current_stage,
                now=now,
            )
            self._record(conn, now, _created(kind, row, str(new_id), target, text))
            return read_back(store.request(new_id, row.name), "The new request")

    def _approve(
        self,
        kind: str,
        name: str,
        version: Version,
        target: str,
        comment: str | None,
        archive_existing_versions: bool,
    ) -> ApprovalRequest:
        target = _target(kind, target)
        text = validation.validate_comment(comment, required=False)
        if not isinstance(archive_existing_versions, bool):
            raise InvalidArgument("archive_existing_versions must be true or false.")
        if archive_existing_versions and kind == KIND_STAGE and target not in ACTIVE_STAGES:
            raise InvalidArgument(
                f"archive_existing_versions can only be used when transitioning to "
                f"{' or '.join(ACTIVE_STAGES)}, not {target!r}."
            )
        now = self.clock()
        with self.db.write() as conn:
            registry = RegistryStore(conn)
            # The model's row lock: a concurrent approval of the same request waits here
            # and then sees this one's outcome (approved and moved, or still open).
            row = self._locked_version_row(registry, name, version, now)
            store = ApprovalStore(conn)
            request = self._oldest_open(store, kind, row, target)
            key = _policy_key(kind, target)
            policy = policy_gate.policy_for(conn, row.model_id, row.name, key)
            approved_by = [approval.approver for approval in request.approvals]
            refusal = approval_refusal(
                policy, self.principal, request.creator, row.user_id or "", approved_by
            )
            if refusal:
                what = _what(kind, row.name, row.version, target)
                raise PermissionDenied(f"Cannot approve the request to move {what}: {refusal}.")
            required = max(1, policy.required_approvals) if policy else 1
            count = len(approved_by) + 1
            completes = count >= required
            if completes and policy is not None:
                self._require_met(conn, row, key, policy, [*approved_by, self.actor])
            store.insert_approval(int(request.id), self.actor, text, now)
            self._record(
                conn,
                now,
                self._approved_event(kind, row, request, count, required, completes, text),
            )
            if completes:
                satisfied = store.open_requests(row.model_id, row.name, row.version, kind, target)
                store.resolve(
                    [int(r.id) for r in satisfied], REQUEST_APPROVED, self.actor, text, now
                )
                if kind == KIND_STAGE:
                    self._moves().apply_stage_move(
                        registry,
                        row,
                        target,
                        archive_existing_versions=archive_existing_versions,
                        now=now,
                    )
                else:
                    self._moves().apply_alias_move(registry, row, target, now=now)
            return read_back(store.request(int(request.id), row.name), "The approved request")

    def _require_met(
        self, conn: Any, row: Any, key: str, policy: PromotionPolicy, approvers: list[str]
    ) -> None:
        state = policy_gate.version_state(conn, row, policy, self.snapshotter)
        unmet = unmet_requirements(policy, state, approvers)
        if unmet:
            raise PermissionDenied(
                f"This approval would complete the request to move {row.name} version "
                f"{row.version} to {policy_gate.describe_target(key)}, but its promotion "
                f"policy is not met: {'; '.join(unmet)}. Nothing was recorded."
            )

    @staticmethod
    def _approved_event(
        kind: str,
        row: Any,
        request: ApprovalRequest,
        count: int,
        required: int,
        completes: bool,
        text: str,
    ) -> DomainEvent:
        if kind == KIND_STAGE:
            return events.TransitionRequestApproved(
                name=row.name,
                version=row.version,
                request_id=request.id,
                stage=request.target,
                approvals=count,
                required_approvals=required,
                completed=completes,
                comment=text,
            )
        return events.AliasRequestApproved(
            name=row.name,
            version=row.version,
            request_id=request.id,
            alias=request.target,
            approvals=count,
            required_approvals=required,
            completed=completes,
            comment=text,
        )

    def _reject(
        self, kind: str, name: str, version: Version, target: str, comment: str | None
    ) -> ApprovalRequest:
        target = _target(kind, target)
        text = validation.validate_comment(comment, required=False)
        now = self.clock()
        with self.db.write() as conn:
            row = self._locked_version_row(RegistryStore(conn), name, version, now)
            store = ApprovalStore(conn)
            request = self._oldest_open(store, kind, row, target)
            policy = policy_gate.policy_for(conn, row.model_id, row.name, _policy_key(kind, target))
            refusal = rejection_refusal(policy, self.principal)
            if refusal is not None:
                what = _what(kind, row.name, row.version, target)
                said = refusal[0].upper() + refusal[1:]
                raise PermissionDenied(f"{said} the request to move {what}.")
            open_ones = store.open_requests(row.model_id, row.name, row.version, kind, target)
            store.resolve([int(r.id) for r in open_ones], REQUEST_REJECTED, self.actor, text, now)
            for each in open_ones:
                self._record(conn, now, self._closed_event(kind, row, each, text, rejected=True))
            return read_back(store.request(int(request.id), row.name), "The rejected request")

    def _delete(
        self,
        kind: str,
        name: str,
        version: Version,
        target: str,
        creator: str,
        comment: str | None,
    ) -> ApprovalRequest:
        target = _target(kind, target)
        text = validation.validate_comment(comment, required=False)
        if not isinstance(creator, str) or not creator:
            raise InvalidArgument("Missing value for required parameter 'creator'.")
        if creator != self.actor and not self.principal.is_admin:
            raise PermissionDenied(
                f"Only {creator} (who made the request) or an admin may withdraw it; "
                f"the caller is {self.actor}."
            )
        now = self.clock()
        with self.db.write() as conn:
            row = self._locked_version_row(RegistryStore(conn), name, version, now)
            store = ApprovalStore(conn)
            theirs = store.open_requests(
                row.model_id, row.name, row.version, kind, target, creator=creator
            )
            if not theirs:
                what = _what(kind, row.name, row.version, target)
                raise NotFound(f"No open request by {creator} to move {what}")
            store.resolve([int(r.id) for r in theirs], REQUEST_CANCELLED, self.actor, text, now)
            for each in theirs:
                self._record(conn, now, self._closed_event(kind, row, each, text, rejected=False))
            return read_back(store.request(int(theirs[0].id), row.name), "The withdrawn request")

    @staticmethod
    def _closed_event(
        kind: str, row: Any, request: ApprovalRequest, text: str, *, rejected: bool
    ) -> DomainEvent:
        common = {"name": row.name, "version": row.version, "request_id": request.id}
        if kind == KIND_STAGE:
            if rejected:
                return events.TransitionRequestRejected(
                    **common, stage=request.target, comment=text
                )
            return events.TransitionRequestDeleted(
                **common, stage=request.target, creator=request.creator
            )
        if rejected:
            return events.AliasRequestRejected(**common, alias=request.target, comment=text)
        return events.AliasRequestDeleted(**common, alias=request.target, creator=request.creator)

    def _list(self, kind: str, name: str, version: Version) -> list[ApprovalRequest]:
        """Open requests on the version, oldest first."""
        with self.db.read() as conn:
            row = self._version_row(RegistryStore(conn), name, version)
            return ApprovalStore(conn).open_requests(row.model_id, row.name, row.version, kind)

    @staticmethod
    def _oldest_open(store: ApprovalStore, kind: str, row: Any, target: str) -> ApprovalRequest:
        found = store.open_requests(row.model_id, row.name, row.version, kind, target)
        if not found:
            raise NotFound(f"No open request to move {_what(kind, row.name, row.version, target)}")
        return found[0]
