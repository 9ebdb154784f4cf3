"""The customer's fleet (seed 003's PARC): every machine with its model, serial number, site
and contract number, filtered and searched a page at a time; a machine's page (facts,
contract, counters with their last accepted values, readings due, its interventions and the
history of everything that concerned it); entering a meter reading."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDictProxy

from services.web.api_client import ApiError
from services.web.forms import form
from services.web.i18n import Formats, Translate, translator
from services.web.pages.orders import asset_orders, orders_of_asset
from services.web.pages.ticket_access import as_id, customer
from services.web.portal import WEB_SETTINGS, Acting, api, flash, language, page, redirect
from shared.auth.claims import Module

routes = web.RouteTableDef()
LIST = "/fleet"
ASSET = "/fleet/assets/{asset_id:[0-9a-fA-F-]{36}}"
STATUSES = ("in_service", "out_of_service", "withdrawn")
IDS = ("site_id", "model_id", "contract_id")
HISTORY_LIMIT = "30"
MODELS_FROM = "100"  # the customer API lists no models: they are read from this many assets
MAX_METER = 10**12  # the API's largest meter value


async def fleet_customer(request: web.Request) -> Acting:
    """A customer user with the fleet module (vendor staff see fleets in the back office)."""
    return await customer(request, Module.FLEET)


def reads_meters(who: Acting) -> bool:
    return Module.METER_READINGS.value in who.modules


def filters_of(request: web.Request) -> dict[str, str]:
    """The list's filters from the address, only values the API takes."""
    chosen: dict[str, str] = {}
    for name in IDS:
        with contextlib.suppress(ValueError):
            chosen[name] = str(uuid.UUID(request.query.get(name, "")))
    if request.query.get("status") in STATUSES:
        chosen["status"] = request.query["status"]
    words = request.query.get("q", "").strip()[:100]
    if words:
        chosen["q"] = words
    return chosen


async def due_by_asset(request: web.Request, who: Acting) -> dict[str, dict[str, Any]]:
    """The organisation's readings due (or overdue), by asset, for those who enter them."""
    if not reads_meters(who):
        return {}
    due = await api(request).get("/api/meter-readings/due")
    return {reading["asset_id"]: reading for reading in due["readings"]}


@routes.get(LIST)
async def fleet_list(request: web.Request) -> web.Response:
    who = await fleet_customer(request)
    filters = filters_of(request)
    params = dict(filters)
    cursor = request.query.get("cursor", "")[:300]
    if cursor:
        params["cursor"] = cursor
    try:
        listed = await api(request).get("/api/fleet/assets", **params)
    except ApiError as error:
        if error.status != 422 or not cursor:
            raise
        raise redirect(LIST + ("?" + urlencode(filters) if filters else "")) from None
    client = api(request)
    sites, contracts, some, due = await asyncio.gather(
        client.get("/api/fleet/sites"),
        client.get("/api/fleet/contracts"),
        client.get("/api/fleet/assets", limit=MODELS_FROM),
        due_by_asset(request, who),
    )
    models = {asset["model_id"]: asset["model_name"] for asset in some["assets"]}
    next_page = None
    if listed["next_cursor"]:
        next_page = LIST + "?" + urlencode({**filters, "cursor": listed["next_cursor"]})
    return await page(
        request,
        "fleet/list.html",
        listed=listed,
        filters=filters,
        sites=sites["sites"],
        contracts=contracts["contracts"],
        models=sorted(models.items(), key=lambda item: item[1]),
        statuses=STATUSES,
        due=due,
        first_page=LIST + ("?" + urlencode(filters) if filters else "") if cursor else None,
        next_page=next_page,
    )


async def asset_page(
    request: web.Request,
    asset: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> web.Response:
    who = await fleet_customer(request)
    client = api(request)
    history_page = {"limit": HISTORY_LIMIT}
    older = request.query.get("history", "")[:300]
    if older:
        history_page["cursor"] = older
    orders_shown = orders_of_asset(who)
    shown, history, interventions, due, orders = await asyncio.gather(
        client.get(f"/api/fleet/assets/{asset}"),
        client.get(f"/api/fleet/assets/{asset}/history", **history_page),
        client.get("/api/interventions", asset_id=asset, limit="10"),
        due_by_asset(request, who),
        asset_orders(client, asset) if orders_shown else _nothing(),
    )
    return await page(
        request,
        "fleet/asset.html",
        status=status,
        shown=shown,
        asset=shown["asset"],
        history=history["entries"],
        older_history=f"/fleet/assets/{asset}?{urlencode({'history': history['next_cursor']})}"
        if history["next_cursor"]
        else None,
        newest_history=bool(older),
        interventions=interventions["interventions"],
        due=due.get(asset),
        reads_meters=reads_meters(who),
        orders_shown=orders_shown,
        orders=orders,
        errors=errors or {},
        values=values or {},
    )


async def _nothing() -> list[dict[str, Any]]:
    return []


@routes.get(ASSET)
async def show_asset(request: web.Request) -> web.Response:
    asset = as_id(request.match_info["asset_id"])
    try:
        return await asset_page(request, asset)
    except ApiError as error:
        if error.status != 422 or "history" not in request.query:
            raise
        raise redirect(f"/fleet/assets/{asset}") from None  # a stale or edited cursor


def read_counters(
    fields: MultiDictProxy[str], names: list[str], t: Translate
) -> tuple[dict[str, int], dict[str, str], dict[str, str]]:
    """The posted meters, the values as typed (to show again) and a field's error when a
    value is not a whole number within the API's range."""
    counters: dict[str, int] = {}
    typed: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name in names:
        key = f"counters.{name}"
        text = "".join(fields.get(key, "").split())  # 120 345 as typed or as shown
        typed[key] = text
        if not text.isdigit() or int(text) > MAX_METER:
            errors[key] = t("fleet.error.meter_value")
            continue
        counters[name] = int(text)
    return counters, typed, errors


@routes.post(ASSET + "/readings")
async def enter_reading(request: web.Request) -> web.Response:
    """One field per meter of the model; a value lower than the last accepted one is
    refused by the API, and its message is shown next to that field."""
    who = await fleet_customer(request)
    if not reads_meters(who):
        raise web.HTTPForbidden
    asset = as_id(request.match_info["asset_id"])
    chosen = await language(request)
    t = translator(chosen)
    fields = await form(request)
    shown = await api(request).get(f"/api/fleet/assets/{asset}")
    names = [counter["counter"] for counter in shown["counters"]]
    counters, typed, errors = read_counters(fields, names, t)
    if not errors:
        try:
            await api(request).call(
                "POST", "/api/meter-readings", json={"asset_id": asset, "counters": counters}
            )
        except ApiError as error:
            if error.status != 422:
                raise
            errors = _reading_errors(error, t, Formats(chosen, request.app[WEB_SETTINGS].zone))
    if errors:
        return await asset_page(request, asset, status=422, errors=errors, values=typed)
    await flash(request, "fleet.reading_recorded")
    raise redirect(f"/fleet/assets/{asset}#readings")


def _reading_errors(error: ApiError, t: Translate, formats: Formats) -> dict[str, str]:
    """The API's refusal by field, in the reader's language when its kind is known (a meter
    lower than its last accepted value names that value), else in the API's words."""
    errors: dict[str, str] = {}
    for item in error.problem.get("errors", []) or []:
        field = str(item.get("field") or "")
        if item.get("code") == "lower_than_last":
            last = formats.number(item.get("last_value") or 0)
            errors[field] = t("fleet.error.lower_than_last", last=last)
        else:
            errors[field or ""] = str(item.get("message") or error)
    return errors or {"": str(error)}


@routes.get("/meter-readings")
async def readings_due(request: web.Request) -> web.Response:
    """The reminder email's link: the machines whose meters are due, each to its page."""
    who = await fleet_customer(request)
    if not reads_meters(who):
        raise web.HTTPForbidden
    due = await api(request).get("/api/meter-readings/due")
    return await page(request, "fleet/due.html", readings=due["readings"])
