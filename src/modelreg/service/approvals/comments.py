"""Comments on model versions (Databricks' comments API): post, edit, delete, list."""

from __future__ import annotations

from modelreg import events, validation
from modelreg.approval_entities import Comment
from modelreg.errors import InvalidArgument, NotFound, PermissionDenied
from modelreg.principal import Principal
from modelreg.protocols import Version
from modelreg.service.approvals._base import ApprovalsBase
from modelreg.service.registry._base import read_back
from modelreg.store.approvals import ApprovalStore
from modelreg.store.registry import RegistryStore


def _comment_id(comment_id: object) -> int:
    text = str(comment_id).strip() if isinstance(comment_id, str | int) else ""
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise InvalidArgument(f"Invalid comment id {str(comment_id)[:40]!r}: expected a number.")
    return int(text)


def may_change_comment(who: Principal, comment: Comment) -> bool:
    """Whether ``who`` may edit or delete ``comment``: its author, or an admin."""
    return comment.user_id == who.name or who.is_admin


class Comments(ApprovalsBase):
    """Markdown comments on a version; only their author (or an admin) edits or deletes."""

    def create_comment(self, name: str, version: Version, comment: str) -> Comment:
        text = validation.validate_comment(comment, required=True)
        now = self.clock()
        with self.db.write() as conn:
            row = self._version_row(RegistryStore(conn), name, version)
            store = ApprovalStore(conn)
            new_id = store.insert_comment(row.model_id, row.version, self.actor, text, now)
            self._record(
                conn,
                now,
                events.CommentCreated(
                    name=row.name, version=row.version, comment_id=str(new_id), comment=text
                ),
            )
            return read_back(store.comment(new_id), "The new comment")

    def update_comment(self, id: str, comment: str) -> Comment:
        text = validation.validate_comment(comment, required=True)
        now = self.clock()
        with self.db.write() as conn:
            store = ApprovalStore(conn)
            found = self._own_comment(store, _comment_id(id), "edit")
            store.update_comment(int(found.id), text, now)
            self._record(
                conn,
                now,
                events.CommentUpdated(
                    name=found.name, version=int(found.version), comment_id=found.id, comment=text
                ),
            )
            return read_back(store.comment(int(found.id)), "The edited comment")

    def delete_comment(self, id: str) -> None:
        now = self.clock()
        with self.db.write() as conn:
            store = ApprovalStore(conn)
            found = self._own_comment(store, _comment_id(id), "delete")
            store.delete_comment(int(found.id))
            self._record(
                conn,
                now,
                events.CommentDeleted(
                    name=found.name, version=int(found.version), comment_id=found.id
                ),
            )

    def list_comments(self, name: str, version: Version) -> list[Comment]:
        """The version's comments, oldest first (newest last)."""
        name = validation.validate_model_name(name)
        with self.db.read() as conn:
            row = self._version_row(RegistryStore(conn), name, version)
            return ApprovalStore(conn).comments_of(row.model_id, row.name, row.version)

    def _own_comment(self, store: ApprovalStore, comment_id: int, action: str) -> Comment:
        found = store.comment(comment_id)
        if found is None:
            raise NotFound(f"Comment with id={comment_id} not found")
        if not may_change_comment(self.principal, found):
            raise PermissionDenied(
                f"Only the author of comment {comment_id} ({found.user_id}) or an admin may "
                f"{action} it; the caller is {self.actor}."
            )
        return found
