"""Orders' shipments, as billing follows them: a partial shipment asks for nothing; the one
that completes the order asks the ERP for its invoice (an `InvoiceRequested` on billing's
topic, with the whole order's lines); that event delivered twice still asks once."""

from __future__ import annotations

import json
import uuid
from zoneinfo import ZoneInfo

from services.billing.tests.conftest import BillingUnderTest
from shared.kafka import service_topic
from tests.orders_side import Order
from tests.support import TopicReader, eventually, publish, send_envelopes

REQUESTED = "guichet.billing.InvoiceRequested"


async def test_an_order_delivered_in_full_is_requested_once_and_a_partial_one_not_yet(
    billing: BillingUnderTest,
) -> None:
    order = Order(uuid.uuid4(), uuid.uuid4(), "claire@imprimerie-martin.example")
    partial = order.shipped({"TK-5240K": 2}, {"TK-5240C": 1})
    await billing.consumed("orders", partial, order.organisation_id)
    assert await billing.sql("SELECT * FROM events WHERE type = $1", REQUESTED) == []

    rest = await order.publish(
        billing.kafka_bootstrap,
        billing.namespace,
        order.shipped({"TK-5240C": 1}, delivery_note_number="BL-2026-000318"),
    )
    topic = service_topic(billing.namespace, "orders")
    # The same event again, then another order's on the same key (the same partition, so
    # handled after the repeat): once it is handled, so was the repeat.
    await send_envelopes(billing.kafka_bootstrap, topic, rest)
    other = Order(order.organisation_id, order.placed_by, order.placed_by_email)
    sentinel = await publish(
        billing.kafka_bootstrap,
        topic,
        other.shipped({"TK-5240K": 1}, {"TK-5240C": 1}),
        source="orders",
        organisation=order.organisation_id,
        subject=str(order.order_id),
    )

    async def handled() -> bool:
        return bool(
            await billing.sql("SELECT 1 FROM inbox WHERE event_id = $1", uuid.UUID(sentinel.id))
        )

    await eventually(handled)
    [requested] = await billing.sql(
        "SELECT organisation_id, data FROM events WHERE type = $1", REQUESTED
    )
    data = (
        requested["data"] if isinstance(requested["data"], dict) else json.loads(requested["data"])
    )
    assert requested["organisation_id"] == order.organisation_id
    assert (data["order_id"], data["order_number"], data["customer_reference"]) == (
        str(order.order_id),
        order.number,
        "BC-2026-117",
    )
    # The whole order, with what the partial shipment took too.
    assert [
        (line["reference"], line["description"], line["quantity"]) for line in data["lines"]
    ] == [
        ("TK-5240K", "Toner noir TK-5240K", "2"),
        ("TK-5240C", "Toner cyan TK-5240C", "1"),
    ]
    # The day it shipped on the vendor's calendar (billing's default zone).
    assert data["delivered_on"] == rest.time.astimezone(ZoneInfo("Europe/Paris")).date().isoformat()

    async with TopicReader(
        billing.kafka_bootstrap, service_topic(billing.namespace, "billing")
    ) as reader:
        records = await reader.wait_for(1)
    published = [json.loads(record.value) for record in records]
    assert [(e["type"], e["data"]["order_id"]) for e in published] == [
        (REQUESTED, str(order.order_id))
    ]
    assert published[0]["organisationid"] == str(order.organisation_id)
