"""The demo's consumables orders, through the gateway as the portal places them: Claire
orders toner for the first copier (the vendor validates it and ships it in two parcels),
orders for the second (still waiting for validation), and leaves a line in her cart."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol


class Api(Protocol):
    async def call(self, method: str, path: str, json: Any = None) -> Any: ...


async def _orderable(customer: Api, asset_id: str) -> None:
    """Orders learns of the machines from fleet's events: wait (seconds at most) until it
    knows this one."""
    for _ in range(60):
        try:
            await customer.call("GET", f"/orders/assets/{asset_id}/consumables")
        except RuntimeError as refused:
            if " 404 " not in str(refused) and " 503 " not in str(refused):
                raise
            await asyncio.sleep(0.5)
        else:
            return
    raise RuntimeError("the orders service never learnt of Imprimerie Martin's copiers")


async def _checkout(customer: Api) -> list[dict[str, Any]]:
    for _ in range(60):  # orders learns Claire's email from identity's event
        try:
            return (await customer.call("POST", "/cart/checkout", {}))["orders"]
        except RuntimeError as refused:
            if " 503 " not in str(refused):
                raise
            await asyncio.sleep(0.5)
    raise RuntimeError("the orders service never learnt of Claire")


async def place(customer: Api, vendor: Api, copiers: list[str]) -> int:
    """The orders placed; `copiers` are the asset ids of two copiers of the same model."""
    first, second = copiers[:2]
    for asset_id in (first, second):
        await _orderable(customer, asset_id)
    await customer.call(
        "PUT",
        f"/cart/assets/{first}",
        {
            "lines": [
                {"reference": "C-EXV54-BK", "quantity": 2, "stock_on_hand": 0},
                {"reference": "C-EXV54-C", "quantity": 1, "stock_on_hand": 1},
            ],
            "delivery_comment": "Code portail 4512, quai de livraison à l'arrière",
            "customer_reference": "IM-2026-031",
        },
    )
    [shipped] = await _checkout(customer)
    path = f"/agent/orders/{shipped['order_id']}"
    await vendor.call("POST", f"{path}/validate")
    await vendor.call(
        "POST",
        f"{path}/shipments",
        {
            "carrier": "Chronopost",
            "delivery_note_number": "BL-2026-1187",
            "lines": [{"reference": "C-EXV54-BK", "quantity": 2}],
        },
    )
    await vendor.call(
        "POST",
        f"{path}/shipments",
        {"carrier": "Chronopost", "delivery_note_number": "BL-2026-1203"},
    )
    await customer.call(
        "PUT",
        f"/cart/assets/{second}",
        {"lines": [{"reference": "C-EXV54-M", "quantity": 1, "stock_on_hand": 0}]},
    )
    waiting = await _checkout(customer)
    # Left in the cart, for Claire to validate herself.
    await customer.call(
        "PUT",
        f"/cart/assets/{first}",
        {"lines": [{"reference": "FM1-T513", "quantity": 1, "stock_on_hand": 0}]},
    )
    return 1 + len(waiting)
