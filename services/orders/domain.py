"""The order aggregate and the checks of what a customer asks for. Pure code: no I/O.

An order is placed for one machine (seed 003: "commander des consommables" from an asset), is
validated by the vendor, ships in one or more shipments, and can be cancelled only while
submitted or deliverable.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from services.orders.domain_types import CANCELLABLE, OrderedLine, OrderStatus, ShippedLine
from services.orders.events import (
    OrderCancelled,
    OrderEvent,
    OrderPlaced,
    OrderShipped,
    OrderValidated,
)
from shared.aggregate import Aggregate
from shared.events import DomainEvent


class OrderRuleBroken(ValueError):
    """A command the order's state does not allow (answered 409, naming the status)."""

    def __init__(self, message: str, status: OrderStatus | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class LineProblem:
    """What is wrong with one line the customer asked for: `index` in the lines sent."""

    index: int
    reference: str
    message: str
    code: str
    asset_id: uuid.UUID | None = None
    """The machine of the cart entry the line is in, at checkout."""


class InvalidLines(ValueError):
    """Some lines cannot be ordered or shipped (answered 422, one error per line)."""

    def __init__(self, problems: list[LineProblem], field_prefix: str = "lines") -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems
        self.field_prefix = field_prefix


@dataclass(frozen=True)
class CatalogueEntry:
    """A consumable of the machine's model, as fleet lists it."""

    reference: str
    description: str
    max_quantity_per_order: int


@dataclass(frozen=True)
class WantedLine:
    reference: str
    quantity: int
    stock_on_hand: int | None = None


def check_lines(
    lines: Iterable[WantedLine], catalogue: Mapping[str, CatalogueEntry]
) -> list[OrderedLine]:
    """The lines as ordered (with the catalogue's description), or InvalidLines naming each
    line that is not in the model's catalogue, asks for no or too many, or repeats one."""
    problems: list[LineProblem] = []
    ordered: list[OrderedLine] = []
    seen: set[str] = set()
    for index, line in enumerate(lines):
        entry = catalogue.get(line.reference)
        if entry is None:
            problems.append(
                LineProblem(
                    index,
                    line.reference,
                    f"{line.reference} is not a consumable of this machine's model.",
                    "unknown_reference",
                )
            )
        elif line.reference in seen:
            problems.append(
                LineProblem(index, line.reference, f"{line.reference} is listed twice.", "repeated")
            )
        elif line.quantity < 1:
            problems.append(
                LineProblem(index, line.reference, "Order at least 1.", "quantity_too_small")
            )
        elif line.quantity > entry.max_quantity_per_order:
            problems.append(
                LineProblem(
                    index,
                    line.reference,
                    f"At most {entry.max_quantity_per_order} of {line.reference} per order.",
                    "quantity_too_large",
                )
            )
        else:
            ordered.append(
                OrderedLine(
                    reference=entry.reference,
                    description=entry.description,
                    quantity=line.quantity,
                    stock_on_hand=line.stock_on_hand,
                )
            )
        seen.add(line.reference)
    if problems:
        raise InvalidLines(problems)
    if not ordered:
        raise InvalidLines([LineProblem(0, "", "Order at least one consumable.", "empty")])
    return ordered


@dataclass(frozen=True)
class Placement:
    """Everything an order is placed with (the machine as orders' copy of fleet knows it)."""

    order_id: uuid.UUID
    number: str
    checkout_id: uuid.UUID
    organisation_id: uuid.UUID
    asset_id: uuid.UUID
    placed_by: uuid.UUID
    placed_by_email: str
    serial_number: str
    model_name: str
    site_name: str
    location: str
    lines: tuple[OrderedLine, ...]
    delivery_comment: str | None = None
    customer_reference: str | None = None


@dataclass
class Order(Aggregate):
    order_id: uuid.UUID
    version: int = 0
    placed: OrderPlaced | None = None
    status: OrderStatus | None = None
    delivered: dict[str, int] = field(default_factory=dict)

    STREAM_TYPE: ClassVar[str] = "order"

    def apply(self, event: DomainEvent) -> None:
        match event:
            case OrderPlaced():
                self.placed = event
                self.status = OrderStatus.SUBMITTED
                self.delivered = {line.reference: 0 for line in event.lines}
            case OrderValidated():
                self.status = OrderStatus.DELIVERABLE
            case OrderShipped():
                for line in event.shipped_lines:
                    self.delivered[line.reference] += line.quantity
                self.status = (
                    OrderStatus.DELIVERED
                    if event.delivered_in_full
                    else OrderStatus.PARTIALLY_DELIVERED
                )
            case OrderCancelled():
                self.status = OrderStatus.CANCELLED
        self.version += 1

    @property
    def outstanding(self) -> dict[str, int]:
        """What is still to ship, per reference (references fully shipped left out)."""
        if self.placed is None:
            return {}
        left = {
            line.reference: line.quantity - self.delivered[line.reference]
            for line in self.placed.lines
        }
        return {reference: quantity for reference, quantity in left.items() if quantity > 0}

    def _common(self) -> dict[str, object]:
        placed = self._placed()
        return {name: getattr(placed, name) for name in OrderEvent.model_fields}

    def _placed(self) -> OrderPlaced:
        if self.placed is None:
            raise OrderRuleBroken("there is no such order")
        return self.placed

    # --- commands ---------------------------------------------------------------------------

    def place(self, placement: Placement) -> list[DomainEvent]:
        if self.placed is not None:
            raise OrderRuleBroken(f"order {self.placed.number} is already placed")
        if not placement.lines:
            raise InvalidLines([LineProblem(0, "", "Order at least one consumable.", "empty")])
        return [
            OrderPlaced(
                order_id=placement.order_id,
                number=placement.number,
                organisation_id=placement.organisation_id,
                asset_id=placement.asset_id,
                placed_by=placement.placed_by,
                placed_by_email=placement.placed_by_email,
                serial_number=placement.serial_number,
                model_name=placement.model_name,
                checkout_id=placement.checkout_id,
                site_name=placement.site_name,
                location=placement.location,
                lines=placement.lines,
                delivery_comment=placement.delivery_comment or None,
                customer_reference=placement.customer_reference or None,
            )
        ]

    def validate(self, by: uuid.UUID) -> list[DomainEvent]:
        placed = self._placed()
        if self.status is not OrderStatus.SUBMITTED:
            raise OrderRuleBroken(
                f"order {placed.number} is {self._status_words()}: only a submitted order"
                " is validated",
                self.status,
            )
        return [OrderValidated(**self._common(), validated_by=by)]  # type: ignore[arg-type]

    def ship(
        self,
        *,
        shipment_id: uuid.UUID,
        carrier: str,
        delivery_note_number: str,
        lines: tuple[ShippedLine, ...] | None,
        by: uuid.UUID,
    ) -> list[DomainEvent]:
        """Ship `lines` (None: everything outstanding). Only a validated order ships; more
        than is outstanding of a reference is InvalidLines."""
        placed = self._placed()
        if self.status not in (OrderStatus.DELIVERABLE, OrderStatus.PARTIALLY_DELIVERED):
            raise OrderRuleBroken(
                f"order {placed.number} is {self._status_words()}: only a validated order ships",
                self.status,
            )
        outstanding = self.outstanding
        if lines is None:
            shipped = tuple(ShippedLine(reference=r, quantity=q) for r, q in outstanding.items())
        else:
            shipped = self._checked_shipment(lines, outstanding)
        left = dict(outstanding)
        for line in shipped:
            left[line.reference] -= line.quantity
        remaining = tuple(ShippedLine(reference=r, quantity=q) for r, q in left.items() if q > 0)
        return [
            OrderShipped(
                **self._common(),  # type: ignore[arg-type]
                shipment_id=shipment_id,
                carrier=carrier,
                delivery_note_number=delivery_note_number,
                shipped_lines=shipped,
                outstanding=remaining,
                delivered_in_full=not remaining,
                order_lines=placed.lines,
                customer_reference=placed.customer_reference,
                shipped_by=by,
            )
        ]

    @staticmethod
    def _checked_shipment(
        lines: tuple[ShippedLine, ...], outstanding: Mapping[str, int]
    ) -> tuple[ShippedLine, ...]:
        problems: list[LineProblem] = []
        seen: set[str] = set()
        for index, line in enumerate(lines):
            left = outstanding.get(line.reference, 0)
            if line.reference in seen:
                message, code = f"{line.reference} is listed twice.", "repeated"
            elif line.quantity > left:
                message = f"Only {left} of {line.reference} outstanding."
                code = "more_than_outstanding"
            else:
                seen.add(line.reference)
                continue
            problems.append(LineProblem(index, line.reference, message, code))
        if problems:
            raise InvalidLines(problems)
        if not lines:
            raise InvalidLines([LineProblem(0, "", "Ship at least one line.", "empty")])
        return lines

    def cancel(self, *, comment: str, by: uuid.UUID, by_vendor: bool) -> list[DomainEvent]:
        placed = self._placed()
        if self.status not in CANCELLABLE:
            raise OrderRuleBroken(
                f"order {placed.number} is {self._status_words()}: only a submitted or"
                " deliverable order can be cancelled",
                self.status,
            )
        assert self.status is not None
        return [
            OrderCancelled(
                **self._common(),  # type: ignore[arg-type]
                from_status=self.status,
                comment=comment,
                cancelled_by=by,
                by_vendor=by_vendor,
            )
        ]

    def _status_words(self) -> str:
        return (self.status or "unknown").replace("_", " ")
