"""The personal-data space (seed 001): the organisation, the vendor's introduction, my
information, the DPO's address, each consent with its history, the download of everything
held about me, and the request for erasure."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from services.web.forms import form
from services.web.portal import api, flash, page, redirect

routes = web.RouteTableDef()
PURPOSE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
CONSENT_EVENTS = {
    "guichet.identity.ConsentGiven": True,
    "guichet.identity.ConsentWithdrawn": False,
}


def consent_history(export: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each purpose's gives and withdrawals, newest first, from the account's history."""
    history: dict[str, list[dict[str, Any]]] = {}
    for entry in export.get("history", []):
        given = CONSENT_EVENTS.get(entry["type"])
        if given is not None:
            purpose = str(entry["data"].get("purpose"))
            history.setdefault(purpose, []).insert(0, {"given": given, "at": entry["at"]})
    return history


@routes.get("/personal-data")
async def personal_data(request: web.Request) -> web.Response:
    space = await api(request).get("/api/me/personal-data")
    export = await api(request).get("/api/me/export")
    return await page(request, "personal_data.html", space=space, history=consent_history(export))


@routes.post("/personal-data/consents/{purpose}")
async def consent(request: web.Request) -> web.Response:
    purpose = request.match_info["purpose"]
    if not PURPOSE.match(purpose):
        raise web.HTTPNotFound
    give = (await form(request)).get("given") == "yes"
    await api(request).call("PUT" if give else "DELETE", f"/api/me/consents/{purpose}")
    await flash(request, "personal_data.consent_given" if give else "personal_data.withdrawn")
    raise redirect("/personal-data")


@routes.get("/personal-data/export")
async def export(request: web.Request) -> web.Response:
    answer = await api(request).call("GET", "/api/me/export")
    return web.json_response(
        answer.body,
        headers={
            "Content-Disposition": answer.headers.get(
                "Content-Disposition", 'attachment; filename="guichet.json"'
            )
        },
    )


@routes.post("/personal-data/erasure")
async def erasure(request: web.Request) -> web.Response:
    await api(request).call("POST", "/api/me/erasure-request")
    await flash(request, "personal_data.erasure_requested")
    raise redirect("/personal-data")
