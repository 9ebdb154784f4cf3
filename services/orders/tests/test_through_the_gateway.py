"""Orders as the portal calls them: every request through the gateway, with its route rules
(module `orders` for the cart and the customer's orders, vendor staff for the back office)."""

from __future__ import annotations

import json

from services.gateway.app import create_app as create_gateway
from services.gateway.settings import GatewaySettings
from services.orders.tests.conftest import OrdersUnderTest
from tests.support import TokenIssuer, TopicReader, eventually, serving


async def test_a_customer_orders_and_the_back_office_ships_through_the_gateway(
    orders: OrdersUnderTest, token_issuer: TokenIssuer
) -> None:
    settings = GatewaySettings(
        database_url=orders.database_url,
        kafka_bootstrap=orders.kafka_bootstrap,
        kafka_namespace=orders.namespace,
        public_url="http://portal.test/",
        identity_url=token_issuer.url,
        upstreams={"identity": orders.url, "orders": orders.url},
    )
    shop = await orders.shop()
    async with serving(create_gateway(settings)) as gateway:
        claire = shop.buyer
        fleet_only = orders.customer(shop.organisation_id, shop.buyer.user_id, modules=["fleet"])
        office = orders.staff()
        for client in (claire, fleet_only, office):
            client.base_url = f"{gateway}/api"

        consumables = f"/orders/assets/{shop.asset_id}/consumables"
        assert len((await claire.ok("GET", consumables))["consumables"]) == 2
        assert (await fleet_only.call("GET", consumables)).status == 403
        assert (await fleet_only.call("GET", "/cart")).status == 403
        line = {"lines": [{"reference": "TON-K", "quantity": 2, "stock_on_hand": 0}]}
        await claire.ok("PUT", f"/cart/assets/{shop.asset_id}", json=line)
        [order] = (await claire.ok("POST", "/cart/checkout", 201))["orders"]
        assert (await claire.call("GET", "/agent/orders")).status == 403
        await office.ok("POST", f"/agent/orders/{order['order_id']}/validate")
        shipped = await office.ok(
            "POST",
            f"/agent/orders/{order['order_id']}/shipments",
            201,
            json={"carrier": "Chronopost", "delivery_note_number": "BL-1"},
        )
        assert shipped["status"] == "delivered"
        page = await claire.ok("GET", f"/orders/{order['order_id']}")
        note = await claire.call("GET", page["shipments"][0]["delivery_note_url"])
        assert (note.status, note.headers["Content-Type"]) == (200, "application/pdf")
        assert (await claire.ok("GET", "/orders?status=delivered"))["orders"][0]["number"] == (
            order["number"]
        )
        # What the subscribers read: the order's events, in order, on orders' topic.
        async with TopicReader(orders.kafka_bootstrap, f"{orders.namespace}.orders") as topic:

            async def published() -> list[str]:
                seen = [json.loads(record.value) for record in topic.records]
                mine = [event["type"] for event in seen if event["subject"] == order["order_id"]]
                return mine if len(mine) == 3 else []

            assert await eventually(published, timeout=20) == [
                "guichet.orders.OrderPlaced",
                "guichet.orders.OrderValidated",
                "guichet.orders.OrderShipped",
            ]
