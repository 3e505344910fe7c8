"""Signing in to the UI with ``--auth``: a login form, a token-backed session cookie,
logout.

* ``POST /login`` checks the user name and password through the gate's
  :class:`~modelreg.server.auth_gate.Authenticator` (the same argon2 check and the same
  failed-login limits as HTTP Basic), then issues an API token of the user's
  (``create_token``, one day at most) and keeps it in an ``HttpOnly``,
  ``SameSite=Lax`` cookie (``Secure`` over TLS), with a fresh CSRF token.
* UI routes, and only they (:func:`with_session`), turn that cookie into the
  ``Bearer`` credential the gate verifies; the JSON API never reads it, so a session
  cookie cannot authorise an API call from another site.
* ``POST /logout`` revokes the token (the gate forgets cached principals when a token
  is revoked) and clears the cookie.
* An unauthenticated browser asking for a page (``Accept: text/html``) is sent to
  ``/login?next=<page>`` instead of the Basic challenge.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from typing import Final
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from modelreg.errors import RegistryError
from modelreg.server.auth_gate import AuthFailure
from modelreg.server.context import AppContext
from modelreg.server.guard import Gate, RawEndpoint
from modelreg.server.ui.web import (
    SECURITY_HEADERS,
    SESSION_COOKIE,
    checked_form,
    error_page,
    is_secure,
    render,
    set_csrf_cookie,
)

SESSION_DAYS: Final = 1
SESSION_SECONDS: Final = SESSION_DAYS * 24 * 3600
TOKEN_NAME: Final = "ui-session"


def session_token(request: Request) -> tuple[int, str] | None:
    """The session cookie's token id and secret, if the cookie is well-formed."""
    value = request.cookies.get(SESSION_COOKIE, "")
    token_id, dot, secret = value.partition(".")
    if not dot or not token_id.isdigit() or not secret or len(value) > 512:
        return None
    return int(token_id), secret


def with_session(gate: Gate, inner: RawEndpoint) -> RawEndpoint:
    """A guarded UI endpoint that also accepts the session cookie, and sends browsers
    without credentials to the login page."""

    async def endpoint(request: Request) -> Response:
        session = session_token(request)
        if session is not None and "authorization" not in request.headers:
            bearer = f"Bearer {session[1]}".encode("latin-1", "replace")
            request.scope["headers"] = [
                *request.scope["headers"],
                (b"authorization", bearer),
            ]
            request = Request(request.scope, request.receive)
        response = await inner(request)
        if response.status_code == 401 and _wants_html(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            redirect = RedirectResponse(
                f"/login?next={quote(target, safe='/')}", 303, headers=SECURITY_HEADERS
            )
            if session is not None:  # revoked or expired: forget it
                redirect.delete_cookie(SESSION_COOKIE, path="/")
            return redirect
        return response

    return endpoint


def _wants_html(request: Request) -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("accept", "")


def _next(value: str) -> str:
    """Where to go after login: a path on this site, else the home page."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def login_routes(
    context: AppContext, gate: Gate, wrap: Callable[[RawEndpoint], RawEndpoint]
) -> list[BaseRoute]:
    """``/login`` and ``/logout``; ``wrap`` is applied to each endpoint (the pages' own)."""
    auth = context.services.auth
    run = context.runner.run

    async def login_form(request: Request) -> Response:
        return _form(request, request.query_params.get("next", "/"), "")

    async def login(request: Request) -> Response:
        fields = await checked_form(request)
        if isinstance(fields, HTMLResponse):
            return fields
        username, password = fields.get("username", ""), fields.get("password", "")
        target = _next(fields.get("next", "/"))
        client = request.client.host if request.client else None
        credential = base64.b64encode(f"{username}:{password}".encode()).decode()
        try:
            principal = await gate.authenticator.principal(f"Basic {credential}", client)
            secret, info = await run(auth.create_token, principal.name, TOKEN_NAME, SESSION_DAYS)
        except AuthFailure as failure:
            status = failure.status if failure.status == 429 else 401
            message = (
                "Too many failed logins; try again later."
                if status == 429
                else "Wrong user name or password."
            )
            return _form(request, target, message, status, username)
        except RegistryError as error:
            return error_page(request, error)
        response = RedirectResponse(target, 303, headers=SECURITY_HEADERS)
        response.set_cookie(
            SESSION_COOKIE,
            f"{info.id}.{secret}",
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="lax",
            secure=is_secure(request),
            path="/",
        )
        # A new CSRF token for the signed-in session: a token planted before login
        # (e.g. by someone who shared the browser) is worthless afterwards.
        set_csrf_cookie(request, response, secrets.token_urlsafe(32))
        return response

    async def logout(request: Request) -> Response:
        fields = await checked_form(request)
        if isinstance(fields, HTMLResponse):
            return fields
        session = session_token(request)
        if session is not None:
            token_id, secret = session
            principal = await run(auth.authenticate_token, secret)
            if principal is not None:
                try:
                    await run(auth.revoke_token, principal.name, token_id)
                except RegistryError:
                    pass  # already gone: the cookie is cleared below either way
        response = RedirectResponse("/login", 303, headers=SECURITY_HEADERS)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def login_page(request: Request) -> Response:
        return await (login(request) if request.method == "POST" else login_form(request))

    return [
        Route("/login", wrap(login_page), methods=["GET", "POST"]),
        Route("/logout", wrap(logout), methods=["POST"]),
    ]


def _form(
    request: Request, target: str, message: str, status: int = 200, username: str = ""
) -> HTMLResponse:
    return render(
        request,
        "login.html",
        {"next": _next(target), "message": message, "username": username},
        status,
    )
