"""Orders' side of the wire, for the tests of its followers (notifications, billing): one
order's events as the orders service publishes them (services/orders/events.py), keyed by
the order id so that they keep their order on one partition."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from services.orders import events as orders
from services.orders.domain_types import OrderedLine, OrderStatus, ShippedLine
from shared.cloudevents import CloudEvent
from shared.kafka import service_topic
from tests.support import publish

LINES = (
    OrderedLine(reference="TK-5240K", description="Toner noir TK-5240K", quantity=2),
    OrderedLine(reference="TK-5240C", description="Toner cyan TK-5240C", quantity=1),
)


@dataclass(frozen=True)
class Order:
    """One customer's order of consumables for one machine."""

    organisation_id: uuid.UUID
    placed_by: uuid.UUID
    placed_by_email: str
    number: str = field(default_factory=lambda: f"C-2026-{uuid.uuid4().int % 1_000_000:06d}")
    order_id: uuid.UUID = field(default_factory=uuid.uuid4)
    asset_id: uuid.UUID = field(default_factory=uuid.uuid4)
    lines: tuple[OrderedLine, ...] = LINES

    def _common(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "number": self.number,
            "organisation_id": self.organisation_id,
            "asset_id": self.asset_id,
            "placed_by": self.placed_by,
            "placed_by_email": self.placed_by_email,
            "serial_number": "E-778899",
            "model_name": "Ricoh MP C3004",
        }

    def placed(self, **fields: Any) -> orders.OrderPlaced:
        return orders.OrderPlaced(
            **self._common(),
            checkout_id=uuid.uuid4(),
            site_name="Atelier de Nancy",
            location="2e étage, près de l'ascenseur",
            lines=self.lines,
            **{
                "delivery_comment": "Code porte 4521B, demander Mme Roux",
                "customer_reference": "BC-2026-117",
                **fields,
            },
        )

    def validated(self) -> orders.OrderValidated:
        return orders.OrderValidated(**self._common(), validated_by=uuid.uuid4())

    def shipped(
        self,
        shipped: dict[str, int],
        outstanding: dict[str, int] | None = None,
        *,
        delivery_note_number: str = "BL-2026-000317",
    ) -> orders.OrderShipped:
        """A shipment of `shipped` (reference: quantity), `outstanding` still to come (none:
        the order is delivered in full)."""
        return orders.OrderShipped(
            **self._common(),
            shipment_id=uuid.uuid4(),
            carrier="DB Schenker",
            delivery_note_number=delivery_note_number,
            shipped_lines=tuple(ShippedLine(reference=r, quantity=q) for r, q in shipped.items()),
            outstanding=tuple(
                ShippedLine(reference=r, quantity=q) for r, q in (outstanding or {}).items()
            ),
            delivered_in_full=not outstanding,
            order_lines=self.lines,
            customer_reference="BC-2026-117",
            shipped_by=uuid.uuid4(),
        )

    def cancelled(self, comment: str, *, by_vendor: bool = False) -> orders.OrderCancelled:
        return orders.OrderCancelled(
            **self._common(),
            from_status=OrderStatus.SUBMITTED,
            comment=comment,
            cancelled_by=uuid.uuid4() if by_vendor else self.placed_by,
            by_vendor=by_vendor,
        )

    async def publish(self, bootstrap: str, namespace: str, event: orders.OrderEvent) -> CloudEvent:
        """As orders publishes it: on its topic, keyed by the order; the envelope sent."""
        return await publish(
            bootstrap,
            service_topic(namespace, "orders"),
            event,
            source="orders",
            organisation=self.organisation_id,
            subject=str(self.order_id),
        )
