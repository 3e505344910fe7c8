"""The approval workflow in the UI: requests, status checks, comments and policies.

Sections (registered by :func:`add_sections`) read through ``services.approvals``
acting as the caller; the POST routes (:func:`approval_routes`) go through the same
service, so a policy, a four-eyes rule or an author check refuses here exactly as it
does on the API, and the refusal is the error page with the server's message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from modelreg.approval_entities import KIND_ALIAS, KIND_STAGE, ApprovalRequest, PromotionPolicy
from modelreg.errors import InvalidArgument
from modelreg.policies import approval_refusal, rejection_refusal
from modelreg.principal import Principal
from modelreg.server.authz import AUTHENTICATED, EDIT, MANAGE, READ, ModelPermission, Requirement
from modelreg.server.ui.format import path_part
from modelreg.server.ui.sections import Section, SectionContext, Sections
from modelreg.service import policy_gate
from modelreg.service.approvals.comments import may_change_comment
from modelreg.service.assembly import Services

Change = Callable[[Principal, Mapping[str, str], dict[str, str]], str]
Acting = Callable[[Principal], Services]
RouteSpec = tuple[str, Requirement, Change, list[str]]
CHECK_STATES_SHOWN = ("success", "failure", "error", "pending")
VERSION_PATH = "/models/{name}/versions/{version}"


def requirements_of(policy: PromotionPolicy) -> list[str]:
    """A policy's requirements, as sentences for the page."""
    said: list[str] = []
    if policy.required_approvals:
        who = f" from {', '.join(policy.approvers)}" if policy.approvers else ""
        said.append(f"{policy.required_approvals} approval(s){who}")
    elif policy.approvers:
        said.append(f"approvers: {', '.join(policy.approvers)}")
    if policy.four_eyes:
        said.append("four eyes (not the requester or the version's creator)")
    said.extend(f"tag {k} = {v}" for k, v in sorted(policy.required_tags.items()))
    said.extend(f"status check {c} succeeded" for c in policy.required_checks)
    if policy.require_integrity:
        said.append("files match their manifest")
    return said or ["no requirements"]


def _protected(policies: list[PromotionPolicy]) -> list[dict[str, Any]]:
    return [
        {
            "target": p.target,
            "kind": KIND_ALIAS if p.target.startswith("@") else KIND_STAGE,
            "requirements": requirements_of(p),
            "policy": p,
        }
        for p in policies
    ]


def _version_of(context: SectionContext) -> int:
    if context.version is None:
        raise InvalidArgument("This section belongs on a version page.")
    return context.version


def _requests(context: SectionContext) -> Mapping[str, Any]:
    approvals = context.services.approvals
    version = _version_of(context)
    found = approvals.list_transition_requests(context.name, version)
    found += approvals.list_alias_requests(context.name, version)
    policies = approvals.list_promotion_policies(context.name)
    return {
        "requests": [_offered(context, r, policies) for r in found],
        "protected": _protected(policies),
    }


def _offered(
    context: SectionContext, request: ApprovalRequest, policies: list[PromotionPolicy]
) -> dict[str, Any]:
    """A request and what the caller may do with it: the route's level (``can``), then
    the rules the service applies (the policy's approvers, four eyes, one approval
    each), from the same functions the service asks."""
    key = (
        policy_gate.alias_target(request.target)
        if request.kind == KIND_ALIAS
        else policy_gate.stage_target(request.target)
    )
    policy = next((p for p in policies if p.target == key), None)
    who = context.principal
    approved_by = [a.approver for a in request.approvals]
    refusal = approval_refusal(policy, who, request.creator, context.version_creator, approved_by)
    return {
        "request": request,
        "approve": context.can.get("approve", False) and refusal is None,
        "reject": context.can.get("reject", False) and rejection_refusal(policy, who) is None,
        # Only the requester withdraws (the form names the caller as the creator).
        "withdraw": context.can.get("withdraw", False) and request.creator == who.name,
        "refusal": refusal if context.can.get("approve", False) else None,
    }


def _checks(context: SectionContext) -> Mapping[str, Any]:
    return {
        "checks": context.services.approvals.list_status_checks(context.name, _version_of(context))
    }


def _comments(context: SectionContext) -> Mapping[str, Any]:
    found = context.services.approvals.list_comments(context.name, _version_of(context))
    who, can = context.principal, context.can
    return {
        "comments": found,
        # The ids of the comments the caller may edit and delete: the service's rule.
        "changeable": {
            c.id for c in found if can.get("edit_comment", False) and may_change_comment(who, c)
        },
    }


def _policies(context: SectionContext) -> Mapping[str, Any]:
    return {
        "protected": _protected(context.services.approvals.list_promotion_policies(context.name))
    }


MODEL_REQUESTS_SHOWN = 50


def _model_requests(context: SectionContext) -> Mapping[str, Any]:
    found = context.services.approvals.list_open_requests(
        context.name, max_results=MODEL_REQUESTS_SHOWN + 1
    )
    return {"requests": found[:MODEL_REQUESTS_SHOWN], "more": len(found) > MODEL_REQUESTS_SHOWN}


def add_sections(sections: Sections) -> None:
    """The approval panels: requests, checks and comments on versions; policies on models."""
    v = VERSION_PATH
    sections.add(
        "version",
        Section(
            "requests",
            "Requests",
            "sections/requests.html",
            _requests,
            100,
            {
                "request": f"{v}/requests",
                "approve": f"{v}/requests/approve",
                "reject": f"{v}/requests/reject",
                "withdraw": f"{v}/requests/withdraw",
            },
        ),
    )
    sections.add(
        "version", Section("checks", "Status checks", "sections/checks.html", _checks, 110)
    )
    sections.add(
        "version",
        Section(
            "comments",
            "Comments",
            "sections/comments.html",
            _comments,
            200,
            {
                "comment": f"{v}/comments",
                "edit_comment": f"{v}/comments/{{comment_id}}/edit",
                "delete_comment": f"{v}/comments/{{comment_id}}/delete",
            },
        ),
    )
    sections.add(
        "model",
        Section(
            "policies",
            "Promotion policies",
            "sections/policies.html",
            _policies,
            100,
            {
                "set_policy": "/models/{name}/policies",
                "delete_policy": "/models/{name}/policies/delete",
            },
        ),
    )
    sections.add(
        "model",
        Section("requests", "Open requests", "sections/model_requests.html", _model_requests, 110),
    )


def _required(form: Mapping[str, str], key: str) -> str:
    value = form.get(key, "").strip()
    if not value:
        raise InvalidArgument(f"The form field '{key}' is required.")
    return value


def _kind(form: Mapping[str, str]) -> str:
    kind = form.get("kind", KIND_STAGE)
    if kind not in (KIND_STAGE, KIND_ALIAS):
        raise InvalidArgument(f"Invalid request kind {kind!r}: must be 'stage' or 'alias'.")
    return kind


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def _tags(text: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for part in _names(text):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise InvalidArgument(
                f"Invalid required tag {part!r}: write key=value, separated by commas."
            )
        tags[key.strip()] = value.strip()
    return tags


def _count(text: str) -> int:
    try:
        return int(text.strip() or "0")
    except ValueError:
        raise InvalidArgument(
            f"Invalid required approvals {text!r}: must be a whole number."
        ) from None


def approval_routes(acting: Acting) -> list[RouteSpec]:
    """The approval POSTs as ``(path, requirement, change, methods)`` for ``ui_routes``.

    The requirements are the API's (modelreg.server.routes.approvals): READ to ask or
    comment, EDIT to approve or reject, MANAGE for policies; editing a comment needs a
    signed-in caller and the service checks it is theirs.
    """

    def version_url(path: Mapping[str, str], anchor: str) -> str:
        return f"/models/{path_part(path['name'])}/versions/{path_part(path['version'])}#{anchor}"

    def request(who: Principal, path: Mapping[str, str], form: dict[str, str]) -> str:
        approvals = acting(who).approvals
        target, comment = _required(form, "target"), form.get("comment") or None
        if _kind(form) == KIND_STAGE:
            approvals.create_transition_request(path["name"], path["version"], target, comment)
        else:
            approvals.create_alias_request(path["name"], path["version"], target, comment)
        return version_url(path, "requests")

    def approve(who: Principal, path: Mapping[str, str], form: dict[str, str]) -> str:
        approvals = acting(who).approvals
        target, comment = _required(form, "target"), form.get("comment") or None
        if _kind(form) == KIND_STAGE:
            approvals.approve_transition_request(
                path["name"],
                path["version"],
                target,
                archive_existing_versions=form.get("archive_existing") == "on",
                comment=comment,
            )
        else:
            approvals.approve_alias_request(path["name"], path["version"], target, comment)
        return version_url(path, "requests")

    def reject(who: Principal, path: Mapping[str, str], form: dict[str, str]) -> str:
        approvals = acting(who).approvals
        target, comment = _required(form, "target"), form.get("comment") or None
        if _kind(form) == KIND_STAGE:
            approvals.reject_transition_request(path["name"], path["version"], target, comment)
        else:
            approvals.reject_alias_request(path["name"], path["version"], target, comment)
        return version_url(path, "requests")

    def withdraw(who: Principal, path: Mapping[str, str], form: dict[str, str]) -> str:
        approvals = acting(who).approvals
        target = _required(form, "target")
        if _kind(form) == KIND_STAGE:
            approvals.delete_transition_request(path["name"], path["version"], target, who.name)
        else:
            approvals.delete_alias_request(path["name"], path["version"], target, who.name)
        return version_url(path, "requests")

    def comment(who: Principal, path: Mapping[str, str], form: dict[str, str]) -> str:
        acting(who).approvals.create_comment(path["name"], path["version"], form.get("comment", ""))
        return version_url(path, "comments")

    def edit_comment(who: Principal, path: Mapping[str, str], form: dict[str, str]) -> str:
        acting(who).approvals.update_comment(path["comment_id"], form.get("comment", ""))
        return version_url(path, "comments")

    def delete_comment(who: Principal, path: Mapping[str, str], form: dict[str, str]) -> str:
        acting(who).approvals.delete_comment(path["comment_id"])
        return version_url(path, "comments")

    def set_policy(who: Principal, path: Mapping[str, str], form: dict[str, str]) -> str:
        acting(who).approvals.set_promotion_policy(
            path["name"],
            _required(form, "target"),
            required_approvals=_count(form.get("required_approvals", "")),
            approvers=_names(form.get("approvers", "")),
            four_eyes=form.get("four_eyes") == "on",
            required_tags=_tags(form.get("required_tags", "")),
            required_checks=_names(form.get("required_checks", "")),
            require_integrity=form.get("require_integrity") == "on",
        )
        return f"/models/{path_part(path['name'])}#policies"

    def delete_policy(who: Principal, path: Mapping[str, str], form: dict[str, str]) -> str:
        acting(who).approvals.delete_promotion_policy(path["name"], _required(form, "target"))
        return f"/models/{path_part(path['name'])}#policies"

    v = VERSION_PATH
    read, edit = ModelPermission(READ), ModelPermission(EDIT)
    post = ["POST"]
    return [
        (f"{v}/requests", read, request, post),
        (f"{v}/requests/approve", edit, approve, post),
        (f"{v}/requests/reject", edit, reject, post),
        (f"{v}/requests/withdraw", read, withdraw, post),
        (f"{v}/comments", read, comment, post),
        (f"{v}/comments/{{comment_id}}/edit", AUTHENTICATED, edit_comment, post),
        (f"{v}/comments/{{comment_id}}/delete", AUTHENTICATED, delete_comment, post),
        ("/models/{name}/policies", ModelPermission(MANAGE), set_policy, post),
        ("/models/{name}/policies/delete", ModelPermission(MANAGE), delete_policy, post),
    ]
