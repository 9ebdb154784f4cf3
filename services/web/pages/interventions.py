"""Interventions on a machine (seed 003): "Déclencher une intervention" from the machine's
page (nature from the vendor's list, error code, details, urgency, files), the list of the
organisation's requests with their state (the INTERVENTIONS menu), one request's page, and
cancelling it with a comment while it still waits for validation."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from services.web import ticket_forms
from services.web.api_client import ApiError
from services.web.i18n import Translate, translator
from services.web.pages.fleet import ASSET, fleet_customer
from services.web.pages.ticket_access import as_id
from services.web.portal import api, flash, language, page, redirect
from services.web.relay import relay

routes = web.RouteTableDef()
LIST = "/interventions"
INTERVENTION = "/interventions/{intervention_id:[0-9a-fA-F-]{36}}"
STATUSES = ("waiting_for_validation", "scheduled", "in_progress", "done", "cancelled")
URGENCIES = ("low", "normal", "high", "urgent")
UPLOADS = "/api/interventions/uploads"
NOT_COVERED = "https://guichet.dev/problems/intervention-not-covered"
FIELDS = ("nature", "error_code", "details", "urgency", ticket_forms.ATTACHMENTS)


async def _request_form(
    request: web.Request,
    asset: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    posted: ticket_forms.TicketForm | None = None,
) -> web.Response:
    client = api(request)
    shown, natures = await asyncio.gather(
        client.get(f"/api/fleet/assets/{asset}"), client.get("/api/interventions/natures")
    )
    return await page(
        request,
        "interventions/new.html",
        status=status,
        asset=shown["asset"],
        contract=shown["contract"],
        natures=natures["natures"],
        urgencies=URGENCIES,
        errors=errors or {},
        values=posted.fields if posted else {},
        kept=posted.kept if posted else [],
    )


@routes.get(ASSET + "/intervention")
async def request_form(request: web.Request) -> web.Response:
    await fleet_customer(request)
    return await _request_form(request, as_id(request.match_info["asset_id"]))


def _refusal(error: ApiError, t: Translate) -> dict[str, str]:
    if error.status == 422 and error.problem.get("type") == NOT_COVERED:
        return {"": t("interventions.error.not_covered")}
    if error.status == 422:
        # A field the form does not show (the requester's address unknown to support yet)
        # is said above the form rather than lost.
        errors = ticket_forms.field_errors(error, t)
        hidden = [message for name, message in errors.items() if name not in FIELDS]
        shown = {name: message for name, message in errors.items() if name in FIELDS}
        return shown | ({"": " ".join(hidden)} if hidden else {})
    if error.status == 409:
        return {"": t("interventions.error.asset_withdrawn")}
    raise error


@routes.post(ASSET + "/intervention")
async def request_intervention(request: web.Request) -> web.Response:
    """Sends the files, then the request; a refusal is the form again with its errors and
    the files already sent."""
    await fleet_customer(request)
    asset = as_id(request.match_info["asset_id"])
    t = translator(await language(request))
    posted = await ticket_forms.read(request)
    errors = await ticket_forms.upload_files(api(request), posted, t, UPLOADS)
    if not errors:
        body: dict[str, Any] = {
            "asset_id": asset,
            "nature": posted.text("nature"),
            "details": posted.text("details"),
            **ticket_forms.optional(posted, ("error_code", "urgency")),
            "attachment_ids": ticket_forms.attachment_ids(posted),
        }
        try:
            requested = (await api(request).call("POST", "/api/interventions", json=body)).body
        except ApiError as error:
            errors = _refusal(error, t)
    if errors:
        return await _request_form(request, asset, status=422, errors=errors, posted=posted)
    await flash(request, "interventions.requested", number=str(requested["number"]))
    raise redirect(f"/interventions/{requested['intervention_id']}")


@routes.get(LIST)
async def intervention_list(request: web.Request) -> web.Response:
    await fleet_customer(request)
    status = request.query.get("status")
    params = {"status": status} if status in STATUSES else {}
    cursor = request.query.get("cursor", "")[:200]
    try:
        listed = await api(request).get(
            "/api/interventions", **params, **({"cursor": cursor} if cursor else {})
        )
    except ApiError as error:
        if error.status != 422 or not cursor:
            raise
        raise redirect(LIST) from None
    next_page = None
    if listed["next_cursor"]:
        next_page = LIST + "?" + urlencode({**params, "cursor": listed["next_cursor"]})
    return await page(
        request,
        "interventions/list.html",
        listed=listed,
        statuses=STATUSES,
        chosen=params.get("status", ""),
        next_page=next_page,
    )


async def intervention_page(
    request: web.Request,
    intervention: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    comment: str = "",
) -> web.Response:
    shown = await api(request).get(f"/api/interventions/{intervention}")
    return await page(
        request,
        "interventions/intervention.html",
        status=status,
        intervention=shown,
        errors=errors or {},
        comment=comment,
    )


@routes.get(INTERVENTION)
async def show(request: web.Request) -> web.Response:
    await fleet_customer(request)
    return await intervention_page(request, as_id(request.match_info["intervention_id"]))


@routes.post(INTERVENTION + "/cancel")
async def cancel(request: web.Request) -> web.Response:
    """Only while it waits for validation: a request scheduled meanwhile is a 409, said on
    the page with the status it has now."""
    await fleet_customer(request)
    intervention = as_id(request.match_info["intervention_id"])
    t = translator(await language(request))
    posted = await ticket_forms.read(request)
    comment = posted.text("comment")
    try:
        await api(request).call(
            "POST", f"/api/interventions/{intervention}/cancel", json={"comment": comment}
        )
    except ApiError as error:
        if error.status == 409:
            now = str(error.problem.get("status_now") or "")
            state = t(f"interventions.status.{now}", default=now)
            errors = {"": t("interventions.error.not_cancellable", status=state)}
        elif error.status == 422:
            errors = {"comment": t("interventions.error.comment_required")}
        else:
            raise
        return await intervention_page(
            request, intervention, status=error.status, errors=errors, comment=comment
        )
    await flash(request, "interventions.cancelled")
    raise redirect(f"/interventions/{intervention}")


@routes.get(INTERVENTION + "/attachments/{attachment_id:[0-9a-fA-F-]{36}}")
async def download(request: web.Request) -> web.StreamResponse:
    await fleet_customer(request)
    intervention = as_id(request.match_info["intervention_id"])
    attachment = as_id(request.match_info["attachment_id"])
    async with api(request).stream(
        f"/api/interventions/{intervention}/attachments/{attachment}"
    ) as upstream:
        return await relay(request, upstream)
