"""Per-request protections of the portal's pages: the session cookie, CSRF tokens, security
headers, and errors shown as pages (never a trace)."""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from services.web.api_client import ApiError
from services.web.i18n import chosen_language
from services.web.portal import (
    DROP_COOKIE,
    NEW_SESSION_ID,
    SESSION,
    STORE,
    WEB_SETTINGS,
    cookie_name,
    session_of,
)
from services.web.rendering import html
from services.web.sessions import SessionEnded

log = structlog.get_logger(__name__)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf"
# Forms without files; only a signed-in user's multipart form (attachments) may be larger,
# up to the app's client_max_size (GUICHET_UPLOAD_MAX_BYTES).
FORM_MAX_BYTES = 1024 * 1024
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exception:
        response = exception
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.content_type == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")  # pages show personal data
    if request.app[WEB_SETTINGS].secure_cookies:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if isinstance(response, web.HTTPException):
        raise response
    return response


@web.middleware
async def sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    settings = request.app[WEB_SETTINGS]
    name = cookie_name(settings)
    session_id = request.cookies.get(name)
    if session_id:
        session = await request.app[STORE].load(session_id)
        if session is not None:
            request[SESSION] = session
    try:
        response = await handler(request)
    except web.HTTPException as exception:
        _cookie(request, exception, name, settings.secure_cookies)
        raise
    _cookie(request, response, name, settings.secure_cookies)
    return response


def _cookie(request: web.Request, response: web.StreamResponse, name: str, secure: bool) -> None:
    if NEW_SESSION_ID in request:
        session = request[SESSION]
        response.set_cookie(
            name,
            request[NEW_SESSION_ID],
            path="/",
            secure=secure,
            httponly=True,
            samesite="Lax",
            # "Remember me": a persistent cookie; otherwise it ends with the browser.
            expires=session.expires_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
            if session.remember
            else None,
        )
    elif request.get(DROP_COOKIE):
        response.del_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every form carries the session's token (the synchronizer-token pattern); a post
    without it, or with another session's, is refused."""
    if request.method in UNSAFE_METHODS:
        session = session_of(request)
        with_files = (
            session is not None
            and session.signed_in
            and request.content_type == "multipart/form-data"
        )
        if not with_files and (request.content_length or 0) > FORM_MAX_BYTES:
            return _error(request, 413, "error.413.title", "error.413.detail")
        form = await request.post()
        sent = form.get(CSRF_FIELD)
        if (
            session is None
            or not isinstance(sent, str)
            or not hmac.compare_digest(sent.encode(), session.csrf_token.encode())
        ):
            return html(
                "error.html",
                chosen_language(request),
                request.app[WEB_SETTINGS].zone,
                status=403,
                title_key="error.csrf.title",
                detail_key="error.csrf.detail",
                acting=None,
                csrf="",
                flash=[],
                path=request.path,
            )
    return await handler(request)


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A page for every failure: a signed-out visitor goes to sign in; the API's refusals and
    outages are explained; a bug is logged and shown as a plain apology."""
    try:
        return await handler(request)
    except SessionEnded:
        request[DROP_COOKIE] = True
        request.pop(SESSION, None)
        # Back to the page asked for once signed in again (a form's post is not replayed).
        target = "/sign-in"
        if request.method == "GET" and request.path not in {"/", "/home"}:
            target += "?" + urlencode({"next": request.path_qs})
        raise web.HTTPSeeOther(target) from None
    except ApiError as error:
        status = error.status if error.status in {403, 404, 409, 410, 429} else 502
        return _error(request, status, f"error.{status}.title", f"error.{status}.detail")
    except web.HTTPException as exception:
        if exception.status in {403, 404, 405}:
            status = exception.status
            return _error(request, status, f"error.{status}.title", f"error.{status}.detail")
        raise
    except Exception:
        log.exception("page failed", path=request.path)
        return _error(request, 500, "error.500.title", "error.500.detail")


def _error(request: web.Request, status: int, title_key: str, detail_key: str) -> web.Response:
    return html(
        "error.html",
        chosen_language(request),
        request.app[WEB_SETTINGS].zone,
        status=status,
        title_key=title_key,
        detail_key=detail_key,
        acting=None,
        csrf="",
        flash=[],
        path=request.path,
    )
