"""Approvals: Databricks' comments and transition-request API, and modelreg's own
alias requests, promotion policies and status checks under ``/api/2.0/modelreg/``.

Paths, fields and response shapes of the Databricks part are those of
``databricks.sdk.service.ml.ModelRegistryAPI`` (databricks-sdk 0.167.0), so
``WorkspaceClient(host=…, token=…).model_registry`` works unchanged. Handlers parse,
make one service call and render; every rule lives in ``service.approvals``.
"""

from __future__ import annotations

from typing import Any, Final

from modelreg.codec import approvals as ac
from modelreg.codec import registry as rc
from modelreg.server import wire as w
from modelreg.server.authz import AUTHENTICATED, EDIT, MANAGE, READ, ModelPermission
from modelreg.server.context import Call
from modelreg.server.routing import Endpoint, Field, api_paths, group
from modelreg.server.schemas import (
    ALIAS_NAME,
    BOOLEAN,
    EMPTY,
    INTEGER,
    MODEL_NAME,
    STAGE,
    STRING,
    TIMESTAMP,
    VERSION,
    VERSION_NUMBER,
    array,
    obj,
    ref,
)
from modelreg.service.approvals import ApprovalsService

Body = dict[str, Any]


def _approvals(call: Call) -> ApprovalsService:
    return call.services.approvals.as_actor(call.principal)


def _optional_object(call: Call, name: str) -> dict[str, Any] | None:
    value = call.params.value(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise w.invalid_value(name, value, "an object of string keys to string values")
    return value


def _required_bool(call: Call, name: str) -> bool:
    if call.params.value(name) is None:
        raise w.missing_value(name)
    return w.optional_bool(call.params, name)


def _version(call: Call) -> tuple[str, str | int]:
    return w.required_str(call.params, "name"), w.required_version(call.params)


def _move(call: Call, target: str) -> tuple[str, str | int, str]:
    """What names a request: model, version and the ``stage`` or ``alias`` asked for."""
    return *_version(call), w.required_str(call.params, target)


def _comment(call: Call) -> str | None:
    return w.optional_str(call.params, "comment")


# ----------------------------------------------------------------- comments
def create_comment(call: Call) -> Body:
    found = _approvals(call).create_comment(*_version(call), w.required_str(call.params, "comment"))
    return {"comment": ac.comment_json(found, call.actor)}


def update_comment(call: Call) -> Body:
    p = call.params
    found = _approvals(call).update_comment(w.required_str(p, "id"), w.required_str(p, "comment"))
    return {"comment": ac.comment_json(found, call.actor)}


def delete_comment(call: Call) -> Body:
    _approvals(call).delete_comment(w.required_str(call.params, "id"))
    return {}


def list_comments(call: Call) -> Body:
    found = _approvals(call).list_comments(*_version(call))
    return {"comments": [ac.comment_json(c, call.actor) for c in found]}


# ------------------------------------------------------ transition requests
def _activity(call: Call, found: Any) -> Body:
    return {
        "activity": ac.activity_json(found, call.actor, _comment(call) or ""),
        "request": ac.request_json(found),
    }


def create_transition_request(call: Call) -> Body:
    found = _approvals(call).create_transition_request(*_move(call, "stage"), _comment(call))
    return {"request": ac.request_json(found)}


def approve_transition_request(call: Call) -> Body:
    found = _approvals(call).approve_transition_request(
        *_move(call, "stage"), _required_bool(call, "archive_existing_versions"), _comment(call)
    )
    return _activity(call, found)


def reject_transition_request(call: Call) -> Body:
    found = _approvals(call).reject_transition_request(*_move(call, "stage"), _comment(call))
    return _activity(call, found)


def list_transition_requests(call: Call) -> Body:
    found = _approvals(call).list_transition_requests(*_version(call))
    return {"requests": [ac.request_json(r) for r in found]}


def delete_transition_request(call: Call) -> Body:
    found = _approvals(call).delete_transition_request(
        *_move(call, "stage"), w.required_str(call.params, "creator"), _comment(call)
    )
    return _activity(call, found)


def databricks_transition_stage(call: Call) -> Body:
    """Databricks' transition-stage: the MLflow move (policy-gated), Databricks' reply.

    The comment is recorded in the move's event; Databricks' reply
    (``model_version_databricks``) has no field for it, so it is not echoed.
    """
    moved = _approvals(call).transition_stage(
        *_move(call, "stage"), _required_bool(call, "archive_existing_versions"), _comment(call)
    )
    return {"model_version_databricks": rc.model_version_json(moved)}


# ----------------------------------------------------------- alias requests
def create_alias_request(call: Call) -> Body:
    found = _approvals(call).create_alias_request(*_move(call, "alias"), _comment(call))
    return {"request": ac.request_json(found)}


def approve_alias_request(call: Call) -> Body:
    found = _approvals(call).approve_alias_request(*_move(call, "alias"), _comment(call))
    return {"request": ac.request_json(found)}


def reject_alias_request(call: Call) -> Body:
    found = _approvals(call).reject_alias_request(*_move(call, "alias"), _comment(call))
    return {"request": ac.request_json(found)}


def list_alias_requests(call: Call) -> Body:
    found = _approvals(call).list_alias_requests(*_version(call))
    return {"requests": [ac.request_json(r) for r in found]}


def delete_alias_request(call: Call) -> Body:
    found = _approvals(call).delete_alias_request(
        *_move(call, "alias"), w.required_str(call.params, "creator"), _comment(call)
    )
    return {"request": ac.request_json(found)}


# ------------------------------------------------------- promotion policies
def set_policy(call: Call) -> Body:
    p = call.params
    approvals = w.optional_int(p, "required_approvals")
    policy = _approvals(call).set_promotion_policy(
        w.required_str(p, "name"),
        w.required_str(p, "target"),
        0 if approvals is None else approvals,
        w.optional_strings(p, "approvers"),
        w.optional_bool(p, "four_eyes"),
        _optional_object(call, "required_tags"),
        w.optional_strings(p, "required_checks"),
        w.optional_bool(p, "require_integrity"),
    )
    return {"policy": ac.policy_json(policy)}


def get_policy(call: Call) -> Body:
    p = call.params
    policy = _approvals(call).get_promotion_policy(
        w.required_str(p, "name"), w.required_str(p, "target")
    )
    return {"policy": ac.policy_json(policy)}


def list_policies(call: Call) -> Body:
    found = _approvals(call).list_promotion_policies(w.required_str(call.params, "name"))
    return {"policies": [ac.policy_json(policy) for policy in found]}


def delete_policy(call: Call) -> Body:
    p = call.params
    _approvals(call).delete_promotion_policy(w.required_str(p, "name"), w.required_str(p, "target"))
    return {}


# ------------------------------------------------------------ status checks
def set_check(call: Call) -> Body:
    p = call.params
    check = _approvals(call).set_status_check(
        *_version(call),
        w.required_str(p, "check_name"),
        w.required_str(p, "state"),
        w.optional_str(p, "details_url"),
        w.optional_str(p, "description"),
    )
    return {"check": ac.check_json(check)}


def list_checks(call: Call) -> Body:
    found = _approvals(call).list_status_checks(
        *_version(call), w.optional_bool(call.params, "history")
    )
    return {"checks": [ac.check_json(check) for check in found]}


# ------------------------------------------------------------------ the table
# Reading a version's collaboration state, commenting and asking for a move need READ
# (anyone who sees a version may discuss it or ask for it to move); approving,
# rejecting, moving directly and posting CI checks need EDIT (a promotion policy narrows
# who may approve further); policies are changed with MANAGE. A comment named by id is
# checked by the service (its author, or an admin).
_READ: Final = ModelPermission(READ)
_EDIT: Final = ModelPermission(EDIT)
_MANAGE: Final = ModelPermission(MANAGE)
NAME = Field("name", MODEL_NAME, required=True)
VERSION_FIELD = Field("version", VERSION_NUMBER, required=True)
STAGE_FIELD = Field("stage", STAGE, required=True)
ALIAS_FIELD = Field("alias", ALIAS_NAME, required=True)
COMMENT = Field("comment", STRING, description="Markdown, stored as written.")
ARCHIVE = Field(
    "archive_existing_versions",
    BOOLEAN,
    required=True,
    description="Archive the versions already in the target stage.",
)
CREATOR = Field("creator", STRING, required=True, description="Who made the request.")
TARGET = Field("target", STRING, required=True, description="A stage, or @alias.")

COMMENT_OBJ = obj(
    {
        "id": STRING,
        "name": STRING,
        "version": VERSION,
        "user_id": STRING,
        "comment": STRING,
        "creation_timestamp": TIMESTAMP,
        "last_updated_timestamp": TIMESTAMP,
        "available_actions": array(STRING),
    }
)
APPROVAL_OBJ = obj({"approver": STRING, "timestamp": TIMESTAMP, "comment": STRING})
REQUEST_OBJ = obj(
    {
        "id": STRING,
        "name": STRING,
        "version": VERSION,
        "kind": {"type": "string", "enum": ["stage", "alias"]},
        "target": STRING,
        "to_stage": STRING,
        "alias": STRING,
        "from_stage": STRING,
        "status": {"type": "string", "enum": ["open", "approved", "rejected", "cancelled"]},
        "activity_type": STRING,
        "user_id": STRING,
        "creator": STRING,
        "comment": STRING,
        "creation_timestamp": TIMESTAMP,
        "last_updated_timestamp": TIMESTAMP,
        "approvals": array(APPROVAL_OBJ),
        "available_actions": array(STRING),
    }
)
ACTIVITY_OBJ = obj(
    {
        "id": STRING,
        "activity_type": STRING,
        "from_stage": STRING,
        "to_stage": STRING,
        "user_id": STRING,
        "comment": STRING,
        "creation_timestamp": TIMESTAMP,
        "last_updated_timestamp": TIMESTAMP,
    }
)
POLICY_OBJ = obj(
    {
        "name": STRING,
        "target": STRING,
        "required_approvals": INTEGER,
        "approvers": array(STRING),
        "four_eyes": BOOLEAN,
        "required_tags": {"type": "object", "additionalProperties": STRING},
        "required_checks": array(STRING),
        "require_integrity": BOOLEAN,
        "updated_by": STRING,
        "last_updated_timestamp": TIMESTAMP,
    }
)
CHECK_OBJ = obj(
    {
        "name": STRING,
        "version": VERSION,
        "check_name": STRING,
        "state": {"type": "string", "enum": ["pending", "success", "failure", "error"]},
        "details_url": STRING,
        "description": STRING,
        "actor": STRING,
        "timestamp": TIMESTAMP,
    }
)
ACTIVITY_REPLY = obj({"activity": ACTIVITY_OBJ, "request": REQUEST_OBJ})


def _db(path: str) -> tuple[str, ...]:
    return api_paths(f"/mlflow/{path}")


def _ext(path: str) -> tuple[str, ...]:
    return api_paths(f"/modelreg/{path}")


DATABRICKS: tuple[Endpoint, ...] = group(
    Endpoint(
        "POST",
        _db("comments/create"),
        "createComment",
        "Comment on a model version (Markdown).",
        obj({"comment": COMMENT_OBJ}),
        (NAME, VERSION_FIELD, Field("comment", STRING, required=True)),
        create_comment,
        permission=_READ,
    ),
    Endpoint(
        "PATCH",
        _db("comments/update"),
        "updateComment",
        "Edit a comment (its author or an admin).",
        obj({"comment": COMMENT_OBJ}),
        (Field("id", STRING, required=True), Field("comment", STRING, required=True)),
        update_comment,
        permission=AUTHENTICATED,
    ),
    Endpoint(
        "DELETE",
        _db("comments/delete"),
        "deleteComment",
        "Delete a comment (its author or an admin).",
        EMPTY,
        (Field("id", STRING, required=True),),
        delete_comment,
        permission=AUTHENTICATED,
    ),
    Endpoint(
        "GET",
        _db("comments/list"),
        "listComments",
        "A version's comments, newest last (modelreg extension).",
        obj({"comments": array(COMMENT_OBJ)}),
        (NAME, VERSION_FIELD),
        list_comments,
        permission=_READ,
    ),
    Endpoint(
        "POST",
        _db("transition-requests/create"),
        "createTransitionRequest",
        "Ask for a version to move to a stage.",
        obj({"request": REQUEST_OBJ}),
        (NAME, VERSION_FIELD, STAGE_FIELD, COMMENT),
        create_transition_request,
        permission=_READ,
    ),
    Endpoint(
        "POST",
        _db("transition-requests/approve"),
        "approveTransitionRequest",
        "Approve the oldest open request; the approval completing it moves the version.",
        ACTIVITY_REPLY,
        (NAME, VERSION_FIELD, STAGE_FIELD, ARCHIVE, COMMENT),
        approve_transition_request,
        permission=_EDIT,
    ),
    Endpoint(
        "POST",
        _db("transition-requests/reject"),
        "rejectTransitionRequest",
        "Reject the open requests to move a version to a stage.",
        ACTIVITY_REPLY,
        (NAME, VERSION_FIELD, STAGE_FIELD, COMMENT),
        reject_transition_request,
        permission=_EDIT,
    ),
    Endpoint(
        "GET",
        _db("transition-requests/list"),
        "listTransitionRequests",
        "Open transition requests on a version, oldest first.",
        obj({"requests": array(REQUEST_OBJ)}),
        (NAME, VERSION_FIELD),
        list_transition_requests,
        permission=_READ,
    ),
    Endpoint(
        "DELETE",
        _db("transition-requests/delete"),
        "deleteTransitionRequest",
        "Withdraw a transition request (its creator or an admin).",
        ACTIVITY_REPLY,
        (NAME, VERSION_FIELD, STAGE_FIELD, CREATOR, COMMENT),
        delete_transition_request,
        permission=_READ,
    ),
    Endpoint(
        "POST",
        _db("databricks/model-versions/transition-stage"),
        "databricksTransitionStage",
        "Move a version to a stage (Databricks' shape; promotion policies apply).",
        obj({"model_version_databricks": ref("ModelVersion")}),
        (
            NAME,
            VERSION_FIELD,
            STAGE_FIELD,
            ARCHIVE,
            Field(
                "comment",
                STRING,
                description="Markdown, stored as written in the model_version."
                "stage_transitioned event.",
            ),
        ),
        databricks_transition_stage,
        permission=_EDIT,
    ),
    tag="databricks",
)
MODELREG: tuple[Endpoint, ...] = group(
    Endpoint(
        "POST",
        _ext("alias-requests/create"),
        "createAliasRequest",
        "Ask for an alias to point at a version.",
        obj({"request": REQUEST_OBJ}),
        (NAME, VERSION_FIELD, ALIAS_FIELD, COMMENT),
        create_alias_request,
        permission=_READ,
    ),
    Endpoint(
        "POST",
        _ext("alias-requests/approve"),
        "approveAliasRequest",
        "Approve the oldest open alias request; the approval completing it sets the alias.",
        obj({"request": REQUEST_OBJ}),
        (NAME, VERSION_FIELD, ALIAS_FIELD, COMMENT),
        approve_alias_request,
        permission=_EDIT,
    ),
    Endpoint(
        "POST",
        _ext("alias-requests/reject"),
        "rejectAliasRequest",
        "Reject the open requests to point an alias at a version.",
        obj({"request": REQUEST_OBJ}),
        (NAME, VERSION_FIELD, ALIAS_FIELD, COMMENT),
        reject_alias_request,
        permission=_EDIT,
    ),
    Endpoint(
        "GET",
        _ext("alias-requests/list"),
        "listAliasRequests",
        "Open alias requests on a version, oldest first.",
        obj({"requests": array(REQUEST_OBJ)}),
        (NAME, VERSION_FIELD),
        list_alias_requests,
        permission=_READ,
    ),
    Endpoint(
        "DELETE",
        _ext("alias-requests/delete"),
        "deleteAliasRequest",
        "Withdraw an alias request (its creator or an admin).",
        obj({"request": REQUEST_OBJ}),
        (NAME, VERSION_FIELD, ALIAS_FIELD, CREATOR, COMMENT),
        delete_alias_request,
        permission=_READ,
    ),
    Endpoint(
        "POST",
        _ext("policies/set"),
        "setPromotionPolicy",
        "Create or replace the promotion policy of a model's stage or @alias.",
        obj({"policy": POLICY_OBJ}),
        (
            NAME,
            TARGET,
            Field("required_approvals", INTEGER),
            Field("approvers", array(STRING), description="Users or group:<name>."),
            Field("four_eyes", BOOLEAN),
            Field("required_tags", {"type": "object", "additionalProperties": STRING}),
            Field("required_checks", array(STRING)),
            Field("require_integrity", BOOLEAN),
        ),
        set_policy,
        permission=_MANAGE,
    ),
    Endpoint(
        "GET",
        _ext("policies/get"),
        "getPromotionPolicy",
        "The promotion policy of a model's stage or @alias.",
        obj({"policy": POLICY_OBJ}),
        (NAME, TARGET),
        get_policy,
        permission=_READ,
    ),
    Endpoint(
        "GET",
        _ext("policies/list"),
        "listPromotionPolicies",
        "Every promotion policy of a model.",
        obj({"policies": array(POLICY_OBJ)}),
        (NAME,),
        list_policies,
        permission=_READ,
    ),
    Endpoint(
        "DELETE",
        _ext("policies/delete"),
        "deletePromotionPolicy",
        "Delete the promotion policy of a model's stage or @alias.",
        EMPTY,
        (NAME, TARGET),
        delete_policy,
        permission=_MANAGE,
    ),
    Endpoint(
        "POST",
        _ext("checks/set"),
        "setStatusCheck",
        "Post a status check (a CI result) on a version.",
        obj({"check": CHECK_OBJ}),
        (
            NAME,
            VERSION_FIELD,
            Field("check_name", STRING, required=True),
            Field("state", STRING, required=True, description="pending|success|failure|error"),
            Field("details_url", STRING),
            Field("description", STRING),
        ),
        set_check,
        permission=_EDIT,
    ),
    Endpoint(
        "GET",
        _ext("checks/list"),
        "listStatusChecks",
        "The latest result per check name of a version (every posting with history=true).",
        obj({"checks": array(CHECK_OBJ)}),
        (NAME, VERSION_FIELD, Field("history", BOOLEAN)),
        list_checks,
        permission=_READ,
    ),
    tag="modelreg",
)
ENDPOINTS: tuple[Endpoint, ...] = (*DATABRICKS, *MODELREG)

__all__ = ["ENDPOINTS"]
