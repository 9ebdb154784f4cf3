"""The organisation's invoices (seeds 001 and 003, flow 18): newest first, filtered by status
and period, with what is still owed; an invoice's lines, totals and payments; its PDF, and a
selection's PDFs as one ZIP (a plain form: no script needed), both passed on as the API gives
them. The vendor's staff read one organisation's invoices in the back office, on the same
pages under the organisation's address."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from services.web.api_client import ApiError
from services.web.forms import address, form, local_path, period
from services.web.pages.ticket_access import as_id
from services.web.portal import acting, api, flash, page, redirect
from services.web.relay import relay
from shared.auth.claims import Module

routes = web.RouteTableDef()
CUSTOMER = "/invoices"
STAFF = "/back-office/organisations/{organisation_id:[0-9a-fA-F-]{36}}/invoices"
INVOICE = "/{invoice_id:[0-9a-fA-F-]{36}}"
STATUSES = ("issued", "partially_paid", "overdue", "paid")
MAX_SELECTED = 100  # the API's limit for one ZIP


@dataclass(frozen=True)
class Ledger:
    """Whose invoices a page shows, and under which address: the customer's own
    organisation's (/invoices), or, for the vendor's staff, the one the address names."""

    base: str
    organisation_id: str | None = None

    @property
    def scope(self) -> dict[str, str]:
        """What narrows the API's answers to this organisation (a customer's token already
        does)."""
        return {"organisation_id": self.organisation_id} if self.organisation_id else {}

    def address(self, filters: dict[str, str], **more: str) -> str:
        return address(self.base, {**filters, **more})


async def ledger(request: web.Request) -> Ledger:
    who = await acting(request)
    organisation = request.match_info.get("organisation_id")
    if organisation is None:
        if who.staff or not who.has(Module.INVOICES):
            raise web.HTTPForbidden
        return Ledger(CUSTOMER)
    if not who.staff:
        raise web.HTTPForbidden
    organisation = as_id(organisation)
    return Ledger(f"/back-office/organisations/{organisation}/invoices", organisation)


def filters_of(request: web.Request) -> dict[str, str]:
    """The list's filters from the address, only values the API takes."""
    chosen: dict[str, str] = {}
    if request.query.get("status") in STATUSES:
        chosen["status"] = request.query["status"]
    return chosen | period(request.query, "issued_from", "issued_to")


async def invoice_list(request: web.Request) -> web.Response:
    where = await ledger(request)
    filters = filters_of(request)
    params = {**filters, **where.scope}
    cursor = request.query.get("cursor", "")[:200]
    if cursor:
        params["cursor"] = cursor
    try:
        listed = await api(request).get("/api/invoices", **params)
    except ApiError as error:
        if error.status != 422 or not cursor:
            raise
        raise redirect(where.address(filters)) from None  # a stale or edited cursor: page one
    organisation = (
        await api(request).get(f"/api/organisations/{where.organisation_id}")
        if where.organisation_id
        else None
    )
    return await page(
        request,
        "billing/list.html",
        listed=listed,
        where=where,
        organisation=organisation,
        filters=filters,
        statuses=STATUSES,
        here=request.path_qs,
        next_page=where.address(filters, cursor=listed["next_cursor"])
        if listed["next_cursor"]
        else None,
        first_page=where.address(filters) if cursor else None,
    )


async def _invoice(request: web.Request, where: Ledger) -> dict[str, Any]:
    """The invoice the address names, if it is this organisation's: the staff read every
    organisation's, so the back office checks the one in its address (else: not found)."""
    invoice_id = as_id(request.match_info["invoice_id"])
    invoice: dict[str, Any] = await api(request).get(f"/api/invoices/{invoice_id}")
    if where.organisation_id and invoice["organisation_id"] != where.organisation_id:
        raise web.HTTPNotFound
    return invoice


async def invoice_page(request: web.Request) -> web.Response:
    where = await ledger(request)
    invoice = await _invoice(request, where)
    return await page(request, "billing/invoice.html", invoice=invoice, where=where)


async def download_pdf(request: web.Request) -> web.StreamResponse:
    where = await ledger(request)
    if where.organisation_id:
        await _invoice(request, where)
    invoice_id = as_id(request.match_info["invoice_id"])
    async with api(request).stream(f"/api/invoices/{invoice_id}/pdf") as upstream:
        return await relay(request, upstream)


async def download_selection(request: web.Request) -> web.StreamResponse:
    """The ticked invoices' PDFs as one ZIP. The back office passes the ids on as they are:
    the staff may read every organisation's invoices."""
    where = await ledger(request)
    fields = await form(request)
    chosen: list[str] = []
    for value in fields.getall("invoice_id", [])[:MAX_SELECTED]:
        try:
            chosen.append(str(uuid.UUID(value)))
        except ValueError:
            raise web.HTTPNotFound from None
    if not chosen:
        await flash(request, "billing.select_none")
        raise redirect(local_path(fields.get("back"), where.base))
    async with api(request).stream(
        "/api/invoices/archive", method="POST", json={"invoice_ids": chosen}
    ) as upstream:
        return await relay(request, upstream)


for base in (CUSTOMER, STAFF):
    routes.get(base)(invoice_list)
    routes.post(base + "/archive")(download_selection)
    routes.get(base + INVOICE)(invoice_page)
    routes.get(base + INVOICE + "/pdf")(download_pdf)
