"""The back office's side of the fleet: the interventions to validate and schedule (any
status on demand), one intervention's page where it is scheduled (date, technician),
started and completed, and an organisation's machines with their history."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from services.web.api_client import ApiError
from services.web.forms import form, text
from services.web.i18n import Translate, translator
from services.web.pages.interventions import STATUSES
from services.web.pages.queue import organisation_names, staff_required
from services.web.pages.ticket_access import as_id
from services.web.portal import WEB_SETTINGS, acting, api, flash, language, page, redirect

routes = web.RouteTableDef()
LIST = "/back-office/interventions"
INTERVENTION = LIST + "/{intervention_id:[0-9a-fA-F-]{36}}"
ORGANISATION_FLEET = "/back-office/organisations/{organisation_id:[0-9a-fA-F-]{36}}/fleet"


@routes.get(LIST)
async def to_schedule(request: web.Request) -> web.Response:
    """Oldest first, by default those waiting for validation (the API's default)."""
    await staff_required(request)
    status = request.query.get("status", STATUSES[0])
    if status not in STATUSES:
        status = STATUSES[0]
    params = {"status": status}
    cursor = request.query.get("cursor", "")[:200]
    try:
        listed = await api(request).get(
            "/api/agent/interventions", **params, **({"cursor": cursor} if cursor else {})
        )
    except ApiError as error:
        if error.status != 422 or not cursor:
            raise
        raise redirect(LIST + "?" + urlencode(params)) from None
    names = await organisation_names(
        api(request), {}, {row["organisation_id"] for row in listed["interventions"]}
    )
    next_page = None
    if listed["next_cursor"]:
        next_page = LIST + "?" + urlencode({**params, "cursor": listed["next_cursor"]})
    return await page(
        request,
        "back_office/interventions.html",
        listed=listed,
        statuses=STATUSES,
        chosen=status,
        organisation_names=names,
        next_page=next_page,
    )


async def _intervention_page(
    request: web.Request,
    intervention: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> web.Response:
    shown = await api(request).get(f"/api/agent/interventions/{intervention}")
    names = await organisation_names(api(request), {}, {shown["organisation_id"]})
    if shown["scheduled_for"] and values is None:  # rescheduling starts from the date set
        zone = request.app[WEB_SETTINGS].zone
        moment = dt.datetime.fromisoformat(shown["scheduled_for"]).astimezone(zone)
        values = {"scheduled_for": moment.strftime("%Y-%m-%dT%H:%M")}
    return await page(
        request,
        "back_office/intervention.html",
        status=status,
        intervention=shown,
        organisation_name=names.get(shown["organisation_id"], ""),
        errors=errors or {},
        values=values or {},
    )


@routes.get(INTERVENTION)
async def agent_intervention(request: web.Request) -> web.Response:
    await staff_required(request)
    return await _intervention_page(request, as_id(request.match_info["intervention_id"]))


def scheduled_for(value: str, zone: dt.tzinfo) -> str | None:
    """The form's date and time (a datetime-local field, no zone) read in the vendor's zone,
    the one every time of the portal is shown in; None when it is not a date and time."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).isoformat()


def _refused(error: ApiError, t: Translate) -> dict[str, str]:
    if error.status == 409:
        now = str(error.problem.get("status_now") or "")
        state = t(f"interventions.status.{now}", default=now)
        return {"": t("interventions.error.refused", status=state)}
    if error.status == 422:
        return {
            name: t("interventions.error.invalid", default=message)
            for name, message in error.field_errors.items()
        } or {"": str(error)}
    raise error


async def _act(
    request: web.Request, action: str, body: dict[str, Any], values: dict[str, str]
) -> web.Response:
    intervention = as_id(request.match_info["intervention_id"])
    try:
        await api(request).call(
            "POST", f"/api/agent/interventions/{intervention}/{action}", json=body
        )
    except ApiError as error:
        t = translator(await language(request))
        return await _intervention_page(
            request,
            intervention,
            status=error.status,
            errors=_refused(error, t),
            values=values,
        )
    await flash(request, f"interventions.done.{action}")
    raise redirect(f"{LIST}/{intervention}")


@routes.post(INTERVENTION + "/schedule")
async def schedule(request: web.Request) -> web.Response:
    await staff_required(request)
    fields = await form(request)
    values = {
        "scheduled_for": text(fields, "scheduled_for"),
        "technician": text(fields, "technician"),
    }
    when = scheduled_for(values["scheduled_for"], request.app[WEB_SETTINGS].zone)
    if when is None:
        t = translator(await language(request))
        return await _intervention_page(
            request,
            as_id(request.match_info["intervention_id"]),
            status=422,
            errors={"scheduled_for": t("interventions.error.date_required")},
            values=values,
        )
    return await _act(
        request, "schedule", {"scheduled_for": when, "technician": values["technician"]}, values
    )


@routes.post(INTERVENTION + "/start")
async def start(request: web.Request) -> web.Response:
    await staff_required(request)
    return await _act(request, "start", {}, {})


@routes.post(INTERVENTION + "/complete")
async def complete(request: web.Request) -> web.Response:
    await staff_required(request)
    fields = await form(request)
    report = text(fields, "report")
    return await _act(request, "complete", {"report": report} if report else {}, {"report": report})


@routes.post(INTERVENTION + "/decline")
async def decline(request: web.Request) -> web.Response:
    """The vendor declines a request still waiting (e.g. a machine its contract does not
    cover): the customer is emailed the comment."""
    await staff_required(request)
    fields = await form(request)
    values = {"decline_comment": text(fields, "decline_comment")}
    if not values["decline_comment"]:
        t = translator(await language(request))
        return await _intervention_page(
            request,
            as_id(request.match_info["intervention_id"]),
            status=422,
            errors={"decline_comment": t("interventions.error.decline_comment_required")},
            values=values,
        )
    return await _act(request, "decline", {"comment": values["decline_comment"]}, values)


async def _organisation_fleet(
    request: web.Request,
    organisation: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> web.Response:
    who = await acting(request)
    client = api(request)
    params = {"organisation_id": organisation, "limit": "100"}
    cursor = request.query.get("cursor", "")[:300]
    found, listed, sites, contracts = await asyncio.gather(
        client.get(f"/api/organisations/{organisation}"),
        client.get("/api/agent/fleet/assets", **params, **({"cursor": cursor} if cursor else {})),
        client.get("/api/agent/fleet/sites", organisation_id=organisation),
        client.get("/api/agent/fleet/contracts", organisation_id=organisation),
    )
    models = await client.get("/api/agent/fleet/models") if who.back_office else None
    next_page = None
    if listed["next_cursor"]:
        next_page = request.path + "?" + urlencode({"cursor": listed["next_cursor"]})
    return await page(
        request,
        "back_office/fleet.html",
        status=status,
        organisation=found,
        listed=listed,
        sites=sites["sites"],
        contracts=contracts["contracts"],
        models=models["models"] if models else [],
        registers=who.back_office,
        errors=errors or {},
        values=values or {},
        next_page=next_page,
    )


@routes.get(ORGANISATION_FLEET)
async def organisation_fleet(request: web.Request) -> web.Response:
    """An organisation's sites and machines; the back office registers new ones here."""
    await staff_required(request)
    return await _organisation_fleet(request, as_id(request.match_info["organisation_id"]))


SITE_FIELDS = ("name", "line1", "postal_code", "city")
ASSET_FIELDS = ("model_id", "serial_number", "site_id", "location", "contract_id", "installed_on")


async def _register(
    request: web.Request, path: str, body: dict[str, Any], values: dict[str, str], done: str
) -> web.Response:
    """A site or a machine registered by the back office; a refusal is the page again with
    the API's field errors."""
    organisation = as_id(request.match_info["organisation_id"])
    try:
        await api(request).call("POST", path, json={"organisation_id": organisation, **body})
    except ApiError as error:
        if error.status not in {409, 422}:
            raise
        t = translator(await language(request))
        errors = {
            name.rpartition(".")[2]: t("interventions.error.invalid", default=message)
            for name, message in error.field_errors.items()
        } or {"": str(error)}
        return await _organisation_fleet(
            request, organisation, status=error.status, errors=errors, values=values
        )
    await flash(request, done)
    raise redirect(request.path.rpartition("/")[0])


@routes.post(ORGANISATION_FLEET + "/sites")
async def register_site(request: web.Request) -> web.Response:
    await staff_required(request)
    fields = await form(request)
    values = {name: text(fields, name) for name in SITE_FIELDS}
    address = {name: values[name] for name in ("line1", "postal_code", "city")}
    body = {"name": values["name"], "address": address}
    return await _register(request, "/api/agent/fleet/sites", body, values, "fleet.site_registered")


@routes.post(ORGANISATION_FLEET + "/assets")
async def register_asset(request: web.Request) -> web.Response:
    await staff_required(request)
    fields = await form(request)
    values = {name: text(fields, name) for name in ASSET_FIELDS}
    body: dict[str, Any] = {name: value for name, value in values.items() if value}
    body.setdefault("location", "")
    return await _register(
        request, "/api/agent/fleet/assets", body, values, "fleet.asset_registered"
    )
