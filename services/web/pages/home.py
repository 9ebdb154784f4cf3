"""The customer space's home: who I am, what I may use, and the organisation switcher for
people who work for several organisations (seed 000's multi-structure switch)."""

from __future__ import annotations

import uuid

from aiohttp import web

from services.web.api_client import ApiError
from services.web.forms import form, text
from services.web.portal import STORE, acting, api, flash, page, redirect, session_of
from services.web.sessions import SessionEnded, Tokens
from shared.auth.claims import Module

routes = web.RouteTableDef()


@routes.get("/home")
async def home(request: web.Request) -> web.Response:
    who = await acting(request)
    switchable = [
        membership for membership in who.user["organisations"] if membership["status"] == "active"
    ]
    return await page(
        request,
        "home.html",
        switchable=switchable,
        modules=[module.value for module in Module],
    )


@routes.post("/organisation/switch")
async def switch_organisation(request: web.Request) -> web.Response:
    session = session_of(request)
    if session is None or not session.signed_in:
        raise SessionEnded
    chosen = text(await form(request), "organisation_id")
    try:
        organisation_id = uuid.UUID(chosen)
    except ValueError:
        raise web.HTTPNotFound from None
    try:
        answer = await api(request).call(
            "POST", "/api/auth/switch-organisation", json={"organisation_id": str(organisation_id)}
        )
    except ApiError as refused:
        if refused.status not in {403, 404}:
            raise
        await flash(request, "switch.refused")
        raise redirect("/home") from None
    await request.app[STORE].switch_organisation(
        session, Tokens.from_answer(answer.body), organisation_id
    )
    await flash(request, "switch.done")
    raise redirect("/home")
