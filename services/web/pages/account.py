"""Signing in and out, and every page about a password or a login: forgot, set from an
emailed link, forced change, email confirmation (seeds 000, 001, 004)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from aiohttp import web

from services.web.api_client import ApiError
from services.web.forms import checked, form, local_path, secret, text
from services.web.i18n import as_language
from services.web.portal import (
    SESSION,
    STORE,
    api,
    ensure_session,
    flash,
    form_page,
    redirect,
    remember_language,
    session_of,
    start_signed_in_session,
)

routes = web.RouteTableDef()


async def branding(request: web.Request) -> dict[str, Any]:
    try:
        return (await api(request).public("GET", "/api/branding")).body
    except ApiError:
        return {"vendor_name": "Guichet", "logo_url": None}


async def policy(request: web.Request) -> list[dict[str, Any]]:
    return (await api(request).public("GET", "/api/auth/password-policy")).body["rules"]


@routes.get("/")
async def root(request: web.Request) -> web.Response:
    session = session_of(request)
    raise redirect("/home" if session is not None and session.signed_in else "/sign-in")


@routes.get("/language/{language}")
async def choose_language(request: web.Request) -> web.Response:
    """The language of signed-out pages (signed in, it is the profile's setting)."""
    language = as_language(request.match_info["language"]) or "fr"
    response = redirect(local_path(request.query.get("next"), "/sign-in"))
    remember_language(request, response, language)
    raise response


# --- sign in and out ----------------------------------------------------------------------------


async def _sign_in_page(
    request: web.Request, *, status: int = 200, error: str | None = None, login: str = ""
) -> web.Response:
    return await form_page(
        request,
        "sign_in.html",
        status=status,
        branding=await branding(request),
        error=error,
        login=login,
        next=local_path(request.query.get("next"), ""),
    )


@routes.get("/sign-in")
async def sign_in_form(request: web.Request) -> web.Response:
    session = session_of(request)
    if session is not None and session.signed_in:
        raise redirect("/home")
    return await _sign_in_page(request)


@routes.post("/sign-in")
async def sign_in(request: web.Request) -> web.Response:
    fields = await form(request)
    login, remember = text(fields, "login"), checked(fields, "remember")
    if not login or not secret(fields, "password"):
        return await _sign_in_page(request, status=422, error="sign_in.missing", login=login)
    try:
        answer = await api(request).public(
            "POST",
            "/api/auth/sign-in",
            json={"login": login, "password": secret(fields, "password"), "remember_me": remember},
        )
    except ApiError as refused:
        errors = {401: "sign_in.refused", 403: "sign_in.denied", 429: "sign_in.too_many"}
        if refused.status not in errors:
            raise
        return await _sign_in_page(
            request, status=refused.status, error=errors[refused.status], login=login
        )
    body = answer.body
    if body.get("password_change_required"):
        session = await ensure_session(request)
        await request.app[STORE].set_ticket(
            session, json.dumps({"ticket": body["ticket"], "remember": remember})
        )
        raise redirect("/password/expired")
    await start_signed_in_session(request, body, remember=remember)
    raise redirect(local_path(fields.get("next"), "/home"))


@routes.post("/sign-out")
async def sign_out(request: web.Request) -> web.Response:
    session = session_of(request)
    if session is not None and session.tokens is not None:
        # The session ends here whatever identity answers.
        with contextlib.suppress(ApiError):
            await api(request).public(
                "POST", "/api/auth/sign-out", json={"refresh_token": session.tokens.refresh_token}
            )
    if session is not None:
        await request.app[STORE].delete(session)
        request.pop(SESSION, None)
    raise redirect("/sign-in")


# --- passwords ----------------------------------------------------------------------------------


@routes.get("/password/forgot")
async def forgot_form(request: web.Request) -> web.Response:
    return await form_page(request, "forgot.html", sent=False, email="", error=None)


@routes.post("/password/forgot")
async def forgot(request: web.Request) -> web.Response:
    email = text(await form(request), "email")
    try:
        await api(request).public("POST", "/api/auth/password/forgot", json={"email": email})
    except ApiError as refused:
        if refused.status != 422:
            raise
        return await form_page(
            request, "forgot.html", status=422, sent=False, email=email, error="forgot.invalid"
        )
    return await form_page(request, "forgot.html", sent=True, email=email, error=None)


async def _password_page(
    request: web.Request,
    template: str,
    *,
    status: int = 200,
    error: str | None = None,
    broken: list[str] | None = None,
    **context: Any,
) -> web.Response:
    return await form_page(
        request,
        template,
        status=status,
        rules=await policy(request),
        error=error,
        broken=broken or [],
        **context,
    )


def _new_password(fields: Any) -> tuple[str, str | None]:
    """The new password, or the error of a confirmation that differs."""
    new = secret(fields, "new_password")
    if new != secret(fields, "confirmation"):
        return new, "password.mismatch"
    return new, None


@routes.get("/password/set")
@routes.get("/password/reset")
async def set_password_form(request: web.Request) -> web.Response:
    return await _password_page(
        request, "set_password.html", token=request.query.get("token", "")[:200]
    )


@routes.post("/password/set")
@routes.post("/password/reset")
async def set_password(request: web.Request) -> web.Response:
    fields = await form(request)
    token = text(fields, "token")
    new, mismatch = _new_password(fields)
    if mismatch:
        return await _password_page(
            request, "set_password.html", status=422, error=mismatch, token=token
        )
    try:
        await api(request).public(
            "POST", "/api/auth/password/reset", json={"token": token, "new_password": new}
        )
    except ApiError as refused:
        if refused.status == 422 and refused.violations:
            return await _password_page(
                request,
                "set_password.html",
                status=422,
                error="password.refused",
                broken=refused.violations,
                token=token,
            )
        if refused.status in {410, 422}:  # used, expired, or not a token at all
            return await _password_page(
                request, "set_password.html", status=410, error="password.link_unusable", token=""
            )
        raise
    await ensure_session(request)
    await flash(request, "password.set_done")
    raise redirect("/sign-in")


def _ticket(request: web.Request) -> dict[str, Any] | None:
    session = session_of(request)
    return json.loads(session.ticket) if session is not None and session.ticket else None


@routes.get("/password/expired")
async def expired_form(request: web.Request) -> web.Response:
    if _ticket(request) is None:
        raise redirect("/sign-in")
    return await _password_page(request, "expired.html")


@routes.post("/password/expired")
async def expired(request: web.Request) -> web.Response:
    ticket = _ticket(request)
    if ticket is None:
        raise redirect("/sign-in")
    fields = await form(request)
    new, mismatch = _new_password(fields)
    if mismatch:
        return await _password_page(request, "expired.html", status=422, error=mismatch)
    try:
        answer = await api(request).public(
            "POST",
            "/api/auth/password/expired",
            json={"ticket": ticket["ticket"], "new_password": new},
        )
    except ApiError as refused:
        if refused.status == 422 and refused.violations:
            return await _password_page(
                request,
                "expired.html",
                status=422,
                error="password.refused",
                broken=refused.violations,
            )
        if refused.status in {410, 422}:
            session = session_of(request)
            if session is not None:
                await request.app[STORE].set_ticket(session, None)
                await flash(request, "password.ticket_expired")
            raise redirect("/sign-in") from None
        raise
    await start_signed_in_session(request, answer.body, remember=bool(ticket["remember"]))
    raise redirect("/home")


# --- email change ---------------------------------------------------------------------------


@routes.get("/email/confirm")
async def confirm_email_form(request: web.Request) -> web.Response:
    # Opening the link only shows a button: mail scanners that follow links confirm nothing.
    return await form_page(
        request,
        "email_confirm.html",
        token=request.query.get("token", "")[:200],
        done=False,
        error=None,
    )


@routes.post("/email/confirm")
async def confirm_email(request: web.Request) -> web.Response:
    token = text(await form(request), "token")
    try:
        await api(request).public("POST", "/api/auth/email/confirmation", json={"token": token})
    except ApiError as refused:
        errors = {409: "email.taken", 410: "email.link_unusable", 422: "email.link_unusable"}
        if refused.status not in errors:
            raise
        return await form_page(
            request,
            "email_confirm.html",
            status=refused.status,
            token="",
            done=False,
            error=errors[refused.status],
        )
    return await form_page(request, "email_confirm.html", token="", done=True, error=None)


# --- creating an account (seed 000: pending until a customer admin activates it) ----------


REGISTRATION_FIELDS = ("organisation_code", "email", "first_name", "last_name", "function")


@routes.get("/register")
async def register_form(request: web.Request) -> web.Response:
    return await _password_page(request, "register.html", values={}, errors={}, done=False)


@routes.post("/register")
async def register(request: web.Request) -> web.Response:
    fields = await form(request)
    values = {name: text(fields, name) for name in REGISTRATION_FIELDS}
    values["language"] = as_language(text(fields, "language")) or "fr"
    new, mismatch = _new_password(fields)
    if mismatch:
        return await _password_page(
            request,
            "register.html",
            status=422,
            error=mismatch,
            values=values,
            errors={},
            done=False,
        )
    try:
        await api(request).public("POST", "/api/auth/register", json={**values, "password": new})
    except ApiError as refused:
        if refused.status != 422:
            raise
        return await _password_page(
            request,
            "register.html",
            status=422,
            error="password.refused" if refused.violations else "register.refused",
            broken=refused.violations,
            values=values,
            errors={} if refused.violations else refused.field_errors,
            done=False,
        )
    return await _password_page(request, "register.html", values={}, errors={}, done=True)
