"""Consumables orders as seed 003's customers place and follow them (flows 16 and 17): "Commander
des consommables" from a machine's page (a quantity and the stock on hand per reference, a
delivery comment, the customer's own reference) saved into the cart; "Mon panier" (one entry
per machine, edited or removed) validated into orders, one per machine; the orders list
(status, machine, dates; newest first) and an order's page (what is delivered and what is
outstanding, its shipments and their delivery notes, its history, cancelling it)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from services.web import order_forms
from services.web.api_client import Api, ApiError
from services.web.forms import address, form, period
from services.web.i18n import Translate, translator
from services.web.pages.ticket_access import as_id, customer
from services.web.portal import CART_API, Acting, api, flash, language, page, redirect
from services.web.relay import relay
from shared.auth.claims import Module

routes = web.RouteTableDef()
CART = "/cart"
LIST = "/orders"
PLACED = "/orders/placed"
ORDER = "/orders/{order_id:[0-9a-fA-F-]{36}}"
ASSET = "/fleet/assets/{asset_id:[0-9a-fA-F-]{36}}"  # the fleet's machine page
STATUSES = ("submitted", "deliverable", "partially_delivered", "delivered", "cancelled")
CANCELLABLE = ("submitted", "deliverable")
MAX_PLACED = 50  # orders named on one confirmation (one per machine of the cart)
ASSETS_FROM = "100"  # the machine filter offers the first this many machines

# Where the gateway exposes the orders service (docs/api.md, "Orders"); the cart's is with
# the header's count (portal.py).
ORDERS_API = "/api/orders"


def consumables_api(asset: str) -> str:
    return f"/api/orders/assets/{asset}/consumables"


async def orders_customer(request: web.Request) -> Acting:
    """A customer user with the orders module (the vendor's staff work the back office)."""
    return await customer(request, Module.ORDERS)


def orders_of_asset(who: Acting) -> bool:
    return not who.staff and Module.ORDERS.value in who.modules


async def asset_orders(client: Api, asset: str) -> list[dict[str, Any]]:
    """A machine's latest orders, for its page's "suivi des commandes"."""
    listed = await client.get(ORDERS_API, asset_id=asset, limit="10")
    return list(listed["orders"])


def entry_of(cart: dict[str, Any], asset: str) -> dict[str, Any] | None:
    return next((entry for entry in cart["entries"] if entry["asset"]["asset_id"] == asset), None)


async def _consumables_form(
    request: web.Request,
    asset: str,
    *,
    status: int = 200,
    posted: order_forms.ConsumablesForm | None = None,
) -> web.Response:
    client = api(request)
    shown, offered, cart = await asyncio.gather(
        client.get(f"/api/fleet/assets/{asset}"),
        client.get(consumables_api(asset)),
        client.get(CART_API),
    )
    entry = entry_of(cart, asset)
    references = offered["consumables"]
    return await page(
        request,
        "orders/consumables.html",
        status=status,
        asset=shown["asset"],
        offered=offered,
        references=references,
        in_cart=entry is not None,
        values=posted.values if posted else order_forms.cart_values(entry, references),
        errors=posted.errors if posted else {},
    )


@routes.get(ASSET + "/order")
async def consumables_form(request: web.Request) -> web.Response:
    await orders_customer(request)
    return await _consumables_form(request, as_id(request.match_info["asset_id"]))


def cart_refusal(
    error: ApiError, posted: order_forms.ConsumablesForm, t: Translate
) -> dict[str, str]:
    """The API's refusal of a cart entry: a line's error next to that reference's quantity
    (the API names the line `lines.{i}` of the body, and its reference), else above the form."""
    fields = {
        value: key.replace("reference-", "quantity-")
        for key, value in posted.values.items()
        if key.startswith("reference-")
    }
    errors: dict[str, str] = {}
    for item in error.problem.get("errors", []) or []:
        reference = str(item.get("reference") or "")
        message = t(f"orders.error.{item.get('code')}", default=str(item.get("message") or ""))
        errors[fields.get(reference, "")] = message
    return errors or {"": str(error)}


@routes.post(ASSET + "/order")
async def save_to_cart(request: web.Request) -> web.Response:
    """Seed 003's green floppy disk: the machine's lines saved into the cart (replacing what
    the cart had for it), then on to "Mon panier"."""
    await orders_customer(request)
    asset = as_id(request.match_info["asset_id"])
    t = translator(await language(request))
    fields = await form(request)
    offered = await api(request).get(consumables_api(asset))
    posted = order_forms.read_consumables(fields, offered["consumables"], t)
    if not posted.errors:
        try:
            await api(request).call("PUT", f"{CART_API}/assets/{asset}", json=posted.body)
        except ApiError as error:
            if error.status not in {409, 422}:
                raise
            posted.errors = cart_refusal(error, posted, t)
    if posted.errors:
        return await _consumables_form(request, asset, status=422, posted=posted)
    await flash(request, "orders.saved_to_cart")
    raise redirect(CART)


@routes.get(CART)
async def cart_page(request: web.Request) -> web.Response:
    await orders_customer(request)
    cart = await api(request).get(CART_API)
    return await page(request, "orders/cart.html", cart=cart)


@routes.post(CART + "/assets/{asset_id:[0-9a-fA-F-]{36}}/remove")
async def remove_from_cart(request: web.Request) -> web.Response:
    await orders_customer(request)
    asset = as_id(request.match_info["asset_id"])
    try:
        await api(request).call("DELETE", f"{CART_API}/assets/{asset}")
    except ApiError as error:
        if error.status != 404:  # removed already (another tab): the cart shows it gone
            raise
    await flash(request, "orders.removed_from_cart")
    raise redirect(CART)


def placed_address(orders: list[dict[str, Any]]) -> str:
    return PLACED + "?" + urlencode([("order", str(order["order_id"])) for order in orders])


@routes.post(CART + "/checkout")
async def checkout(request: web.Request) -> web.Response:
    """ "Valider le panier": one order per machine, then their confirmation. The same cart
    validated in another tab meanwhile is a 409 naming the orders it placed: this tab shows
    those orders too, saying the cart had been validated already. The cart's version, as the
    page showed it, is sent along: a cart changed since (in another tab) is not placed
    unseen, and neither is one with a reference the vendor withdrew since."""
    await orders_customer(request)
    version = (await form(request)).get("version", "").strip()
    body = {"version": int(version)} if version.isdigit() else {}
    try:
        placed = (await api(request).call("POST", f"{CART_API}/checkout", json=body)).body
    except ApiError as error:
        if error.status == 409 and error.problem.get("orders"):
            numbers = [str(number) for number in error.problem["orders"]][:MAX_PLACED]
            raise redirect(PLACED + "?" + urlencode({"again": ",".join(numbers)})) from None
        if error.status == 422:
            await flash(request, "orders.error.cart_withdrawn")
        elif error.status == 409:
            cart = await api(request).get(CART_API)
            await flash(
                request, "orders.cart_changed" if cart["entries"] else "orders.cart_empty_now"
            )
        else:
            raise
        raise redirect(CART) from None
    raise redirect(placed_address(list(placed["orders"])))


async def _already_placed(client: Api, numbers: list[str]) -> list[dict[str, Any]]:
    """The orders a validation in another tab placed, found by number among the newest (they
    were placed a moment ago; one the list no longer reaches is named without its line)."""
    newest = await client.get(ORDERS_API, limit="100")
    return [order for order in newest["orders"] if order["number"] in numbers]


@routes.get(PLACED)
async def placed_page(request: web.Request) -> web.Response:
    """The confirmation: the orders' numbers, each to its page (the address names orders by
    id, and the API answers only the organisation's own), or, after a second validation of
    the same cart, those the first placed, by number."""
    await orders_customer(request)
    client = api(request)
    numbers = [one for one in request.query.get("again", "")[:2000].split(",") if one][:MAX_PLACED]
    if numbers:
        orders = await _already_placed(client, numbers)
        return await page(request, "orders/placed.html", orders=orders, again=numbers)
    ids: list[str] = []
    for value in request.query.getall("order", [])[:MAX_PLACED]:
        try:
            ids.append(str(uuid.UUID(value)))
        except ValueError:
            raise web.HTTPNotFound from None
    if not ids:
        raise redirect(LIST)
    orders = await asyncio.gather(*(client.get(f"{ORDERS_API}/{one}") for one in ids))
    return await page(request, "orders/placed.html", orders=orders, again=[])


def filters_of(request: web.Request) -> dict[str, str]:
    """The list's filters from the address, only values the API takes."""
    chosen: dict[str, str] = {}
    if request.query.get("status") in STATUSES:
        chosen["status"] = request.query["status"]
    with contextlib.suppress(ValueError):
        chosen["asset_id"] = str(uuid.UUID(request.query.get("asset_id", "")))
    return chosen | period(request.query, "placed_from", "placed_to")


def list_address(filters: dict[str, str], **more: str) -> str:
    return address(LIST, {**filters, **more})


@routes.get(LIST)
async def order_list(request: web.Request) -> web.Response:
    await orders_customer(request)
    filters = filters_of(request)
    cursor = request.query.get("cursor", "")[:300]
    client = api(request)
    try:
        listed, machines = await asyncio.gather(
            client.get(ORDERS_API, **filters, **({"cursor": cursor} if cursor else {})),
            client.get("/api/fleet/assets", limit=ASSETS_FROM),
        )
    except ApiError as error:
        if error.status not in {400, 422} or not cursor:
            raise
        raise redirect(list_address(filters)) from None  # a stale or edited cursor: page one
    return await page(
        request,
        "orders/list.html",
        listed=listed,
        filters=filters,
        statuses=STATUSES,
        machines=machines["assets"],
        next_page=list_address(filters, cursor=listed["next_cursor"])
        if listed.get("next_cursor")
        else None,
        first_page=list_address(filters) if cursor else None,
    )


async def order_page(
    request: web.Request,
    order: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    comment: str = "",
) -> web.Response:
    shown = await api(request).get(f"{ORDERS_API}/{order}")
    return await page(
        request,
        "orders/order.html",
        status=status,
        order=shown,
        cancellable=shown["status"] in CANCELLABLE,
        errors=errors or {},
        comment=comment,
    )


@routes.get(ORDER)
async def show(request: web.Request) -> web.Response:
    await orders_customer(request)
    return await order_page(request, as_id(request.match_info["order_id"]))


def refused_cancel(error: ApiError, t: Translate) -> dict[str, str]:
    """A cancellation refused: too late (409, naming the status the order has now) or without
    its comment (422)."""
    if error.status == 409:
        now = str(error.problem.get("order_status") or "")
        state = t(f"orders.status.{now}", default=now) if now else ""
        return {"": t("orders.error.not_cancellable", status=state) if state else str(error)}
    if error.status == 422:
        return {"comment": t("orders.error.comment_required")}
    raise error


@routes.post(ORDER + "/cancel")
async def cancel(request: web.Request) -> web.Response:
    await orders_customer(request)
    order = as_id(request.match_info["order_id"])
    t = translator(await language(request))
    comment = (await form(request)).get("comment", "").strip()
    errors = {"comment": t("orders.error.comment_required")} if not comment else {}
    if not errors:
        try:
            await api(request).call(
                "POST", f"{ORDERS_API}/{order}/cancel", json={"comment": comment}
            )
        except ApiError as error:
            errors = refused_cancel(error, t)
    if errors:
        status = 409 if "" in errors else 422
        return await order_page(request, order, status=status, errors=errors, comment=comment)
    await flash(request, "orders.cancelled")
    raise redirect(f"{LIST}/{order}")


async def delivery_note(request: web.Request) -> web.StreamResponse:
    """A shipment's delivery note, passed on as the API gives it (for whoever the caller let
    in: the customer's page, or the back office's)."""
    order = as_id(request.match_info["order_id"])
    shipment = as_id(request.match_info["shipment_id"])
    async with api(request).stream(
        f"{ORDERS_API}/{order}/shipments/{shipment}/delivery-note.pdf"
    ) as upstream:
        return await relay(request, upstream)


@routes.get(ORDER + "/shipments/{shipment_id:[0-9a-fA-F-]{36}}/delivery-note.pdf")
async def customer_delivery_note(request: web.Request) -> web.StreamResponse:
    await orders_customer(request)
    return await delivery_note(request)
