"""The orders service's published events: a public contract (see docs/events.md).

Every event names its organisation and its order number, and carries what its followers
need without a lookup: notifications emails the customer who placed the order
(`placed_by`, `placed_by_email`) about the machine (`serial_number`, `model_name`); billing
asks the ERP for the invoice when an `OrderShipped` has `delivered_in_full`, from the
order's own lines (`order_lines`). The customer's own reference (`customer_reference`) is
kept on the order and its emails, never printed on a delivery note.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import EmailStr

from services.orders.domain_types import OrderedLine, OrderStatus, ShippedLine
from shared.events import DomainEvent, EventRegistry

registry = EventRegistry(source="orders")


class OrderEvent(DomainEvent):
    """What every order event carries."""

    order_id: uuid.UUID
    number: str
    """The order's number as the customer and the vendor quote it, e.g. "C-2026-000042"."""
    organisation_id: uuid.UUID
    asset_id: uuid.UUID
    """The machine the consumables are for (seed 003: an order is placed from an asset)."""
    placed_by: uuid.UUID
    placed_by_email: EmailStr
    serial_number: str
    model_name: str


@registry.register
class OrderPlaced(OrderEvent):
    """A customer validated their cart: the order waits for the vendor's validation."""

    type: ClassVar[str] = "guichet.orders.OrderPlaced"
    version: ClassVar[int] = 1

    checkout_id: uuid.UUID
    """Every order placed by one validation of a cart (one per machine) shares it."""
    site_name: str
    location: str
    lines: tuple[OrderedLine, ...]
    delivery_comment: str | None = None
    """Access codes, building, door, contact: printed on the delivery note."""
    customer_reference: str | None = None
    """The customer's internal order reference: never printed on the delivery note."""


@registry.register
class OrderValidated(OrderEvent):
    """The vendor accepted the order: deliverable in full, being prepared."""

    type: ClassVar[str] = "guichet.orders.OrderValidated"
    version: ClassVar[int] = 1

    validated_by: uuid.UUID


@registry.register
class OrderShipped(OrderEvent):
    """A shipment left with a carrier and a delivery note. `delivered_in_full`: nothing of the
    order is outstanding any more (the status becomes delivered); otherwise the order is
    partially delivered and `outstanding` says what is still to come."""

    type: ClassVar[str] = "guichet.orders.OrderShipped"
    version: ClassVar[int] = 1

    shipment_id: uuid.UUID
    carrier: str
    delivery_note_number: str
    shipped_lines: tuple[ShippedLine, ...]
    outstanding: tuple[ShippedLine, ...]
    delivered_in_full: bool
    order_lines: tuple[OrderedLine, ...]
    """The whole order as placed, so a follower (billing) needs no copy of it."""
    customer_reference: str | None = None
    shipped_by: uuid.UUID


@registry.register
class OrderCancelled(OrderEvent):
    """The order was cancelled, with a comment, by the customer or by the vendor's staff, while
    it was still submitted or deliverable in full."""

    type: ClassVar[str] = "guichet.orders.OrderCancelled"
    version: ClassVar[int] = 1

    from_status: OrderStatus
    comment: str
    cancelled_by: uuid.UUID
    by_vendor: bool
    """True when the vendor's staff cancelled it (the email says so, with their comment)."""
