"""The organisation's tickets (seeds 001 and 004): most recently changed first, a page at a
time (keyset: next and previous), filters and full-text search, the columns the user chose,
unread flags, and the filtered list exported to Excel or CSV."""

from __future__ import annotations

import contextlib
import uuid
from urllib.parse import urlencode

from aiohttp import web

from services.web.api_client import ApiError
from services.web.forms import address, form, local_path
from services.web.pages.ticket_access import customer
from services.web.portal import api, flash, page, redirect
from services.web.relay import relay

routes = web.RouteTableDef()
LIST = "/tickets"
STATUSES = ("new", "open", "in_progress", "waiting_for_customer", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
TYPES = ("incident", "request", "question", "contact")
COLUMNS = (
    "number",
    "title",
    "status",
    "priority",
    "ticket_type",
    "nature",
    "severity",
    "department",
    "product",
    "site",
    "requester",
    "reference_1",
    "reference_2",
    "opened_at",
    "updated_at",
    "unread_messages",
    "first_response_due_at",
    "resolution_due_at",
)
CHOICES = {"status": STATUSES, "priority": PRIORITIES, "ticket_type": TYPES}
WORDS = ("product", "site", "q")


def filters_of(request: web.Request) -> dict[str, str]:
    """The list's filters from the address, only values the API takes: a hand-edited
    address narrows nothing rather than failing."""
    chosen: dict[str, str] = {}
    query = request.query
    for name, allowed in CHOICES.items():
        if query.get(name) in allowed:
            chosen[name] = query[name]
    with contextlib.suppress(ValueError):
        chosen["requester_id"] = str(uuid.UUID(query.get("requester_id", "")))
    for name in WORDS:
        value = query.get(name, "").strip()[:200]
        if value:
            chosen[name] = value
    return chosen


def _address(filters: dict[str, str], **more: str) -> str:
    return address(LIST, {**filters, **more})


@routes.get(LIST)
async def ticket_list(request: web.Request) -> web.Response:
    await customer(request)
    filters = filters_of(request)
    params = dict(filters)
    cursor = request.query.get("cursor", "")[:200]
    if cursor:
        params["cursor"] = cursor
    try:
        listed = await api(request).get("/api/tickets", **params)
    except ApiError as error:
        if error.status != 422 or not cursor:
            raise
        raise redirect(_address(filters)) from None  # a stale or edited cursor: page one
    columns = (await api(request).get("/api/tickets/columns"))["columns"]
    choices = await api(request).get("/api/tickets/choices")
    return await page(
        request,
        "tickets/list.html",
        listed=listed,
        columns=columns,
        every_column=COLUMNS,
        filters=filters,
        colleagues=choices["colleagues"],
        statuses=STATUSES,
        priorities=PRIORITIES,
        types=TYPES,
        here=request.path_qs,
        next_page=_address(filters, cursor=listed["next_cursor"])
        if listed["next_cursor"]
        else None,
        previous_page=_address(filters, cursor=listed["previous_cursor"])
        if listed.get("previous_cursor")
        else None,
        export_query=urlencode(filters),
    )


@routes.post(LIST + "/columns")
async def choose_columns(request: web.Request) -> web.Response:
    await customer(request)
    fields = await form(request)
    chosen = [column for column in COLUMNS if column in fields.getall("columns", [])]
    back = local_path(fields.get("back"), LIST)
    if not chosen:
        await flash(request, "tickets.columns_none")
        raise redirect(back)
    await api(request).call("PUT", "/api/tickets/columns", json={"columns": chosen})
    await flash(request, "tickets.columns_saved")
    raise redirect(back)


@routes.get(LIST + "/export.{extension:csv|xlsx}")
async def export(request: web.Request) -> web.StreamResponse:
    """The API's export, passed on as it is written (a long list is never held whole)."""
    await customer(request)
    extension = request.match_info["extension"]
    async with api(request).stream(
        f"/api/tickets/export.{extension}", filters_of(request)
    ) as upstream:
        return await relay(request, upstream)
