"""The back office's side of consumables orders: the queue (by status, by organisation;
by default those waiting for validation), and an order's page where it is validated, shipped
(carrier, delivery-note number, how many of each outstanding line leave: a partial shipment
leaves the rest outstanding) or cancelled with a comment."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from services.web import order_forms
from services.web.api_client import ApiError
from services.web.forms import form
from services.web.i18n import Translate, translator
from services.web.pages.orders import CANCELLABLE, STATUSES, refused_cancel
from services.web.pages.orders import delivery_note as customer_delivery_note
from services.web.pages.queue import staff_required
from services.web.pages.ticket_access import as_id
from services.web.portal import acting, api, flash, language, page, redirect

routes = web.RouteTableDef()
LIST = "/back-office/orders"
ORDER = LIST + "/{order_id:[0-9a-fA-F-]{36}}"
AGENT_API = "/api/agent/orders"
ORGANISATIONS_FROM = "100"


def queue_filters(request: web.Request) -> dict[str, str]:
    """Waiting for validation unless another status (or every status: `all`) is asked."""
    status = request.query.get("status", STATUSES[0])
    chosen = {"status": status} if status in STATUSES else {}
    if status not in STATUSES and status != "all":
        chosen = {"status": STATUSES[0]}
    with contextlib.suppress(ValueError):
        chosen["organisation_id"] = str(uuid.UUID(request.query.get("organisation_id", "")))
    return chosen


@routes.get(LIST)
async def queue(request: web.Request) -> web.Response:
    await staff_required(request)
    filters = queue_filters(request)
    shown = {**filters, "status": filters.get("status", "all")}
    cursor = request.query.get("cursor", "")[:300]
    client = api(request)
    try:
        listed = await client.get(AGENT_API, **filters, **({"cursor": cursor} if cursor else {}))
    except ApiError as error:
        if error.status not in {400, 422} or not cursor:
            raise
        raise redirect(LIST + "?" + urlencode(shown)) from None
    organisations = await client.get("/api/organisations", limit=ORGANISATIONS_FROM)
    known = {item["organisation_id"]: item["legal_name"] for item in organisations["items"]}
    return await page(
        request,
        "back_office/orders.html",
        listed=listed,
        statuses=STATUSES,
        filters=shown,
        organisations=sorted(known.items(), key=lambda item: item[1].lower()),
        next_page=LIST + "?" + urlencode({**shown, "cursor": listed["next_cursor"]})
        if listed.get("next_cursor")
        else None,
    )


def outstanding_of(order: dict[str, Any]) -> dict[str, int]:
    return {line["reference"]: int(line["outstanding"]) for line in order["lines"]}


async def _order_page(
    request: web.Request,
    order: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> web.Response:
    who = await acting(request)
    shown = await api(request).get(f"{AGENT_API}/{order}")
    if values is None:  # a shipment starts as everything outstanding
        left = [line for line in shown["lines"] if line["outstanding"] > 0]
        values = {f"ship-{index}": str(line["outstanding"]) for index, line in enumerate(left)}
    return await page(
        request,
        "back_office/order.html",
        status=status,
        order=shown,
        # Agents read orders; the back office and vendor admins act on them.
        validatable=who.back_office and shown["status"] == "submitted",
        cancellable=who.back_office and shown["status"] in CANCELLABLE,
        shippable=who.back_office and shown["status"] in {"deliverable", "partially_delivered"},
        errors=errors or {},
        values=values,
    )


@routes.get(ORDER)
async def agent_order(request: web.Request) -> web.Response:
    await staff_required(request)
    return await _order_page(request, as_id(request.match_info["order_id"]))


def _refused(error: ApiError, t: Translate) -> dict[str, str]:
    if error.status == 409:
        now = str(error.problem.get("order_status") or "")
        state = t(f"orders.status.{now}", default=now)
        return {"": t("orders.error.refused", status=state) if now else str(error)}
    if error.status == 422:
        messages = [
            t("orders.error.invalid", default=message) for message in error.field_errors.values()
        ]
        return {"": " ".join(messages) or str(error)}
    raise error


async def _act(
    request: web.Request,
    action: str,
    body: dict[str, Any],
    values: dict[str, str] | None = None,
) -> web.Response:
    order = as_id(request.match_info["order_id"])
    t = translator(await language(request))
    try:
        await api(request).call("POST", f"{AGENT_API}/{order}/{action}", json=body)
    except ApiError as error:
        errors = refused_cancel(error, t) if action == "cancel" else _refused(error, t)
        return await _order_page(request, order, status=error.status, errors=errors, values=values)
    await flash(request, f"orders.done.{action}")
    raise redirect(f"{LIST}/{order}")


@routes.post(ORDER + "/validate")
async def validate(request: web.Request) -> web.Response:
    await staff_required(request)
    return await _act(request, "validate", {})


@routes.post(ORDER + "/shipments")
async def ship(request: web.Request) -> web.Response:
    await staff_required(request)
    order = as_id(request.match_info["order_id"])
    t = translator(await language(request))
    fields = await form(request)
    shown = await api(request).get(f"{AGENT_API}/{order}")
    posted = order_forms.read_shipment(fields, outstanding_of(shown), t)
    if posted.errors:
        return await _order_page(
            request, order, status=422, errors=posted.errors, values=posted.values
        )
    return await _act(request, "shipments", posted.body, posted.values)


@routes.post(ORDER + "/cancel")
async def cancel(request: web.Request) -> web.Response:
    await staff_required(request)
    comment = (await form(request)).get("comment", "").strip()
    if not comment:
        t = translator(await language(request))
        return await _order_page(
            request,
            as_id(request.match_info["order_id"]),
            status=422,
            errors={"comment": t("orders.error.comment_required")},
            values={"comment": comment},
        )
    return await _act(request, "cancel", {"comment": comment}, {"comment": comment})


@routes.get(ORDER + "/shipments/{shipment_id:[0-9a-fA-F-]{36}}/delivery-note.pdf")
async def delivery_note(request: web.Request) -> web.StreamResponse:
    """The same note as the customer's (the API gives it to the vendor's staff too)."""
    await staff_required(request)
    return await customer_delivery_note(request)
