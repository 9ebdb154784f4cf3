"""Consumables order list latency with 300,000 orders in the database, 30,000 of them in the
customer's organisation (bench/order_data.py).

The portal runs as in production (`bench.portal`), with the demo (whose customer has placed
orders); orders' read model is then bulk-loaded into the demo customer's organisation and
3,000 others. The load generator, a process of its own, signs in as the demo customer and
asks for the list (`GET /orders?...`) in several shapes: no filter, a status, one machine, a
period, a later page through the keyset cursor. Every answer is a page of 25 orders with
their lines.

One request at a time, each way (straight to orders, and through the gateway) on its own
keep-alive connection, alternating blocks, after a warm-up, as for the ticket list.
Goal: p99 <= 50 ms for a first page (the ticket list's).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bench import order_data
from bench.portal import (
    Portal,
    SignedIn,
    measure_apart,
    one_connection,
    running_portal,
    serve_order,
)
from bench.ticket_list import SETTINGS, PageResult, Shape, measure_pages, print_pages
from shared.db import connect

GOAL_P99_MS = 50.0


def shapes(today: dt.date, asset_id: str) -> list[Shape]:
    return [
        Shape("no filter (the default list)", []),
        Shape("status: submitted", [("status", "submitted")]),
        Shape("status: delivered, page 3", [("status", "delivered")], page=3),
        Shape("status: 2 of them", [("status", "deliverable"), ("status", "partially_delivered")]),
        Shape("one machine", [("asset_id", asset_id)]),
        Shape(
            "period: a year ago",
            [
                ("placed_from", (today - dt.timedelta(days=395)).isoformat()),
                ("placed_to", (today - dt.timedelta(days=365)).isoformat()),
            ],
        ),
    ]


@dataclass(frozen=True)
class ListResult:
    loaded: order_data.LoadedOrders
    shapes: list[PageResult]


async def measure(portal: Portal, quick: bool) -> list[PageResult]:
    """The load generator's work (in a process of its own, see `run`)."""
    count = 60 if quick else 300
    async with one_connection() as session:
        customer = SignedIn.customer(session, portal)
        # A machine of the bulk-loaded orders: the demo's (the newest) have a few each.
        async with session.get(
            f"{portal.urls['orders']}/orders?status=delivered", headers=await customer.headers()
        ) as response:
            asset_id = (await response.json())["orders"][-1]["asset_id"]
        return await measure_pages(
            portal,
            service="orders",
            path="/orders",
            rows="orders",
            shapes=shapes(dt.date.today(), asset_id),
            customer=customer,
            count=count,
        )


async def load_orders(portal: Portal) -> order_data.LoadedOrders:
    connection = await connect(portal.database_url, "orders")
    try:
        organisation = await connection.fetchval("SELECT organisation_id FROM orders LIMIT 1")
        if organisation is None:
            raise RuntimeError("the demo customer's orders are missing")
        return await order_data.load(connection, organisation)
    finally:
        await connection.close()


async def run(database_url: str, kafka_bootstrap: str, *, quick: bool) -> ListResult:
    """Start the portal, load the orders, print (and return) the figures."""
    async with running_portal(database_url, kafka_bootstrap, SETTINGS) as portal:
        loaded = await load_orders(portal)
        statuses = ", ".join(f"{name} {n:,}" for name, n in sorted(loaded.statuses.items()))
        print(
            f"loaded {loaded.total:,} orders ({loaded.big_organisation:,} in the customer's"
            f" organisation; its statuses: {statuses}) in {loaded.seconds:.0f} s"
        )
        results = await measure_apart(
            "bench.order_list", portal, quick=quick, result=list[PageResult]
        )
    result = ListResult(loaded, results)
    _print_result(result)
    return result


def _print_result(result: ListResult) -> None:
    print_pages(result.shapes, "orders", "a page of 25 orders with their lines", GOAL_P99_MS)


if __name__ == "__main__":
    serve_order(measure, list[PageResult])  # the load generator, started by `run`
