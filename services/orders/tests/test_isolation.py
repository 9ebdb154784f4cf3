"""Tenant isolation of every orders operation: organisation A's customer user and admin find
none of organisation B's machines, carts, orders, shipments and delivery notes, change none
of them, by B's real ids and by guessed ones; a user without the module is refused;
customers are refused the back office's side. The table names every operation of orders'
OpenAPI document; one added without a case fails here."""

from __future__ import annotations

from typing import Any

from services.orders.app import create_app
from services.orders.settings import OrdersSettings
from services.orders.tests.conftest import OrdersUnderTest
from shared.http.openapi import openapi_document
from tests.isolation import Entry, IsolationCase, Tenants, assert_isolated, assert_table_matches
from tests.support import assert_valid_openapi

NOT_FOUND_TO_A = {"a_user": 404, "a_admin": 404, "a_without_module": 403, "staff": 403}
A_S_OWN = {"a_user": 200, "a_admin": 200, "a_without_module": 403, "staff": 403}
OWN = "the cart and orders of the user and organisation the token acts for; B's are searched for"
CUSTOMERS_REFUSED = {"a_user": 403, "a_admin": 403, "a_without_module": 403}
LINE = {"lines": [{"reference": "TON-K", "quantity": 1}]}

TABLE: tuple[Entry, ...] = (
    # --- the customers' side ---------------------------------------------------------------
    IsolationCase("GET /cart", answers=A_S_OWN, own_scope=OWN, control=("b_user", 200)),
    # A's own cart is empty: nothing to validate. B's holds a line: B places it.
    IsolationCase(
        "POST /cart/checkout",
        answers={"a_user": 409, "a_admin": 409, "a_without_module": 403, "staff": 403},
        control=("b_user", 201),
    ),
    IsolationCase(
        "PUT /cart/assets/{asset_id}",
        answers=NOT_FOUND_TO_A,
        ids={"asset_id": "asset"},
        body=lambda _: LINE,
        control=("b_user", 200),
    ),
    IsolationCase(
        "DELETE /cart/assets/{asset_id}",
        answers=NOT_FOUND_TO_A,
        ids={"asset_id": "asset"},
        control=("b_user", 200),
    ),
    IsolationCase(
        "GET /orders/assets/{asset_id}/consumables",
        answers=NOT_FOUND_TO_A,
        ids={"asset_id": "asset"},
        control=("b_user", 200),
    ),
    IsolationCase("GET /orders", answers=A_S_OWN, own_scope=OWN, control=("b_user", 200)),
    IsolationCase(
        "GET /orders/{order_id}",
        answers=NOT_FOUND_TO_A,
        ids={"order_id": "order"},
        control=("b_user", 200),
    ),
    # B's own order is delivered: B is told it can no longer be cancelled (the route reached it).
    IsolationCase(
        "POST /orders/{order_id}/cancel",
        answers=NOT_FOUND_TO_A,
        ids={"order_id": "order"},
        body=lambda _: {"comment": "Zephyr annule"},
        control=("b_user", 409),
    ),
    IsolationCase(
        "GET /orders/{order_id}/shipments/{shipment_id}/delivery-note.pdf",
        answers={"a_user": 404, "a_admin": 404, "a_without_module": 403},
        ids={"order_id": "order", "shipment_id": "shipment"},
        control=("b_user", 200),
    ),
    # --- the back office's side -------------------------------------------------------------
    IsolationCase("GET /agent/orders", answers=CUSTOMERS_REFUSED, control=("staff", 200)),
    IsolationCase(
        "GET /agent/orders/{order_id}",
        answers=CUSTOMERS_REFUSED,
        ids={"order_id": "order"},
        control=("staff", 200),
    ),
    IsolationCase(
        "POST /agent/orders/{order_id}/validate",
        answers=CUSTOMERS_REFUSED,
        ids={"order_id": "submitted"},
        control=("staff", 200),
    ),
    IsolationCase(
        "POST /agent/orders/{order_id}/shipments",
        answers=CUSTOMERS_REFUSED,
        ids={"order_id": "submitted"},
        body=lambda _: {"carrier": "Zephyr Express", "delivery_note_number": "Z-BL-2"},
        control=("staff", 201),
    ),
    IsolationCase(
        "POST /agent/orders/{order_id}/cancel",
        answers=CUSTOMERS_REFUSED,
        ids={"order_id": "to_cancel"},
        body=lambda _: {"comment": "Zephyr rupture"},
        control=("staff", 200),
    ),
)


def test_every_operation_of_the_api_has_an_isolation_case() -> None:
    settings = OrdersSettings(
        database_url="postgresql://unused/guichet",
        kafka_bootstrap="unused:9092",
        public_url="http://portal.test/",
        identity_url="http://identity.test/",
    )
    document = openapi_document(create_app(settings), title="Guichet orders", version="test")
    assert_valid_openapi(document)
    assert_table_matches(document, TABLE)


async def test_organisation_a_is_refused_every_operation_on_organisation_b(
    orders: OrdersUnderTest,
) -> None:
    a = await orders.shop("Atelier Alpha")
    b = await orders.shop("Zephyr SA", prefix="Zephyr ")
    staff = orders.staff()
    delivered = await orders.order(b, customer_reference="Z-PO-1")
    await staff.ok("POST", f"/agent/orders/{delivered['order_id']}/validate")
    shipped = await staff.ok(
        "POST",
        f"/agent/orders/{delivered['order_id']}/shipments",
        201,
        json={"carrier": "Zephyr Express", "delivery_note_number": "Z-BL-1"},
    )
    submitted = await orders.order(b)
    to_cancel = await orders.order(b)
    await b.buyer.ok("PUT", f"/cart/assets/{b.asset_id}", json=LINE)
    clients = {
        "a_user": a.buyer,
        "a_admin": orders.customer(a.organisation_id, role="customer_admin"),
        "a_without_module": orders.customer(a.organisation_id, modules=["tickets"]),
        "b_user": b.buyer,
        "staff": staff,
    }
    ids = {
        "asset": str(b.asset_id),
        "order": delivered["order_id"],
        "shipment": shipped["shipments"][0]["shipment_id"],
        "submitted": submitted["order_id"],
        "to_cancel": to_cancel["order_id"],
    }

    async def b_sees() -> dict[str, Any]:
        orders_of_b = await b.buyer.ok("GET", "/orders?limit=100")
        return {
            "cart": await b.buyer.ok("GET", "/cart"),
            "orders": orders_of_b,
            "pages": [
                await staff.ok("GET", f"/agent/orders/{order['order_id']}")
                for order in orders_of_b["orders"]
            ],
            "events": [
                {key: str(value) for key, value in row.items()}
                for row in await orders.sql(
                    "SELECT count(*) AS events, max(position) AS last FROM events"
                    " WHERE organisation_id = $1",
                    b.organisation_id,
                )
            ],
        }

    await assert_isolated(
        Tenants(
            url=orders.url,
            session=orders.session,
            tokens={
                name: client.headers["Authorization"].removeprefix("Bearer ")
                for name, client in clients.items()
            },
            ids=ids,
            foreign=frozenset(
                {*ids.values(), b.serial_number, str(b.organisation_id), "Zephyr", "Z-PO-1"}
            ),
            snapshot=b_sees,
        ),
        TABLE,
    )
