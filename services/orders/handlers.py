"""One function per command. The cart is plain state (docs/decisions/0014-the-cart-is-state.md);
an order is event-sourced: load, decide, append with the expected version, project, in one
transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace

import asyncpg

from services.orders import projections
from services.orders.domain import (
    CatalogueEntry,
    InvalidLines,
    LineProblem,
    Order,
    Placement,
    WantedLine,
    check_lines,
)
from services.orders.domain_types import OrderedLine, ShippedLine
from shared.events import DomainEvent
from shared.eventstore import EventContext, EventStore

WITHDRAWN = "withdrawn"


class UnknownAsset(Exception):
    """No machine of the caller's (organisation and branch) has this id (answered 404)."""


class UnknownOrder(Exception):
    """No order the caller may see has this id (answered 404)."""


class AssetWithdrawn(Exception):
    """A withdrawn machine orders nothing (answered 409)."""

    def __init__(self, serial_number: str) -> None:
        super().__init__(f"machine {serial_number} is withdrawn: it orders nothing")
        self.serial_number = serial_number


class EmptyCart(Exception):
    """Nothing to validate (answered 409)."""


class AlreadyPlaced(Exception):
    """This cart was validated already, and nothing changed since (answered 409 naming the
    orders placed)."""

    def __init__(self, numbers: list[str]) -> None:
        super().__init__(f"this cart was already validated: {', '.join(numbers)}")
        self.numbers = numbers


class CartChanged(Exception):
    """The cart changed since the version the caller validated (answered 409)."""


class UnknownUser(Exception):
    """Orders does not know the user's email yet (identity's event is on its way; 503)."""


@dataclass(frozen=True)
class Buyer:
    """Who orders: a user acting for an organisation, limited to a branch's sites or not."""

    organisation_id: uuid.UUID
    user_id: uuid.UUID
    branch_id: uuid.UUID | None


@dataclass(frozen=True)
class CartEntry:
    lines: tuple[WantedLine, ...]
    delivery_comment: str | None
    customer_reference: str | None


@dataclass(frozen=True)
class Machine:
    asset_id: uuid.UUID
    organisation_id: uuid.UUID
    model_id: uuid.UUID
    model_name: str
    serial_number: str
    site_name: str
    location: str
    status: str


VISIBLE_ASSET = (
    "SELECT a.asset_id, a.organisation_id, a.model_id, a.model_name, a.serial_number,"
    " a.site_name, a.location, a.status FROM assets a LEFT JOIN sites s USING (site_id)"
    " WHERE a.asset_id = $1 AND a.organisation_id = $2"
    " AND ($3::uuid IS NULL OR s.branch_id = $3)"
)


async def machine(
    connection: asyncpg.Connection | asyncpg.Pool,
    asset_id: uuid.UUID,
    organisation_id: uuid.UUID,
    branch_id: uuid.UUID | None,
) -> Machine:
    """The organisation's machine, at one of the branch's sites for a user limited to one;
    UnknownAsset otherwise (another organisation's machine is one that does not exist)."""
    row = await connection.fetchrow(VISIBLE_ASSET, asset_id, organisation_id, branch_id)
    if row is None:
        raise UnknownAsset(asset_id)
    return Machine(**dict(row))


async def catalogue(
    connection: asyncpg.Connection | asyncpg.Pool, model_id: uuid.UUID
) -> dict[str, CatalogueEntry]:
    rows = await connection.fetch(
        "SELECT reference, description, max_quantity_per_order FROM consumables"
        " WHERE model_id = $1 AND NOT withdrawn",
        model_id,
    )
    return {row["reference"]: CatalogueEntry(**dict(row)) for row in rows}


async def _orderable(
    connection: asyncpg.Connection, buyer: Buyer, asset_id: uuid.UUID, lines: Sequence[WantedLine]
) -> tuple[Machine, list[OrderedLine]]:
    found = await machine(connection, asset_id, buyer.organisation_id, buyer.branch_id)
    if found.status == WITHDRAWN:
        raise AssetWithdrawn(found.serial_number)
    return found, check_lines(lines, await catalogue(connection, found.model_id))


async def _touch_cart(connection: asyncpg.Connection, buyer: Buyer) -> None:
    await connection.execute(
        "INSERT INTO carts (organisation_id, user_id, version) VALUES ($1, $2, 1)"
        " ON CONFLICT (organisation_id, user_id) DO UPDATE SET version = carts.version + 1,"
        " last_checkout_id = NULL, updated_at = now()",
        buyer.organisation_id,
        buyer.user_id,
    )


async def put_entry(
    pool: asyncpg.Pool, buyer: Buyer, asset_id: uuid.UUID, entry: CartEntry
) -> None:
    """Set the machine's entry in the buyer's cart: every line must be orderable now."""
    async with pool.acquire() as connection, connection.transaction():
        _, lines = await _orderable(connection, buyer, asset_id, entry.lines)
        await _touch_cart(connection, buyer)
        await connection.execute(
            "INSERT INTO cart_entries (organisation_id, user_id, asset_id, lines,"
            " delivery_comment, customer_reference) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (organisation_id, user_id, asset_id) DO UPDATE SET"
            " lines = excluded.lines, delivery_comment = excluded.delivery_comment,"
            " customer_reference = excluded.customer_reference",
            buyer.organisation_id,
            buyer.user_id,
            asset_id,
            [
                {"reference": line.reference, "quantity": line.quantity}
                | {"stock_on_hand": line.stock_on_hand}
                for line in lines
            ],
            entry.delivery_comment or None,
            entry.customer_reference or None,
        )


async def delete_entry(pool: asyncpg.Pool, buyer: Buyer, asset_id: uuid.UUID) -> None:
    async with pool.acquire() as connection, connection.transaction():
        await machine(connection, asset_id, buyer.organisation_id, buyer.branch_id)
        removed = await connection.fetchval(
            "DELETE FROM cart_entries WHERE organisation_id = $1 AND user_id = $2"
            " AND asset_id = $3 RETURNING asset_id",
            buyer.organisation_id,
            buyer.user_id,
            asset_id,
        )
        if removed is not None:
            await _touch_cart(connection, buyer)


async def checkout(
    pool: asyncpg.Pool,
    store: EventStore,
    buyer: Buyer,
    expected_version: int | None,
    context: EventContext,
    number_prefix: str,
    zone: dt.tzinfo,
) -> list[uuid.UUID]:
    """Place one order per machine of the cart, all or none, and empty it. The cart's row is
    locked for the transaction: a second validation of the same cart waits, then finds it
    validated (AlreadyPlaced, naming the orders)."""
    async with pool.acquire() as connection, connection.transaction():
        cart = await connection.fetchrow(
            "SELECT version, last_checkout_id FROM carts WHERE organisation_id = $1"
            " AND user_id = $2 FOR UPDATE",
            buyer.organisation_id,
            buyer.user_id,
        )
        entries = await connection.fetch(
            "SELECT asset_id, lines, delivery_comment, customer_reference FROM cart_entries"
            " WHERE organisation_id = $1 AND user_id = $2 ORDER BY added_at, asset_id",
            buyer.organisation_id,
            buyer.user_id,
        )
        if not entries:
            if cart is not None and cart["last_checkout_id"] is not None:
                numbers = await connection.fetch(
                    "SELECT number FROM orders WHERE checkout_id = $1 ORDER BY number",
                    cart["last_checkout_id"],
                )
                raise AlreadyPlaced([row["number"] for row in numbers])
            raise EmptyCart
        if expected_version is not None and cart["version"] != expected_version:
            raise CartChanged
        email = await connection.fetchval(
            "SELECT email FROM users WHERE user_id = $1", buyer.user_id
        )
        if email is None:
            raise UnknownUser(buyer.user_id)
        checkout_id = uuid.uuid4()
        placements = await _placements(connection, buyer, entries, checkout_id, email)
        order_ids = []
        year = dt.datetime.now(zone).year  # the vendor's year: no "2027" order on 31 December
        for unnumbered in placements:
            sequence = await connection.fetchval("SELECT nextval('order_numbers')")
            placement = replace(unnumbered, number=f"{number_prefix}-{year}-{sequence:06d}")
            order = Order(placement.order_id)
            await _append(connection, store, order, order.place(placement), context)
            order_ids.append(placement.order_id)
        await connection.execute(
            "DELETE FROM cart_entries WHERE organisation_id = $1 AND user_id = $2",
            buyer.organisation_id,
            buyer.user_id,
        )
        await connection.execute(
            "UPDATE carts SET version = version + 1, last_checkout_id = $3, updated_at = now()"
            " WHERE organisation_id = $1 AND user_id = $2",
            buyer.organisation_id,
            buyer.user_id,
            checkout_id,
        )
    return order_ids


async def _placements(
    connection: asyncpg.Connection,
    buyer: Buyer,
    entries: list[asyncpg.Record],
    checkout_id: uuid.UUID,
    email: str,
) -> list[Placement]:
    """Each entry checked again (the catalogue or the machine may have changed since it was
    put in the cart): InvalidLines naming every bad line of every entry."""
    problems: list[LineProblem] = []
    placements = []
    for entry in entries:
        wanted = [WantedLine(**line) for line in entry["lines"]]
        try:
            found, lines = await _orderable(connection, buyer, entry["asset_id"], wanted)
        except InvalidLines as invalid:
            problems += [
                replace(problem, asset_id=entry["asset_id"]) for problem in invalid.problems
            ]
            continue
        except (UnknownAsset, AssetWithdrawn):
            problems.append(
                LineProblem(0, "", "This machine orders nothing now.", "asset", entry["asset_id"])
            )
            continue
        placements.append(
            Placement(
                order_id=uuid.uuid4(),
                number="",
                checkout_id=checkout_id,
                organisation_id=buyer.organisation_id,
                asset_id=found.asset_id,
                placed_by=buyer.user_id,
                placed_by_email=email,
                serial_number=found.serial_number,
                model_name=found.model_name,
                site_name=found.site_name,
                location=found.location,
                lines=tuple(lines),
                delivery_comment=entry["delivery_comment"],
                customer_reference=entry["customer_reference"],
            )
        )
    if problems:
        raise InvalidLines(problems, field_prefix="entries")
    return placements


async def _load(
    connection: asyncpg.Connection,
    store: EventStore,
    order_id: uuid.UUID,
    organisation_id: uuid.UUID | None,
    branch_id: uuid.UUID | None = None,
) -> Order:
    """The order if the caller may see it (None: the vendor's staff, who see every one)."""
    if organisation_id is not None:
        visible = await connection.fetchval(
            "SELECT true FROM orders o JOIN assets a USING (asset_id)"
            " LEFT JOIN sites s ON s.site_id = a.site_id"
            " WHERE o.order_id = $1 AND o.organisation_id = $2"
            " AND ($3::uuid IS NULL OR s.branch_id = $3)",
            order_id,
            organisation_id,
            branch_id,
        )
        if not visible:
            raise UnknownOrder(order_id)
    events, _version = await store.load(connection, str(order_id))
    if not events:
        raise UnknownOrder(order_id)
    return Order.from_history(order_id, events)


async def _append(
    connection: asyncpg.Connection,
    store: EventStore,
    order: Order,
    events: list[DomainEvent],
    context: EventContext,
) -> None:
    organisation = order.placed.organisation_id if order.placed else None
    for event in events:
        organisation = getattr(event, "organisation_id", organisation)
    recorded = await store.append(
        connection,
        stream_id=str(order.order_id),
        stream_type=Order.STREAM_TYPE,
        expected_version=order.version,
        events=events,
        context=replace(context, organisation_id=organisation),
    )
    await projections.project(connection, store, recorded)


async def validate(
    pool: asyncpg.Pool, store: EventStore, order_id: uuid.UUID, by: uuid.UUID, context: EventContext
) -> None:
    async with pool.acquire() as connection, connection.transaction():
        order = await _load(connection, store, order_id, None)
        await _append(connection, store, order, order.validate(by), context)


async def ship(
    pool: asyncpg.Pool,
    store: EventStore,
    order_id: uuid.UUID,
    *,
    carrier: str,
    delivery_note_number: str,
    lines: tuple[ShippedLine, ...] | None,
    by: uuid.UUID,
    context: EventContext,
) -> uuid.UUID:
    shipment_id = uuid.uuid4()
    async with pool.acquire() as connection, connection.transaction():
        order = await _load(connection, store, order_id, None)
        events = order.ship(
            shipment_id=shipment_id,
            carrier=carrier,
            delivery_note_number=delivery_note_number,
            lines=lines,
            by=by,
        )
        await _append(connection, store, order, events, context)
    return shipment_id


async def cancel(
    pool: asyncpg.Pool,
    store: EventStore,
    order_id: uuid.UUID,
    *,
    comment: str,
    by: uuid.UUID,
    buyer: Buyer | None,
    context: EventContext,
) -> None:
    """Cancel as the customer (`buyer`, who must see the order) or as the vendor's staff."""
    async with pool.acquire() as connection, connection.transaction():
        order = await _load(
            connection,
            store,
            order_id,
            buyer.organisation_id if buyer else None,
            buyer.branch_id if buyer else None,
        )
        events = order.cancel(comment=comment, by=by, by_vendor=buyer is None)
        await _append(connection, store, order, events, context)
