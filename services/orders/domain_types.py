"""Value types of the orders domain, shared by its events, aggregates and API."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class OrderStatus(StrEnum):
    """Seed 003's statuses, in the order an order goes through them."""

    SUBMITTED = "submitted"
    """"Saisie externe": waiting for the vendor's validation."""
    DELIVERABLE = "deliverable"
    """"Livrable en totalité": validated, being prepared."""
    PARTIALLY_DELIVERED = "partially_delivered"
    """Some lines (or part of a line) shipped, the rest outstanding."""
    DELIVERED = "delivered"
    """"Livré en totalité": every line shipped in full."""
    CANCELLED = "cancelled"


CANCELLABLE = frozenset({OrderStatus.SUBMITTED, OrderStatus.DELIVERABLE})
"""Seed 003: only an order still submitted or deliverable in full can be cancelled."""

ConsumableReference = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)
]
OrderNumber = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Carrier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
DeliveryNoteNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)
]
DeliveryComment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
CustomerReference = Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)]
CancellationComment = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
]


class OrderedLine(BaseModel):
    """One consumable of an order, as the customer asked for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reference: ConsumableReference
    description: str
    """The catalogue's description when the order was placed."""
    quantity: int = Field(gt=0)
    stock_on_hand: int | None = Field(default=None, ge=0)
    """How many the customer said they still had (feeds the reorder hint)."""


class ShippedLine(BaseModel):
    """How many of one reference left in one shipment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reference: ConsumableReference
    quantity: int = Field(gt=0)
