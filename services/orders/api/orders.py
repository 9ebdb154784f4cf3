"""The customer's orders: the list (newest first, filtered), one order with what is
delivered and outstanding, its shipments and history, cancelling it, and a shipment's
delivery note. Another organisation's order, or one of a machine outside the user's branch,
is an order that does not exist: 404."""

from __future__ import annotations

import asyncio
import uuid

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from services.orders import handlers, pdf, queries
from services.orders.api.common import (
    ORDERS_SETTINGS,
    VENDOR,
    context,
    customer,
    no_such_order,
    refusals,
    staff,
)
from services.orders.domain_types import CancellationComment
from services.orders.queries import CustomerListQuery, OrderList, OrderView
from shared.files.download import download_headers
from shared.files.sniffing import safe_filename
from shared.http.keys import DB_POOL, EVENT_STORE
from shared.http.openapi import operation
from shared.http.paging import BadCursor, bad_cursor
from shared.http.principal import acting_principal
from shared.http.problems import Problem, path_id, read_json, read_query

routes = web.RouteTableDef()
TAGS = ("orders",)


class CancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: CancellationComment


def order_id(request: web.Request) -> uuid.UUID:
    return path_id(request, "order_id", "order")


@routes.get("/orders")
@operation(
    "List the organisation's orders",
    query=CustomerListQuery,
    responses={200: OrderList, 422: None},
    tags=TAGS,
    description="Newest first. Pass `next_cursor` back as `cursor` for the next page.",
)
async def list_orders(request: web.Request) -> web.Response:
    buyer = customer(request)
    query = read_query(request, CustomerListQuery)
    try:
        result = await queries.list_orders(
            request.app[DB_POOL],
            organisation_id=buyer.organisation_id,
            branch=buyer.branch_id,
            status=query.status,
            asset_id=query.asset_id,
            placed_from=query.placed_from,
            placed_to=query.placed_to,
            zone=request.app[ORDERS_SETTINGS].zone,
            cursor=query.cursor,
            limit=query.limit,
        )
    except BadCursor:
        raise bad_cursor() from None
    return web.json_response(result.model_dump(mode="json"))


@routes.get("/orders/{order_id}")
@operation("An order", responses={200: OrderView, 404: None}, tags=TAGS)
async def get_order(request: web.Request) -> web.Response:
    buyer = customer(request)
    view = await queries.order(
        request.app[DB_POOL], order_id(request), buyer.organisation_id, buyer.branch_id
    )
    if view is None:
        raise no_such_order()
    return web.json_response(view.model_dump(mode="json"))


@routes.post("/orders/{order_id}/cancel")
@operation(
    "Cancel an order",
    request=CancelBody,
    responses={200: OrderView, 404: None, 409: None, 422: None},
    tags=TAGS,
    description="Only while submitted or deliverable; otherwise 409, whose `order_status`"
    " names the order's.",
)
async def cancel(request: web.Request) -> web.Response:
    buyer = customer(request)
    body = await read_json(request, CancelBody)
    async with refusals():
        await handlers.cancel(
            request.app[DB_POOL],
            request.app[EVENT_STORE],
            order_id(request),
            comment=body.comment,
            by=buyer.user_id,
            buyer=buyer,
            context=context(request, buyer.organisation_id),
        )
    return await get_order(request)


@routes.get("/orders/{order_id}/shipments/{shipment_id}/delivery-note.pdf")
@operation(
    "A shipment's delivery note",
    responses={200: None, 404: None},
    tags=TAGS,
    media_types={200: "application/pdf"},
    description="Rendered from the shipment as recorded; never shows your own order reference.",
)
async def delivery_note(request: web.Request) -> web.Response:
    principal = acting_principal(request)
    if principal.is_vendor_staff:
        staff(request)
        organisation, branch = None, None
    else:
        buyer = customer(request)
        organisation, branch = buyer.organisation_id, buyer.branch_id
    order = order_id(request)
    shipment = path_id(request, "shipment_id", "shipment")
    pool = request.app[DB_POOL]
    if await queries.order(pool, order, organisation, branch) is None:
        raise no_such_order()
    note = await queries.delivery_note(pool, order, shipment)
    if note is None:
        raise Problem(404, "Not found", "There is no such shipment.")
    content = await asyncio.to_thread(pdf.render, note, request.app[VENDOR])
    filename = safe_filename(f"BL-{note.delivery_note_number}.pdf")
    return web.Response(body=content, headers=download_headers("application/pdf", filename))
