"""What customers and staff read: the cart, a machine's orderable consumables with the
reorder hint, the orders list (keyset-paginated), one order with its lines, shipments and
history, and what a delivery note prints."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.orders import hint
from services.orders.domain_types import OrderStatus
from shared.http.paging import Paging, decode_cursor, encode_cursor

Connection = asyncpg.Pool | asyncpg.Connection


class AssetSummary(BaseModel):
    asset_id: uuid.UUID
    serial_number: str
    model_name: str
    site_name: str
    location: str
    status: str


class CartLineView(BaseModel):
    reference: str
    description: str | None = Field(description="None when the reference left the catalogue")
    quantity: int
    stock_on_hand: int | None
    max_quantity_per_order: int | None


class CartEntryView(BaseModel):
    asset: AssetSummary
    lines: list[CartLineView]
    delivery_comment: str | None
    customer_reference: str | None


class CartView(BaseModel):
    version: int = Field(description="Send it with the checkout to place exactly this cart")
    entries: list[CartEntryView]


class ReorderHint(BaseModel):
    days: int | None = Field(description="Likely needed in this many days; None: no estimate")
    per_day: float | None
    basis: str = Field(description="orders, orders_and_readings, or not_enough_data")
    reason: str


class ConsumableView(BaseModel):
    reference: str
    description: str
    max_quantity_per_order: int
    hint: ReorderHint


class ConsumableList(BaseModel):
    asset: AssetSummary
    consumables: list[ConsumableView]


class OrderFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: list[OrderStatus] | None = None
    asset_id: uuid.UUID | None = None
    placed_from: dt.date | None = Field(
        default=None, description="Placed on or after (days in the vendor's time zone)"
    )
    placed_to: dt.date | None = Field(
        default=None, description="Placed on or before (days in the vendor's time zone)"
    )

    @model_validator(mode="after")
    def _period_in_order(self) -> OrderFilters:
        if self.placed_from and self.placed_to and self.placed_from > self.placed_to:
            raise ValueError("placed_from must be on or before placed_to")
        return self


class CustomerListQuery(OrderFilters, Paging):
    pass


class StaffListQuery(Paging):
    model_config = ConfigDict(extra="forbid")

    status: list[OrderStatus] | None = None
    organisation_id: uuid.UUID | None = None
    asset_id: uuid.UUID | None = None


class OrderLineView(BaseModel):
    reference: str
    description: str
    ordered: int
    delivered: int
    outstanding: int
    stock_on_hand: int | None


class OrderSummary(BaseModel):
    order_id: uuid.UUID
    number: str
    organisation_id: uuid.UUID
    organisation_name: str = Field(description="Empty until orders has read identity's event")
    asset_id: uuid.UUID
    serial_number: str
    model_name: str
    site_name: str
    location: str
    status: OrderStatus
    placed_at: dt.datetime
    updated_at: dt.datetime
    customer_reference: str | None
    lines: list[OrderLineView]


class OrderList(BaseModel):
    orders: list[OrderSummary]
    next_cursor: str | None


class ShippedLineView(BaseModel):
    reference: str
    quantity: int


class ShipmentView(BaseModel):
    shipment_id: uuid.UUID
    carrier: str
    delivery_note_number: str
    lines: list[ShippedLineView]
    outstanding: list[ShippedLineView]
    shipped_at: dt.datetime
    delivery_note_url: str = Field(description="Relative to the API: GET it with the same token")


class HistoryEntry(BaseModel):
    action: str = Field(description="placed, validated, shipped or cancelled")
    actor_id: uuid.UUID
    actor_name: str = Field(description="As identity last told; empty when not known yet")
    by_vendor: bool
    at: dt.datetime
    comment: str | None


class OrderView(OrderSummary):
    checkout_id: uuid.UUID
    placed_by: uuid.UUID
    delivery_comment: str | None
    version: int
    shipments: list[ShipmentView]
    history: list[HistoryEntry]


ASSET = "a.asset_id, a.serial_number, a.model_name, a.site_name, a.location, a.status"
BRANCH = "($3::uuid IS NULL OR s.branch_id = $3)"


async def cart(
    connection: Connection, organisation_id: uuid.UUID, user_id: uuid.UUID, branch: uuid.UUID | None
) -> CartView:
    version = await connection.fetchval(
        "SELECT version FROM carts WHERE organisation_id = $1 AND user_id = $2",
        organisation_id,
        user_id,
    )
    rows = await connection.fetch(
        f"SELECT {ASSET}, a.model_id, e.lines, e.delivery_comment, e.customer_reference"
        " FROM cart_entries e JOIN assets a USING (asset_id)"
        " LEFT JOIN sites s ON s.site_id = a.site_id"
        f" WHERE e.organisation_id = $1 AND e.user_id = $2 AND {BRANCH}"
        " ORDER BY e.added_at, e.asset_id",
        organisation_id,
        user_id,
        branch,
    )
    catalogue = await connection.fetch(
        "SELECT model_id, reference, description, max_quantity_per_order FROM consumables"
        " WHERE model_id = ANY($1::uuid[]) AND NOT withdrawn",
        list({row["model_id"] for row in rows}),
    )
    known = {(row["model_id"], row["reference"]): row for row in catalogue}
    entries = []
    for row in rows:
        lines = []
        for line in row["lines"]:
            listed = known.get((row["model_id"], line["reference"]))
            lines.append(
                CartLineView(
                    **line,
                    description=listed["description"] if listed else None,
                    max_quantity_per_order=listed["max_quantity_per_order"] if listed else None,
                )
            )
        entries.append(
            CartEntryView(
                asset=AssetSummary.model_validate(dict(row)),
                lines=lines,
                delivery_comment=row["delivery_comment"],
                customer_reference=row["customer_reference"],
            )
        )
    return CartView(version=version or 0, entries=entries)


async def consumables(
    connection: Connection,
    asset_id: uuid.UUID,
    organisation_id: uuid.UUID,
    branch: uuid.UUID | None,
    today: dt.date,
) -> ConsumableList | None:
    asset = await connection.fetchrow(
        f"SELECT {ASSET}, a.model_id FROM assets a LEFT JOIN sites s ON s.site_id = a.site_id"
        f" WHERE a.asset_id = $1 AND a.organisation_id = $2 AND {BRANCH}",
        asset_id,
        organisation_id,
        branch,
    )
    if asset is None:
        return None
    rows = await connection.fetch(
        "SELECT reference, description, max_quantity_per_order FROM consumables"
        " WHERE model_id = $1 AND NOT withdrawn ORDER BY reference",
        asset["model_id"],
    )
    past = await connection.fetch(
        "SELECT l.reference, o.placed_at, l.quantity, l.stock_on_hand FROM orders o"
        " JOIN order_lines l USING (order_id) WHERE o.asset_id = $1 AND o.status <> 'cancelled'",
        asset_id,
    )
    readings = [
        hint.Reading(row["read_on"], row["pages"])
        for row in await connection.fetch(
            "SELECT read_on, pages FROM meter_readings WHERE asset_id = $1"
            " AND read_on >= $2 ORDER BY read_on",
            asset_id,
            today - dt.timedelta(days=3 * 365),
        )
    ]
    views = []
    for row in rows:
        orders = [
            hint.PastOrder(o["placed_at"].date(), o["quantity"], o["stock_on_hand"])
            for o in past
            if o["reference"] == row["reference"]
        ]
        estimate = hint.reorder_hint(orders, readings, today)
        views.append(
            ConsumableView(
                **dict(row),
                hint=ReorderHint(
                    days=estimate.days,
                    per_day=estimate.per_day,
                    basis=estimate.basis,
                    reason=estimate.reason,
                ),
            )
        )
    return ConsumableList(asset=AssetSummary.model_validate(dict(asset)), consumables=views)


SUMMARY = (
    "o.order_id, o.number, o.organisation_id, coalesce(g.legal_name, '') AS organisation_name,"
    " o.asset_id, o.serial_number, o.model_name,"
    " o.site_name, o.location, o.status, o.placed_at, o.updated_at, o.customer_reference"
)


ORGANISATION = " LEFT JOIN organisations g ON g.organisation_id = o.organisation_id"


async def _lines(connection: Connection, order_ids: list[uuid.UUID]) -> dict[uuid.UUID, list]:
    rows = await connection.fetch(
        "SELECT order_id, reference, description, quantity AS ordered, delivered,"
        " quantity - delivered AS outstanding, stock_on_hand FROM order_lines"
        " WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, position",
        order_ids,
    )
    lines: dict[uuid.UUID, list[OrderLineView]] = {order_id: [] for order_id in order_ids}
    for row in rows:
        values = dict(row)
        lines[values.pop("order_id")].append(OrderLineView.model_validate(values))
    return lines


async def list_orders(
    pool: asyncpg.Pool,
    *,
    organisation_id: uuid.UUID | None,
    branch: uuid.UUID | None,
    status: list[OrderStatus] | None,
    asset_id: uuid.UUID | None,
    placed_from: dt.date | None = None,
    placed_to: dt.date | None = None,
    zone: dt.tzinfo,
    staff_organisation: uuid.UUID | None = None,
    cursor: str | None,
    limit: int,
    oldest_first: bool = False,
) -> OrderList:
    """A page of orders, newest first (`oldest_first`: the back office's queue). Raises
    BadCursor for a cursor this list did not hand out."""
    clauses: list[str] = []
    arguments: list[Any] = []

    def add(clause: str, value: Any) -> None:
        arguments.append(value)
        clauses.append(clause.format(f"${len(arguments)}"))

    join = ""
    if organisation_id is not None:
        add("o.organisation_id = {}", organisation_id)
    if staff_organisation is not None:
        add("o.organisation_id = {}", staff_organisation)
    if branch is not None:
        join = " JOIN assets a ON a.asset_id = o.asset_id JOIN sites s ON s.site_id = a.site_id"
        add("s.branch_id = {}", branch)
    if status and len(set(status)) == 1:
        add("o.status = {}", status[0].value)
    elif status:
        add("o.status = ANY({}::text[])", [value.value for value in status])
    if asset_id is not None:
        add("o.asset_id = {}", asset_id)
    if placed_from is not None:
        add("o.placed_at >= {}", dt.datetime.combine(placed_from, dt.time(), zone))
    if placed_to is not None:
        end = dt.datetime.combine(placed_to + dt.timedelta(days=1), dt.time(), zone)
        add("o.placed_at < {}", end)
    direction, compare = ("ASC", ">") if oldest_first else ("DESC", "<")
    if cursor is not None:
        after_at, after_id = decode_cursor(cursor, (dt.datetime, uuid.UUID))
        arguments += [after_at, after_id]
        clauses.append(
            f"(o.placed_at, o.order_id) {compare} (${len(arguments) - 1}, ${len(arguments)})"
        )
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        rows = await connection.fetch(
            f"SELECT {SUMMARY} FROM orders o{ORGANISATION}{join}{where}"
            f" ORDER BY o.placed_at {direction}, o.order_id {direction} LIMIT {limit + 1}",
            *arguments,
        )
        page = rows[:limit]
        lines = await _lines(connection, [row["order_id"] for row in page])
    orders = [
        OrderSummary.model_validate({**dict(row), "lines": lines[row["order_id"]]}) for row in page
    ]
    next_cursor = (
        encode_cursor(orders[-1].placed_at, orders[-1].order_id) if len(rows) > limit else None
    )
    return OrderList(orders=orders, next_cursor=next_cursor)


async def order(
    connection: Connection,
    order_id: uuid.UUID,
    organisation_id: uuid.UUID | None,
    branch: uuid.UUID | None = None,
) -> OrderView | None:
    """The order if the reader may see it: in `organisation_id` (and the branch's sites), or
    anywhere when None."""
    row = await connection.fetchrow(
        f"SELECT {SUMMARY}, o.checkout_id, o.placed_by, o.delivery_comment, o.version"
        f" FROM orders o{ORGANISATION} LEFT JOIN assets a ON a.asset_id = o.asset_id"
        " LEFT JOIN sites s ON s.site_id = a.site_id"
        " WHERE o.order_id = $1 AND ($2::uuid IS NULL OR o.organisation_id = $2)"
        f" AND {BRANCH}",
        order_id,
        organisation_id,
        branch,
    )
    if row is None:
        return None
    shipments = await connection.fetch(
        "SELECT shipment_id, carrier, delivery_note_number, lines, outstanding, shipped_at"
        " FROM shipments WHERE order_id = $1 ORDER BY shipped_at, shipment_id",
        order_id,
    )
    history = await connection.fetch(
        "SELECT h.action, h.actor_id, coalesce(u.name, '') AS actor_name, h.by_vendor, h.at,"
        " h.comment FROM order_history h LEFT JOIN users u ON u.user_id = h.actor_id"
        " WHERE h.order_id = $1 ORDER BY h.version",
        order_id,
    )
    lines = await _lines(connection, [order_id])
    return OrderView.model_validate(
        {
            **dict(row),
            "lines": lines[order_id],
            "shipments": [
                {
                    **dict(shipment),
                    "delivery_note_url": f"/orders/{order_id}/shipments/"
                    f"{shipment['shipment_id']}/delivery-note.pdf",
                }
                for shipment in shipments
            ],
            "history": [dict(entry) for entry in history],
        }
    )


class DeliveryNoteData(BaseModel):
    """What a delivery note prints: never the customer's own order reference."""

    number: str
    organisation_name: str
    serial_number: str
    model_name: str
    site_name: str
    location: str
    delivery_comment: str | None
    carrier: str
    delivery_note_number: str
    shipped_at: dt.datetime
    shipped: list[tuple[str, str, int]]
    """(reference, description, quantity)"""
    outstanding: list[tuple[str, str, int]]


async def delivery_note(
    connection: Connection, order_id: uuid.UUID, shipment_id: uuid.UUID
) -> DeliveryNoteData | None:
    row = await connection.fetchrow(
        "SELECT o.number, coalesce(g.legal_name, '') AS organisation_name, o.serial_number,"
        " o.model_name, o.site_name, o.location, o.delivery_comment, s.carrier,"
        " s.delivery_note_number, s.shipped_at, s.lines, s.outstanding"
        " FROM shipments s JOIN orders o USING (order_id)"
        " LEFT JOIN organisations g ON g.organisation_id = o.organisation_id"
        " WHERE s.shipment_id = $1 AND s.order_id = $2",
        shipment_id,
        order_id,
    )
    if row is None:
        return None
    descriptions = {
        line["reference"]: line["description"]
        for line in await connection.fetch(
            "SELECT reference, description FROM order_lines WHERE order_id = $1", order_id
        )
    }
    values = dict(row)

    def described(lines: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
        return [
            (line["reference"], descriptions.get(line["reference"], ""), line["quantity"])
            for line in lines
        ]

    return DeliveryNoteData.model_validate(
        {
            **values,
            "shipped": described(values.pop("lines")),
            "outstanding": described(values.pop("outstanding")),
        }
    )
