"""My profile: my information and language, my password, my email address."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from services.web.api_client import ApiError
from services.web.forms import form, secret, text
from services.web.pages.account import policy
from services.web.portal import USER, acting, api, flash, page, redirect

routes = web.RouteTableDef()


async def _profile_page(
    request: web.Request,
    *,
    status: int = 200,
    errors: dict[str, Any] | None = None,
    broken: list[str] | None = None,
) -> web.Response:
    await acting(request)
    return await page(
        request,
        "profile.html",
        status=status,
        rules=await policy(request),
        errors=errors or {},
        broken=broken or [],
    )


@routes.get("/profile")
async def profile(request: web.Request) -> web.Response:
    return await _profile_page(request)


@routes.post("/profile")
async def change_profile(request: web.Request) -> web.Response:
    fields = await form(request)
    body = {
        name: text(fields, name)
        for name in ("first_name", "last_name", "function", "phone", "language")
    }
    try:
        request[USER] = (await api(request).call("PUT", "/api/me", json=body)).body
    except ApiError as refused:
        if refused.status != 422:
            raise
        return await _profile_page(
            request, status=422, errors={"profile": refused.field_errors or {"": str(refused)}}
        )
    await flash(request, "profile.saved")
    raise redirect("/profile")


@routes.post("/profile/password")
async def change_password(request: web.Request) -> web.Response:
    fields = await form(request)
    new = secret(fields, "new_password")
    if new != secret(fields, "confirmation"):
        return await _profile_page(request, status=422, errors={"password": "password.mismatch"})
    try:
        await api(request).call(
            "POST",
            "/api/me/password",
            json={"current_password": secret(fields, "current_password"), "new_password": new},
        )
    except ApiError as refused:
        if refused.status == 403:
            return await _profile_page(
                request, status=403, errors={"password": "profile.wrong_password"}
            )
        if refused.status == 422:
            return await _profile_page(
                request,
                status=422,
                errors={"password": "password.refused"},
                broken=refused.violations,
            )
        raise
    await flash(request, "profile.password_changed")
    raise redirect("/profile")


@routes.post("/profile/email")
async def change_email(request: web.Request) -> web.Response:
    fields = await form(request)
    try:
        await api(request).call(
            "POST",
            "/api/me/email",
            json={
                "current_password": secret(fields, "current_password"),
                "new_email": text(fields, "new_email"),
            },
        )
    except ApiError as refused:
        errors = {403: "profile.wrong_password", 409: "email.taken", 422: "profile.email_invalid"}
        if refused.status not in errors:
            raise
        return await _profile_page(
            request, status=refused.status, errors={"email": errors[refused.status]}
        )
    await flash(request, "profile.email_sent")
    raise redirect("/profile")
