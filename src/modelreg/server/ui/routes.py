"""The UI's routes: thin handlers that run a view on the worker pool and render it.

Pages are GETs with stable, readable URLs; every change is a POST carrying the CSRF
token, answered with a redirect to the page (303) or, for htmx, the updated fragment.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from modelreg.errors import InvalidArgument, RegistryError
from modelreg.principal import Principal
from modelreg.server.authz import (
    AUTHENTICATED,
    EDIT,
    READ,
    ExperimentPermission,
    ModelPermission,
    Requirement,
)
from modelreg.server.context import AppContext
from modelreg.server.guard import Gate
from modelreg.server.route_permissions import NEW_WEBHOOK, WEBHOOK
from modelreg.server.ui import views
from modelreg.server.ui import webhooks as hooks
from modelreg.server.ui.access import AUDIT, WEBHOOKS, UiAccess
from modelreg.server.ui.access import SCOPE_KEY as ACCESS_SCOPE_KEY
from modelreg.server.ui.approvals import approval_routes
from modelreg.server.ui.format import path_part
from modelreg.server.ui.login import login_routes, with_session
from modelreg.server.ui.sections import Sections, default_sections
from modelreg.server.ui.web import (
    SECURITY_HEADERS,
    STATIC_DIR,
    checked_form,
    error_page,
    principal,
    render,
    see_other,
)
from modelreg.service.audit_log import AuditLog
from modelreg.service.version_files import VersionFiles

View = Callable[..., Mapping[str, Any]]
Endpoint = Callable[[Request], Awaitable[Response]]
_STATIC_CACHE: Final = "public, max-age=3600"


class _Static(StaticFiles):
    """The vendored assets, with the same CSP and a cache lifetime."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.update({**SECURITY_HEADERS, "cache-control": _STATIC_CACHE})
        return response


def ui_routes(
    context: AppContext, sections: Sections | None = None, gate: Gate | None = None
) -> list[BaseRoute]:
    """Every UI route, for the app's router (the JSON API keeps /api/ and /ajax-api/).

    With ``--auth`` (``gate``), each page and action is checked as the JSON API checks
    the call behind it, before it runs: a caller without credentials gets the 401
    challenge (a browser asks for a user name and password), a caller without the
    level the page needs gets 403, and searches list only what the caller may read.
    """
    services = context.services
    access = UiAccess(gate.authorizer if gate is not None else None)
    ui = views.Ui(
        services=services,
        audit=AuditLog(services.db),
        files=VersionFiles(services.registry, services.artifacts.store),
        sections=sections or default_sections(),
        access=access,
    )
    run = context.runner.run

    def page(template: str, view: View, *params: str) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            args = [request.path_params[p] for p in params]
            # A repeated key (the compare form's checkboxes) arrives comma-joined.
            given = request.query_params
            query = {key: ",".join(given.getlist(key)) for key in given}
            try:
                data = await run(view, ui, principal(request), *args, query)
            except RegistryError as error:
                return error_page(request, error)
            return render(request, template, data)

        return endpoint

    def action(change: Callable[[Principal, Mapping[str, str], dict[str, str]], str]) -> Endpoint:
        """A POST: check the CSRF token, make the change, go (back) to the page it names."""

        async def endpoint(request: Request) -> Response:
            fields = await checked_form(request)
            if isinstance(fields, HTMLResponse):
                return fields
            try:
                target = await run(change, principal(request), request.path_params, fields)
            except RegistryError as error:
                return error_page(request, error)
            return see_other(target)

        return endpoint

    def model_url(name: str) -> str:
        return f"/models/{path_part(name)}"

    def version_url(name: str, version: str) -> str:
        return f"{model_url(name)}/versions/{path_part(version)}"

    def describe(version: bool) -> Endpoint:
        """Edit a model's or version's description: the fragment for htmx, else a redirect."""

        def change(who: Principal, path: Mapping[str, str], form: dict[str, str]) -> str:
            registry = ui.acting(who).registry
            text = form.get("description", "")
            if version:
                registry.update_model_version(path["name"], path["version"], text)
                return version_url(path["name"], path["version"])
            registry.update_registered_model(path["name"], text)
            return model_url(path["name"])

        async def endpoint(request: Request) -> Response:
            fields = await checked_form(request)
            if isinstance(fields, HTMLResponse):
                return fields
            try:
                target = await run(change, principal(request), request.path_params, fields)
            except RegistryError as error:
                return error_page(request, error)
            if request.headers.get("hx-request") != "true":
                return see_other(target)
            return render(
                request,
                "fragments/description.html",
                {
                    "description": fields.get("description", ""),
                    "post_url": request.url.path,
                    "editable": True,  # the caller just edited it
                },
            )

        return endpoint

    def transition(who: Principal, path: Mapping[str, str], form: dict[str, str]) -> str:
        ui.acting(who).registry.transition_model_version_stage(
            path["name"],
            path["version"],
            _required(form, "stage"),
            archive_existing_versions=form.get("archive_existing") == "on",
        )
        return version_url(path["name"], path["version"])

    def set_alias(who: Principal, path: Mapping[str, str], form: dict[str, str]) -> str:
        ui.acting(who).registry.set_registered_model_alias(
            path["name"], _required(form, "alias"), path["version"]
        )
        return version_url(path["name"], path["version"])

    def delete_alias(who: Principal, path: Mapping[str, str], form: dict[str, str]) -> str:
        ui.acting(who).registry.delete_registered_model_alias(
            path["name"], _required(form, "alias")
        )
        back = form.get("back", "")
        return back if _is_local(back) else model_url(path["name"])

    async def verify(request: Request) -> Response:
        fields = await checked_form(request)
        if isinstance(fields, HTMLResponse):
            return fields
        p = request.path_params
        try:
            data = await run(views.verify_version, ui, principal(request), p["name"], p["version"])
        except RegistryError as error:
            return error_page(request, error)
        partial = request.headers.get("hx-request") == "true"
        return render(
            request, "fragments/integrity.html" if partial else "integrity_page.html", data
        )

    async def run_by_id(request: Request) -> Response:
        """``/runs/<id>``: where a version's source run is, without knowing its experiment."""
        run_id = request.path_params["run_id"]
        try:
            found = await run(views.run_location, ui, principal(request), run_id)
        except RegistryError as error:
            return error_page(request, error)
        return see_other(found)

    async def home(request: Request) -> Response:
        # The models list is the home page; static/ui.js first sends MLflow's
        # "/#/experiments/<id>/runs/<id>" links (the fragment never reaches us) on.
        return await models(request)

    async def favicon(request: Request) -> Response:
        return FileResponse(STATIC_DIR / "favicon.svg", headers={"cache-control": _STATIC_CACHE})

    def checked(requirement: Requirement, endpoint: Endpoint) -> Endpoint:
        if gate is None:
            return endpoint
        return with_session(gate, gate.guard_raw(requirement, endpoint))

    models = page("models.html", views.models_page)
    v = "/models/{name}/versions/{version}"
    read, edit = ModelPermission(READ), ModelPermission(EDIT)
    run_read = ExperimentPermission(READ, "run_id", "run")
    # (path, what the caller needs, endpoint, methods): the same levels as the API.
    pages: list[tuple[str, Requirement, Endpoint, list[str]]] = [
        ("/", AUTHENTICATED, home, ["GET"]),
        ("/models", AUTHENTICATED, models, ["GET"]),
        ("/models/{name}", read, page("model.html", views.model_page, "name"), ["GET"]),
        ("/models/{name}/description", edit, describe(version=False), ["POST"]),
        (v, read, page("version.html", views.version_page, "name", "version"), ["GET"]),
        (f"{v}/description", edit, describe(version=True), ["POST"]),
        (f"{v}/stage", edit, action(transition), ["POST"]),
        (f"{v}/aliases", edit, action(set_alias), ["POST"]),
        (f"{v}/aliases/delete", edit, action(delete_alias), ["POST"]),
        (f"{v}/verify", read, verify, ["POST"]),
        ("/compare", read, page("compare.html", views.compare_page), ["GET"]),
        ("/experiments", AUTHENTICATED, page("experiments.html", views.experiments_page), ["GET"]),
        (
            "/experiments/{experiment_id}",
            ExperimentPermission(READ),
            page("experiment.html", views.experiment_page, "experiment_id"),
            ["GET"],
        ),
        (
            "/experiments/{experiment_id}/runs/{run_id}",
            run_read,
            page("run.html", views.run_page, "experiment_id", "run_id"),
            ["GET"],
        ),
        ("/runs/{run_id}", run_read, run_by_id, ["GET"]),
        ("/audit", AUDIT, page("audit.html", views.audit_page), ["GET"]),
    ]

    async def test_webhook(request: Request) -> Response:
        """Send a test event now and show the webhook's page with what came back."""
        fields = await checked_form(request)
        if isinstance(fields, HTMLResponse):
            return fields
        webhook_id = request.path_params["webhook_id"]
        try:
            data = await run(hooks.test_webhook, ui, principal(request), webhook_id)
        except RegistryError as error:
            return error_page(request, error)
        return render(request, "webhook.html", data)

    hook_changes = hooks.make_changes(ui)
    # The API's webhook requirements: MANAGE on the webhook's model (admins for a
    # registry-wide one); the list is filtered by the service to what the caller manages.
    pages += [
        ("/webhooks", WEBHOOKS, page("webhooks.html", hooks.webhooks_page), ["GET"]),
        (hooks.CREATE, NEW_WEBHOOK, action(hook_changes["create"]), ["POST"]),
        (
            "/webhooks/{webhook_id}",
            WEBHOOK,
            page("webhook.html", hooks.webhook_page, "webhook_id"),
            ["GET"],
        ),
        ("/webhooks/{webhook_id}/test", WEBHOOK, test_webhook, ["POST"]),
        # The change checks that the delivery belongs to this webhook.
        ("/webhooks/{webhook_id}/redeliver", WEBHOOK, action(hook_changes["redeliver"]), ["POST"]),
    ]
    # Requirements on a posted field: the gate only signs the caller in, the change
    # checks the declared requirement once the form is read (UiAccess.check_form).
    on_form = {hooks.CREATE}
    pages += [
        (path, requirement, action(change), methods)
        for path, requirement, change, methods in approval_routes(ui.acting)
    ]
    for path, requirement, _, _ in pages:
        access.declare(path, requirement)

    def knowing_access(endpoint: Endpoint) -> Endpoint:
        """``endpoint`` with the access rules in its scope (every page's menu reads them)."""

        async def with_access(request: Request) -> Response:
            request.scope[ACCESS_SCOPE_KEY] = access
            return await endpoint(request)

        return with_access

    return (
        [
            Route(
                path,
                knowing_access(
                    checked(AUTHENTICATED if path in on_form else requirement, endpoint)
                ),
                methods=methods,
            )
            for path, requirement, endpoint, methods in pages
        ]
        + (login_routes(context, gate, knowing_access) if gate is not None else [])
        + [
            Route("/favicon.ico", favicon, methods=["GET"]),
            Mount("/static", _Static(directory=STATIC_DIR), name="static"),
        ]
    )


def _required(form: Mapping[str, str], key: str) -> str:
    value = form.get(key, "").strip()
    if not value:
        raise InvalidArgument(f"The form field '{key}' is required.")
    return value


def _is_local(url: str) -> bool:
    """A path on this site (never another origin): where a form may send the browser back."""
    return url.startswith("/") and not url.startswith("//") and "\\" not in url
