"""The orders service's OpenAPI document, and the service held to it by generated requests."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import aiohttp

from services.orders.tests.conftest import OrdersUnderTest
from tests.support import assert_valid_openapi, fuzz


async def test_orders_keeps_to_its_document_whatever_it_is_sent(orders: OrdersUnderTest) -> None:
    """Customers' operations with a customer's token, the back office's with a back-office
    token: each side is reached, not just refused."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{orders.url}/openapi.json") as response,
    ):
        assert response.status == 200
        document = await response.json()
    assert_valid_openapi(document)
    assert document["info"]["title"] == "Guichet orders"
    checkout = document["paths"]["/cart/checkout"]["post"]
    assert {"401", "403", "409", "422"} <= set(checkout["responses"])

    def only(keep: Callable[[str], bool]) -> dict[str, object]:
        return {**document, "paths": {p: v for p, v in document["paths"].items() if keep(p)}}

    shop = await orders.shop()
    await fuzz(
        only(lambda path: not path.startswith("/agent/")),
        orders.url,
        headers=orders.issuer.bearer(
            sub=str(shop.buyer.user_id), org=shop.organisation_id, modules=["orders"]
        ),
        max_examples=6,
    )
    await fuzz(
        only(lambda path: path.startswith("/agent/")),
        orders.url,
        headers=orders.issuer.bearer(sub=str(uuid.uuid4()), role="vendor_back_office"),
        max_examples=6,
    )
