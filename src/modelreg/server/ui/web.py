"""What every UI page shares: templates, security headers, CSRF tokens, errors.

* Templates are Jinja2 with autoescape on for every file: a model name, tag, description
  or run name is text wherever it appears. Markdown is rendered with raw HTML disabled
  (:mod:`.markdown`).
* Every response carries a Content-Security-Policy that allows scripts only from this
  server's ``/static/`` files (no inline script, no ``eval``), plus ``nosniff`` and
  ``frame-ancestors 'none'``.
* CSRF, double submit: a random token lives in a cookie (``SameSite=Strict``,
  ``HttpOnly``); every page puts it in each form and in htmx's request headers; a POST
  whose form field or ``X-CSRF-Token`` header does not equal the cookie is refused (403).
  A site that is not this one can neither read the cookie nor set the field.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from modelreg.errors import InvalidArgument, RegistryError
from modelreg.principal import Principal
from modelreg.server.context import principal_from_authorization
from modelreg.server.errors import status_for
from modelreg.server.guard import PRINCIPAL_SCOPE_KEY
from modelreg.server.ui import format as fmt
from modelreg.server.ui.access import MENU, UiAccess
from modelreg.server.ui.access import SCOPE_KEY as ACCESS_SCOPE_KEY
from modelreg.server.ui.markdown import render_markdown

HERE: Final = Path(__file__).parent
STATIC_DIR: Final = HERE / "static"
CSRF_COOKIE: Final = "modelreg_csrf"
SESSION_COOKIE: Final = "modelreg_session"  # the login session (modelreg.server.ui.login)
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "x-csrf-token"
MAX_FORM_BYTES: Final = 256 * 1024

CSP: Final = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS: Final = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        # Every template is HTML: escape everything, whatever the file name.
        autoescape=True,
        # The templates ship in the package and never change under a running server:
        # no stat() of each template on every render.
        auto_reload=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=fmt.timestamp,
        ago=fmt.relative,
        size=fmt.size,
        markdown=render_markdown,
        number=fmt.number,
        event_summary=fmt.event_summary,
    )
    env.globals.update(
        url=fmt.url,
        path_part=fmt.path_part,
        artifact_href=fmt.artifact_href,
        model_href=fmt.model_href,
        version_href=fmt.version_href,
        run_href=fmt.run_href,
        stage=fmt.stage,
        tags=fmt.tags,
        url_host=fmt.url_host,
    )
    return env


TEMPLATES: Final = _environment()


def csrf_token(request: Request) -> tuple[str, bool]:
    """The request's CSRF token, and whether it is new (then set as a cookie)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    if len(token) == 43 and token.replace("-", "").replace("_", "").isalnum():
        return token, False
    return secrets.token_urlsafe(32), True


def principal(request: Request) -> Principal:
    """The caller, as the JSON API works it out: verified by the gate with ``--auth``,
    else the claimed Basic name."""
    verified = request.scope.get(PRINCIPAL_SCOPE_KEY)
    if isinstance(verified, Principal):
        return verified
    return principal_from_authorization(request.headers.get("authorization"))


def render(
    request: Request, template: str, context: Mapping[str, Any], status: int = 200
) -> HTMLResponse:
    token, new = csrf_token(request)
    caller = principal(request)
    access = request.scope.get(ACCESS_SCOPE_KEY)
    body = TEMPLATES.get_template(template).render(
        **context,
        request_path=request.url.path,
        csrf=token,
        caller=caller.name,
        # The menu links the caller may open (all of them without --auth).
        menu=access.menu(caller) if isinstance(access, UiAccess) else dict.fromkeys(MENU, True),
        # Signed in through the login form (then the header offers a logout button).
        signed_in=caller.authenticated and SESSION_COOKIE in request.cookies,
        partial=request.headers.get("hx-request") == "true",
    )
    response = HTMLResponse(body, status, headers=SECURITY_HEADERS)
    if new:
        _set_csrf_cookie(request, response, token)
    return response


def is_secure(request: Request) -> bool:
    """Over TLS, or behind a TLS-terminating proxy that says so (a forged header can
    only make a cookie stricter): then cookies are ``Secure``."""
    return (
        request.url.scheme == "https"
        or request.headers.get("x-forwarded-proto", "").lower() == "https"
    )


def set_csrf_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=is_secure(request), path="/"
    )


_set_csrf_cookie = set_csrf_cookie


def error_page(request: Request, error: RegistryError) -> HTMLResponse:
    status = status_for(error)
    return render(
        request,
        "error.html",
        {"status": status, "code": error.error_code, "message": str(error)},
        status,
    )


def forbidden(request: Request, message: str) -> HTMLResponse:
    return render(request, "error.html", {"status": 403, "code": "CSRF", "message": message}, 403)


async def checked_form(request: Request) -> dict[str, str] | HTMLResponse:
    """The POSTed form fields if the CSRF token matches, else the 403 page to answer."""
    if not same_origin(request):
        return forbidden(request, "This form was sent from another site.")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return error_page(request, InvalidArgument("The form is too large."))
    try:
        fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return error_page(request, InvalidArgument("The form is not UTF-8."))
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = fields.pop(CSRF_FIELD, None) or request.headers.get(CSRF_HEADER, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
        return forbidden(
            request,
            "This form's security token is missing or stale: reload the page and try again.",
        )
    return fields


def same_origin(request: Request) -> bool:
    """No ``Origin`` (older browsers, non-browser clients), or this very host.

    Defence in depth beside the token: a browser names the page a form came from, and
    a form from another site (or an opaque ``null`` origin) is refused before it is read.
    """
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


def see_other(url: str) -> Response:
    """After a POST: the page to show (a normal form) or to load (htmx follows HX-Location)."""
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)
