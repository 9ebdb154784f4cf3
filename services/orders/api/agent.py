"""The back office's side: every organisation's orders (the queue of submitted ones oldest
first), validating, shipping (in one or several shipments) and cancelling."""

from __future__ import annotations

import uuid

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.orders import handlers, queries
from services.orders.api.common import ORDERS_SETTINGS, context, no_such_order, refusals, staff
from services.orders.api.orders import CancelBody, order_id
from services.orders.domain_types import Carrier, DeliveryNoteNumber, ShippedLine
from services.orders.queries import OrderList, OrderView, StaffListQuery
from shared.http.keys import DB_POOL, EVENT_STORE
from shared.http.openapi import operation
from shared.http.paging import BadCursor, bad_cursor
from shared.http.problems import read_json, read_query

routes = web.RouteTableDef()
TAGS = ("back office",)


class ShipmentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    carrier: Carrier
    delivery_note_number: DeliveryNoteNumber
    lines: list[ShippedLine] | None = Field(
        default=None,
        max_length=50,
        description="What leaves (reference and quantity); none: everything outstanding",
    )


@routes.get("/agent/orders")
@operation(
    "List every organisation's orders",
    query=StaffListQuery,
    responses={200: OrderList, 422: None},
    tags=TAGS,
    description="Newest first; with `status=submitted` alone, oldest first (the preparers'"
    " queue: first placed, first validated).",
)
async def agent_list_orders(request: web.Request) -> web.Response:
    staff(request)
    query = read_query(request, StaffListQuery)
    try:
        result = await queries.list_orders(
            request.app[DB_POOL],
            organisation_id=None,
            branch=None,
            status=query.status,
            asset_id=query.asset_id,
            zone=request.app[ORDERS_SETTINGS].zone,
            staff_organisation=query.organisation_id,
            cursor=query.cursor,
            limit=query.limit,
            oldest_first=query.status == ["submitted"],
        )
    except BadCursor:
        raise bad_cursor() from None
    return web.json_response(result.model_dump(mode="json"))


async def _view(request: web.Request, order: uuid.UUID) -> web.Response:
    view = await queries.order(request.app[DB_POOL], order, None)
    if view is None:
        raise no_such_order()
    return web.json_response(view.model_dump(mode="json"))


@routes.get("/agent/orders/{order_id}")
@operation("An order", responses={200: OrderView, 404: None}, tags=TAGS)
async def agent_get_order(request: web.Request) -> web.Response:
    staff(request)
    return await _view(request, order_id(request))


@routes.post("/agent/orders/{order_id}/validate")
@operation(
    "Validate a submitted order",
    responses={200: OrderView, 404: None, 409: None},
    tags=TAGS,
    description="It becomes deliverable in full (being prepared). 409 naming the status otherwise.",
)
async def validate(request: web.Request) -> web.Response:
    by = staff(request, changes=True)
    order = order_id(request)
    async with refusals():
        await handlers.validate(
            request.app[DB_POOL], request.app[EVENT_STORE], order, by, context(request)
        )
    return await _view(request, order)


@routes.post("/agent/orders/{order_id}/shipments")
@operation(
    "Ship (part of) a validated order",
    request=ShipmentBody,
    responses={201: OrderView, 404: None, 409: None, 422: None},
    tags=TAGS,
    description="No `lines`: everything outstanding. More than is outstanding of a reference"
    " is 422; an order not validated yet, delivered or cancelled is 409.",
)
async def ship(request: web.Request) -> web.Response:
    by = staff(request, changes=True)
    order = order_id(request)
    body = await read_json(request, ShipmentBody)
    async with refusals():
        await handlers.ship(
            request.app[DB_POOL],
            request.app[EVENT_STORE],
            order,
            carrier=body.carrier,
            delivery_note_number=body.delivery_note_number,
            lines=tuple(body.lines) if body.lines is not None else None,
            by=by,
            context=context(request),
        )
    response = await _view(request, order)
    response.set_status(201)
    return response


@routes.post("/agent/orders/{order_id}/cancel")
@operation(
    "Cancel an order",
    request=CancelBody,
    responses={200: OrderView, 404: None, 409: None, 422: None},
    tags=TAGS,
    description="Only while submitted or deliverable; the customer is told, with the comment.",
)
async def agent_cancel(request: web.Request) -> web.Response:
    by = staff(request, changes=True)
    order = order_id(request)
    body = await read_json(request, CancelBody)
    async with refusals():
        await handlers.cancel(
            request.app[DB_POOL],
            request.app[EVENT_STORE],
            order,
            comment=body.comment,
            by=by,
            buyer=None,
            context=context(request),
        )
    return await _view(request, order)
