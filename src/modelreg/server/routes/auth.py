"""MLflow's auth REST API (users, per-resource permissions, roles) and modelreg's tokens.

The shapes are those mlflow 3.17.2's ``mlflow.server.auth.client.AuthServiceClient``
sends and reads, so it manages a modelreg server as it manages MLflow's basic-auth app.
Roles are modelreg groups: a role named ``ml-leads`` is ``group:ml-leads`` in a
principal's groups and in policies; a role permission is a grant to that group.
API tokens (modelreg's own) live under ``/api/2.0/modelreg/tokens/*``: the secret is in
the create response only.

Requirements: user management and roles are for admins; a user reads and changes
their own record, password (with the current password) and tokens; granting on a
model or experiment needs MANAGE on it.
"""

from __future__ import annotations

from typing import Any

from modelreg.errors import InvalidArgument, PermissionDenied
from modelreg.server import wire as w
from modelreg.server.authz import (
    ADMIN_ONLY,
    AUTHENTICATED,
    MANAGE,
    ResourcePermission,
    SelfOrAdmin,
)
from modelreg.server.context import Call
from modelreg.server.routing import Endpoint, Field, api_paths
from modelreg.server.schemas import BOOLEAN, EMPTY, INTEGER, STRING, array, obj
from modelreg.service.auth import Level, Role, TokenInfo, User, parse_level
from modelreg.service.auth.service import AuthService

Body = dict[str, Any]
DEFAULT_WORKSPACE = "default"


def _auth(call: Call) -> AuthService:
    return call.services.auth


def _user_json(user: User) -> Body:
    return {"id": user.id, "username": user.username, "is_admin": user.is_admin}


def _username(call: Call) -> str:
    """The user a request names, else the caller."""
    return w.optional_str(call.params, "username") or call.principal.name


def _int(call: Call, name: str) -> int:
    value = call.params.value(name)
    try:
        return int(value)
    except (TypeError, ValueError):
        if value is None:
            raise w.missing_value(name) from None
        raise w.invalid_value(name, value, "an integer") from None


# ------------------------------------------------------------------ users
def create_user(call: Call) -> Body:
    p = call.params
    user = _auth(call).create_user(w.required_str(p, "username"), w.required_str(p, "password"))
    return {"user": _user_json(user)}


def get_user(call: Call) -> Body:
    return {"user": _user_json(_auth(call).get_user(_username(call)))}


def current_user(call: Call) -> Body:
    return {"user": _user_json(_auth(call).get_user(call.principal.name))}


def list_users(call: Call) -> Body:
    return {"users": [_user_json(u) for u in _auth(call).list_users()]}


def update_password(call: Call) -> Body:
    p = call.params
    username = w.required_str(p, "username")
    current = w.optional_str(p, "current_password")
    if not call.principal.is_admin and current is None:
        # Self-service needs the current password (a stolen session cannot lock the
        # owner out); admins resetting someone's password do not.
        raise PermissionDenied("current_password is required to change your own password.")
    _auth(call).update_password(username, w.required_str(p, "password"), current_password=current)
    return {}


def update_admin(call: Call) -> Body:
    p = call.params
    value = p.value("is_admin")
    if not isinstance(value, bool):
        raise w.invalid_value("is_admin", value, "a boolean")
    _auth(call).set_admin(w.required_str(p, "username"), value)
    return {}


def delete_user(call: Call) -> Body:
    username = w.required_str(call.params, "username")
    if username == call.principal.name:
        raise InvalidArgument("An admin cannot delete their own user.")
    _auth(call).delete_user(username)
    return {}


# ------------------------------------------------------------ permissions
def _subject(call: Call) -> str:
    username = w.required_str(call.params, "username")
    _auth(call).get_user(username)  # 404 for an unknown user
    return username


def grant_permission(call: Call) -> Body:
    p = call.params
    level = parse_level(w.required_str(p, "permission"))
    _auth(call).grant(
        _subject(call),
        w.required_str(p, "resource_type"),
        w.required_str(p, "resource_id"),
        level,
    )
    return {}


def revoke_permission(call: Call) -> Body:
    p = call.params
    _auth(call).revoke(
        _subject(call), w.required_str(p, "resource_type"), w.required_str(p, "resource_id")
    )
    return {}


def get_permission(call: Call) -> Body:
    p = call.params
    level = _auth(call).user_level(
        _username(call), w.required_str(p, "resource_type"), w.required_str(p, "resource_id")
    )
    # MLflow: ``allowed`` is the regular access tier (can_use); READ alone is not.
    return {"allowed": level >= Level.USE, "permission": level.name}


def list_permissions(call: Call) -> Body:
    found = _auth(call).grants_of(_username(call))
    return {
        "permissions": [
            {"resource_type": kind, "resource_id": key, "permission": level.name}
            for kind, key, level in found
        ]
    }


# ------------------------------------------------------------------ roles
def _role_json(role: Role, permissions: list[Body] | None = None) -> Body:
    return {
        "id": role.id,
        "name": role.name,
        "workspace": DEFAULT_WORKSPACE,
        "description": role.description,
        "permissions": permissions or [],
    }


def _role_permissions(auth: AuthService, role: Role) -> list[Body]:
    return [
        {
            # An opaque id the client passes back to remove or update the grant.
            "id": f"{kind}:{key}@{role.id}",
            "role_id": role.id,
            "resource_type": kind,
            "resource_pattern": key,
            "permission": level.name,
        }
        for kind, key, level in auth.grants_of(f"group:{role.name}")
    ]


def create_role(call: Call) -> Body:
    p = call.params
    role = _auth(call).create_role(w.required_str(p, "name"), w.optional_str(p, "description"))
    return {"role": _role_json(role)}


def get_role(call: Call) -> Body:
    auth = _auth(call)
    role = auth.get_role(_int(call, "role_id"))
    return {"role": _role_json(role, _role_permissions(auth, role))}


def list_roles(call: Call) -> Body:
    auth = _auth(call)
    return {"roles": [_role_json(r, _role_permissions(auth, r)) for r in auth.list_roles()]}


def update_role(call: Call) -> Body:
    p = call.params
    if w.optional_str(p, "name") is not None:
        raise InvalidArgument("Roles cannot be renamed here: policies name them.")
    role = _auth(call).update_role(_int(call, "role_id"), w.optional_str(p, "description"))
    return {"role": _role_json(role)}


def delete_role(call: Call) -> Body:
    _auth(call).delete_role(_int(call, "role_id"))
    return {}


def _parse_role_permission(call: Call) -> tuple[Role, str, str]:
    text = w.required_str(call.params, "role_permission_id")
    head, _, role_id = text.rpartition("@")
    kind, _, key = head.partition(":")
    if not role_id.isdigit() or not kind or not key:
        raise w.invalid_value("role_permission_id", text, "an id from roles/permissions/list")
    return _auth(call).get_role(int(role_id)), kind, key


def add_role_permission(call: Call) -> Body:
    p = call.params
    auth = _auth(call)
    role = auth.get_role(_int(call, "role_id"))
    kind = w.required_str(p, "resource_type")
    key = w.required_str(p, "resource_pattern")
    level = parse_level(w.required_str(p, "permission"))
    auth.grant(f"group:{role.name}", kind, key, level)
    return {
        "role_permission": {
            "id": f"{kind}:{key}@{role.id}",
            "role_id": role.id,
            "resource_type": kind,
            "resource_pattern": key,
            "permission": level.name,
        }
    }


def update_role_permission(call: Call) -> Body:
    role, kind, key = _parse_role_permission(call)
    level = parse_level(w.required_str(call.params, "permission"))
    _auth(call).grant(f"group:{role.name}", kind, key, level)
    return {
        "role_permission": {
            "id": f"{kind}:{key}@{role.id}",
            "role_id": role.id,
            "resource_type": kind,
            "resource_pattern": key,
            "permission": level.name,
        }
    }


def remove_role_permission(call: Call) -> Body:
    role, kind, key = _parse_role_permission(call)
    _auth(call).revoke(f"group:{role.name}", kind, key)
    return {}


def list_role_permissions(call: Call) -> Body:
    auth = _auth(call)
    return {"role_permissions": _role_permissions(auth, auth.get_role(_int(call, "role_id")))}


def assign_role(call: Call) -> Body:
    user_id, role_id = _auth(call).assign_role(
        w.required_str(call.params, "username"), _int(call, "role_id")
    )
    return {"assignment": {"id": f"{user_id}:{role_id}", "user_id": user_id, "role_id": role_id}}


def unassign_role(call: Call) -> Body:
    _auth(call).unassign_role(w.required_str(call.params, "username"), _int(call, "role_id"))
    return {}


def list_user_roles(call: Call) -> Body:
    return {"roles": [_role_json(r) for r in _auth(call).roles_of(_username(call))]}


def list_role_users(call: Call) -> Body:
    role_id = _int(call, "role_id")
    return {
        "assignments": [
            {"id": f"{user_id}:{role_id}", "user_id": user_id, "role_id": role_id}
            for user_id in _auth(call).role_members(role_id)
        ]
    }


# ----------------------------------------------------------------- tokens
def _token_json(info: TokenInfo) -> Body:
    body: Body = {
        "id": info.id,
        "name": info.name,
        "creation_timestamp": info.creation_timestamp,
        "revoked": info.revoked,
    }
    if info.expiry_timestamp is not None:
        body["expiry_timestamp"] = info.expiry_timestamp
    return body


def create_token(call: Call) -> Body:
    p = call.params
    token, info = _auth(call).create_token(
        _username(call), w.required_str(p, "name"), w.optional_int(p, "expires_in_days")
    )
    # The only time the secret is shown; it is stored as its SHA-256.
    return {"token": token, "token_info": _token_json(info)}


def list_tokens(call: Call) -> Body:
    return {"tokens": [_token_json(t) for t in _auth(call).list_tokens(_username(call))]}


def revoke_token(call: Call) -> Body:
    _auth(call).revoke_token(_username(call), _int(call, "token_id"))
    return {}


# ------------------------------------------------------------------ table
USERNAME = Field("username", STRING, required=True)
OPTIONAL_USERNAME = Field("username", STRING, description="Default: the caller.")
RESOURCE = (
    Field("resource_type", STRING, required=True, description="registered_model | experiment"),
    Field("resource_id", STRING, required=True, description="Model name or experiment id."),
)
ROLE_ID = Field("role_id", INTEGER, required=True)
USER = obj({"user": obj({"id": INTEGER, "username": STRING, "is_admin": BOOLEAN})})
ROLE = obj({"role": {"type": "object"}})
TOKEN_INFO = obj(
    {
        "id": INTEGER,
        "name": STRING,
        "creation_timestamp": INTEGER,
        "expiry_timestamp": INTEGER,
        "revoked": BOOLEAN,
    }
)
SELF_OR_ADMIN = SelfOrAdmin()


def _users(path: str) -> tuple[str, ...]:
    return api_paths(f"/mlflow/users/{path}")


def _v3(path: str) -> tuple[str, ...]:
    return api_paths(f"/mlflow/{path}", since="3.0")


def _auth_endpoint(
    method: str,
    paths: tuple[str, ...],
    operation_id: str,
    summary: str,
    response: Any,
    fields: tuple[Field, ...],
    handler: Any,
    permission: Any,
) -> Endpoint:
    return Endpoint(
        method, paths, operation_id, summary, response, fields, handler,
        tag="auth", permission=permission,
    )  # fmt: skip


ENDPOINTS: tuple[Endpoint, ...] = (
    _auth_endpoint(
        "POST",
        _users("create"),
        "createUser",
        "Create a user (admins only; password: 12+ characters).",
        USER,
        (USERNAME, Field("password", STRING, required=True)),
        create_user,
        ADMIN_ONLY,
    ),
    _auth_endpoint(
        "GET",
        _users("get"),
        "getUser",
        "A user (yourself, or anyone for an admin).",
        USER,
        (USERNAME,),
        get_user,
        SELF_OR_ADMIN,
    ),
    _auth_endpoint(
        "GET",
        _users("current"),
        "getCurrentUser",
        "The calling user.",
        USER,
        (),
        current_user,
        AUTHENTICATED,
    ),
    _auth_endpoint(
        "GET",
        _users("list"),
        "listUsers",
        "Every user (admins only).",
        obj({"users": array(USER)}),
        (),
        list_users,
        ADMIN_ONLY,
    ),
    _auth_endpoint(
        "PATCH",
        _users("update-password"),
        "updateUserPassword",
        "Set a password (your own needs current_password; admins may reset anyone's).",
        EMPTY,
        (
            USERNAME,
            Field("password", STRING, required=True),
            Field("current_password", STRING),
        ),
        update_password,
        SELF_OR_ADMIN,
    ),
    _auth_endpoint(
        "PATCH",
        _users("update-admin"),
        "updateUserAdmin",
        "Make a user an admin or not (admins only).",
        EMPTY,
        (USERNAME, Field("is_admin", BOOLEAN, required=True)),
        update_admin,
        ADMIN_ONLY,
    ),
    _auth_endpoint(
        "DELETE",
        _users("delete"),
        "deleteUser",
        "Delete a user with their tokens and grants (admins only).",
        EMPTY,
        (USERNAME,),
        delete_user,
        ADMIN_ONLY,
    ),
    _auth_endpoint(
        "POST",
        _v3("users/permissions/grant"),
        "grantUserPermission",
        "Set a user's level on a model or experiment (needs MANAGE on it).",
        EMPTY,
        (USERNAME, *RESOURCE, Field("permission", STRING, required=True)),
        grant_permission,
        ResourcePermission(MANAGE),
    ),
    _auth_endpoint(
        "POST",
        _v3("users/permissions/revoke"),
        "revokeUserPermission",
        "Remove a user's grant on a model or experiment (needs MANAGE on it).",
        EMPTY,
        (USERNAME, *RESOURCE),
        revoke_permission,
        ResourcePermission(MANAGE),
    ),
    _auth_endpoint(
        "GET",
        _v3("users/permissions/get"),
        "getUserPermission",
        "A user's effective level on a model or experiment (yourself, or an admin).",
        obj({"allowed": BOOLEAN, "permission": STRING}),
        (OPTIONAL_USERNAME, *RESOURCE),
        get_permission,
        SELF_OR_ADMIN,
    ),
    _auth_endpoint(
        "GET",
        _v3("users/permissions/list"),
        "listUserPermissions",
        "A user's explicit grants (yourself, or an admin).",
        obj({"permissions": array({"type": "object"})}),
        (OPTIONAL_USERNAME,),
        list_permissions,
        SELF_OR_ADMIN,
    ),
    _auth_endpoint(
        "POST",
        _v3("roles/create"),
        "createRole",
        "Create a role (a group: group:<name>); admins only.",
        ROLE,
        (
            Field("workspace", STRING),
            Field("name", STRING, required=True),
            Field("description", STRING),
        ),
        create_role,
        ADMIN_ONLY,
    ),
    _auth_endpoint(
        "GET", _v3("roles/get"), "getRole", "A role.", ROLE, (ROLE_ID,), get_role, ADMIN_ONLY
    ),
    _auth_endpoint(
        "GET",
        _v3("roles/list"),
        "listRoles",
        "Every role.",
        obj({"roles": array({"type": "object"})}),
        (Field("workspace", STRING),),
        list_roles,
        ADMIN_ONLY,
    ),
    _auth_endpoint(
        "PATCH",
        _v3("roles/update"),
        "updateRole",
        "Set a role's description.",
        ROLE,
        (ROLE_ID, Field("name", STRING), Field("description", STRING)),
        update_role,
        ADMIN_ONLY,
    ),
    _auth_endpoint(
        "DELETE",
        _v3("roles/delete"),
        "deleteRole",
        "Delete a role with its grants and memberships.",
        EMPTY,
        (ROLE_ID,),
        delete_role,
        ADMIN_ONLY,
    ),
    _auth_endpoint(
        "POST",
        _v3("roles/permissions/add"),
        "addRolePermission",
        "Grant a role a level on a model or experiment.",
        obj({"role_permission": {"type": "object"}}),
        (
            ROLE_ID,
            Field("resource_type", STRING, required=True),
            Field("resource_pattern", STRING, required=True),
            Field("permission", STRING, required=True),
        ),
        add_role_permission,
        ADMIN_ONLY,
    ),
    _auth_endpoint(
        "DELETE",
        _v3("roles/permissions/remove"),
        "removeRolePermission",
        "Remove a role's grant.",
        EMPTY,
        (Field("role_permission_id", STRING, required=True),),
        remove_role_permission,
        ADMIN_ONLY,
    ),
    _auth_endpoint(
        "PATCH",
        _v3("roles/permissions/update"),
        "updateRolePermission",
        "Change a role grant's level.",
        obj({"role_permission": {"type": "object"}}),
        (
            Field("role_permission_id", STRING, required=True),
            Field("permission", STRING, required=True),
        ),
        update_role_permission,
        ADMIN_ONLY,
    ),
    _auth_endpoint(
        "GET",
        _v3("roles/permissions/list"),
        "listRolePermissions",
        "A role's grants.",
        obj({"role_permissions": array({"type": "object"})}),
        (ROLE_ID,),
        list_role_permissions,
        ADMIN_ONLY,
    ),
    _auth_endpoint(
        "POST",
        _v3("roles/assign"),
        "assignRole",
        "Add a user to a role.",
        obj({"assignment": {"type": "object"}}),
        (USERNAME, ROLE_ID),
        assign_role,
        ADMIN_ONLY,
    ),
    _auth_endpoint(
        "DELETE",
        _v3("roles/unassign"),
        "unassignRole",
        "Remove a user from a role.",
        EMPTY,
        (USERNAME, ROLE_ID),
        unassign_role,
        ADMIN_ONLY,
    ),
    _auth_endpoint(
        "GET",
        _v3("users/roles/list"),
        "listUserRoles",
        "A user's roles (yourself, or an admin).",
        obj({"roles": array({"type": "object"})}),
        (OPTIONAL_USERNAME,),
        list_user_roles,
        SELF_OR_ADMIN,
    ),
    _auth_endpoint(
        "GET",
        _v3("roles/users/list"),
        "listRoleUsers",
        "A role's members.",
        obj({"assignments": array({"type": "object"})}),
        (ROLE_ID,),
        list_role_users,
        ADMIN_ONLY,
    ),
    _auth_endpoint(
        "POST",
        api_paths("/modelreg/tokens/create"),
        "createToken",
        "Create an API token (Bearer); the response is the only time it is shown.",
        obj({"token": STRING, "token_info": TOKEN_INFO}),
        (
            Field("name", STRING, required=True),
            Field("expires_in_days", INTEGER, description="1-3650; absent: no expiry."),
            OPTIONAL_USERNAME,
        ),
        create_token,
        SELF_OR_ADMIN,
    ),
    _auth_endpoint(
        "GET",
        api_paths("/modelreg/tokens/list"),
        "listTokens",
        "Your API tokens (never their secrets).",
        obj({"tokens": array(TOKEN_INFO)}),
        (OPTIONAL_USERNAME,),
        list_tokens,
        SELF_OR_ADMIN,
    ),
    _auth_endpoint(
        "POST",
        api_paths("/modelreg/tokens/revoke"),
        "revokeToken",
        "Revoke one of your API tokens.",
        EMPTY,
        (Field("token_id", INTEGER, required=True), OPTIONAL_USERNAME),
        revoke_token,
        SELF_OR_ADMIN,
    ),
)
