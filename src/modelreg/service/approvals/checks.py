"""Status checks: CI results posted on a version, like commit statuses."""

from __future__ import annotations

from modelreg import events, validation
from modelreg.approval_entities import CHECK_STATES, StatusCheck
from modelreg.entities import version_text
from modelreg.errors import InvalidArgument
from modelreg.protocols import Version
from modelreg.service.approvals._base import ApprovalsBase
from modelreg.store.approvals import ApprovalStore
from modelreg.store.registry import RegistryStore

MAX_CHECK_NAME = 255
MAX_CHECK_TEXT = 8000


def _text(value: object, field: str, limit: int, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidArgument(f"A status check's {field} must be a non-empty string.")
    if len(value) > limit:
        raise InvalidArgument(
            f"A status check's {field} is {len(value)} characters long; at most {limit} "
            "are allowed."
        )
    return value


class Checks(ApprovalsBase):
    """Post a check result on a version; read the latest per check (or every posting)."""

    def set_status_check(
        self,
        name: str,
        version: Version,
        check_name: str,
        state: str,
        details_url: str | None = None,
        description: str | None = None,
    ) -> StatusCheck:
        check_name = _text(check_name, "check_name", MAX_CHECK_NAME, required=True)
        wanted = state.lower() if isinstance(state, str) else state
        if wanted not in CHECK_STATES:
            raise InvalidArgument(
                f"Invalid status check state {state!r}: must be one of {', '.join(CHECK_STATES)}."
            )
        now = self.clock()
        with self.db.write() as conn:
            row = self._version_row(RegistryStore(conn), name, version)
            check = StatusCheck(
                name=row.name,
                version=version_text(row.version),
                check_name=check_name,
                state=str(wanted),
                actor=self.actor,
                timestamp=now,
                details_url=_text(details_url, "details_url", MAX_CHECK_TEXT),
                description=_text(description, "description", MAX_CHECK_TEXT),
            )
            ApprovalStore(conn).insert_check(row.model_id, row.version, check)
            self._record(
                conn,
                now,
                events.StatusCheckSet(
                    name=row.name,
                    version=row.version,
                    check_name=check.check_name,
                    state=check.state,
                    details_url=check.details_url,
                    description=check.description,
                ),
            )
            return check

    def list_status_checks(
        self, name: str, version: Version, history: bool = False
    ) -> list[StatusCheck]:
        """The latest result per check name; every posting, oldest first, with ``history``."""
        name = validation.validate_model_name(name)
        with self.db.read() as conn:
            row = self._version_row(RegistryStore(conn), name, version)
            return ApprovalStore(conn).checks(row.model_id, row.name, row.version, history=history)
