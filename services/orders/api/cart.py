"""The customer's cart (one per user and organisation, kept server-side: it survives signing
out and changing devices), a machine's orderable consumables, and the checkout."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.orders import handlers, queries
from services.orders.api.common import ORDERS_SETTINGS, context, customer, no_such_asset, refusals
from services.orders.domain import WantedLine
from services.orders.domain_types import ConsumableReference, CustomerReference, DeliveryComment
from services.orders.queries import CartView, ConsumableList, OrderList
from shared.http.keys import DB_POOL, EVENT_STORE
from shared.http.openapi import operation
from shared.http.problems import path_id, read_json

routes = web.RouteTableDef()
TAGS = ("cart",)
# Quantities are whole numbers as JSON sends them ("2" or 2.5 are refused, not rounded).
Count = Annotated[int, Field(strict=True, le=100_000)]


class CartLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: ConsumableReference
    quantity: Count = Field(description="At least 1, at most the reference's maximum per order")
    stock_on_hand: Annotated[Count, Field(ge=0)] | None = Field(
        default=None, description="How many the customer still has (feeds the reorder hint)"
    )


class CartEntryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[CartLine] = Field(min_length=1, max_length=50)
    delivery_comment: DeliveryComment | None = Field(
        default=None, description="Access codes, building, door, contact: on the delivery note"
    )
    customer_reference: CustomerReference | None = Field(
        default=None, description="Your own order reference: never on the delivery note"
    )


class CheckoutBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(
        default=None, description="The cart's version as shown: 409 if it changed since"
    )


def asset_id(request: web.Request) -> uuid.UUID:
    return path_id(request, "asset_id", "asset")


@routes.get("/cart")
@operation("The user's cart", responses={200: CartView}, tags=TAGS)
async def get_cart(request: web.Request) -> web.Response:
    buyer = customer(request)
    view = await queries.cart(
        request.app[DB_POOL], buyer.organisation_id, buyer.user_id, buyer.branch_id
    )
    return web.json_response(view.model_dump(mode="json"))


@routes.put("/cart/assets/{asset_id}")
@operation(
    "Set a machine's entry of the cart",
    request=CartEntryBody,
    responses={200: CartView, 404: None, 409: None, 422: None},
    tags=TAGS,
    description="Replaces the machine's lines, delivery comment and reference. 422 names each"
    " line that is not in the machine's catalogue or asks for more than its maximum; 409 for"
    " a withdrawn machine.",
)
async def put_entry(request: web.Request) -> web.Response:
    buyer = customer(request)
    machine = asset_id(request)
    body = await read_json(request, CartEntryBody)
    entry = handlers.CartEntry(
        lines=tuple(
            WantedLine(line.reference, line.quantity, line.stock_on_hand) for line in body.lines
        ),
        delivery_comment=body.delivery_comment,
        customer_reference=body.customer_reference,
    )
    async with refusals():
        await handlers.put_entry(request.app[DB_POOL], buyer, machine, entry)
    return await get_cart(request)


@routes.delete("/cart/assets/{asset_id}")
@operation("Remove a machine's entry", responses={200: CartView, 404: None}, tags=TAGS)
async def delete_entry(request: web.Request) -> web.Response:
    buyer = customer(request)
    async with refusals():
        await handlers.delete_entry(request.app[DB_POOL], buyer, asset_id(request))
    return await get_cart(request)


@routes.post("/cart/checkout")
@operation(
    "Validate the cart",
    request=CheckoutBody,
    responses={201: OrderList, 409: None, 422: None},
    tags=TAGS,
    description="Places one order per machine, all or none, and empties the cart. 409 when"
    " it is empty, changed since `version`, or was validated already (another tab): that"
    " problem's `orders` names the numbers placed.",
)
async def checkout(request: web.Request) -> web.Response:
    buyer = customer(request)
    body = await read_json(request, CheckoutBody) if request.can_read_body else CheckoutBody()
    settings = request.app[ORDERS_SETTINGS]
    async with refusals():
        order_ids = await handlers.checkout(
            request.app[DB_POOL],
            request.app[EVENT_STORE],
            buyer,
            body.version,
            context(request, buyer.organisation_id),
            settings.order_number_prefix,
            settings.zone,
        )
    placed = []
    for order_id in order_ids:
        view = await queries.order(request.app[DB_POOL], order_id, buyer.organisation_id)
        assert view is not None
        placed.append(view)
    return web.json_response(
        {"orders": [view.model_dump(mode="json") for view in placed], "next_cursor": None},
        status=201,
    )


@routes.get("/orders/assets/{asset_id}/consumables")
@operation(
    "A machine's orderable consumables, with the reorder hint",
    responses={200: ConsumableList, 404: None},
    tags=TAGS,
    description="The machine's model's catalogue (maximum per order) and, per reference,"
    ' "likely needed in N days" when the past orders say enough (see docs/api.md).',
)
async def consumables(request: web.Request) -> web.Response:
    buyer = customer(request)
    view = await queries.consumables(
        request.app[DB_POOL],
        asset_id(request),
        buyer.organisation_id,
        buyer.branch_id,
        dt.datetime.now(request.app[ORDERS_SETTINGS].zone).date(),
    )
    if view is None:
        raise no_such_asset()
    return web.json_response(view.model_dump(mode="json"))
