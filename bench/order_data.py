"""Three hundred thousand consumables orders in orders' read model, bulk-loaded with COPY, for
the list benchmark.

The list reads only the read model (`orders` and `order_lines`), so that is what is filled.
Five years of orders: 30,000 for the demo customer's organisation (a big customer: 250
machines, each ordering every month or so) spread over 250 of its machines, 270,000 for
3,000 other organisations; two lines each. Statuses follow from age: old orders are delivered
(some cancelled), recent ones submitted, deliverable or partially delivered. The list's
indexes are dropped during the load and rebuilt from their definitions, then the tables are
vacuumed and analysed.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import asyncpg

from bench.ticket_data import secondary_indexes

TOTAL_ORDERS = 300_000
BIG_ORGANISATION_ORDERS = 30_000
BIG_ORGANISATION_MACHINES = 250
OTHER_ORGANISATIONS = 3_000
YEARS = 5
CHUNK = 50_000
SEED = 20261122
COLUMNS = (
    "order_id", "number", "organisation_id", "asset_id", "checkout_id", "status", "placed_by",
    "placed_at", "updated_at", "serial_number", "model_name", "site_name", "location",
    "delivery_comment", "customer_reference", "version",
)  # fmt: skip
LINE_COLUMNS = (
    "order_id", "position", "reference", "description", "quantity", "delivered", "stock_on_hand",
)  # fmt: skip


@dataclass(frozen=True)
class LoadedOrders:
    total: int
    big_organisation: int
    statuses: dict[str, int]
    seconds: float


def _status(rng: random.Random, age_days: int) -> str:
    draw = rng.random()
    if age_days > 30:
        return (
            "delivered" if draw < 0.94 else ("cancelled" if draw < 0.99 else "partially_delivered")
        )
    if age_days > 7:
        return (
            "delivered" if draw < 0.6 else ("partially_delivered" if draw < 0.8 else "deliverable")
        )
    return "submitted" if draw < 0.6 else ("deliverable" if draw < 0.9 else "cancelled")


async def load(connection: asyncpg.Connection, organisation_id: uuid.UUID) -> LoadedOrders:
    """Fill orders' read model (the connection's search_path is orders' schema)."""
    started = dt.datetime.now(dt.UTC)
    rng = random.Random(SEED)
    now = dt.datetime.now(dt.UTC)
    span = 365 * YEARS * 86_400
    others = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(OTHER_ORGANISATIONS)]
    machines = {
        organisation: [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(count)]
        for organisation, count in [
            (organisation_id, BIG_ORGANISATION_MACHINES),
            *((other, 3) for other in others),
        ]
    }
    moments = sorted(now - dt.timedelta(seconds=rng.randrange(span)) for _ in range(TOTAL_ORDERS))
    big = set(rng.sample(range(TOTAL_ORDERS), BIG_ORGANISATION_ORDERS))
    tables = ("orders", "order_lines")
    indexes = [index for table in tables for index in await secondary_indexes(connection, table)]
    for name, _ in indexes:
        await connection.execute(f"DROP INDEX {name}")
    statuses: Counter[str] = Counter()
    placed_by = uuid.uuid4()
    for start in range(0, TOTAL_ORDERS, CHUNK):
        rows: list[tuple[Any, ...]] = []
        lines: list[tuple[Any, ...]] = []
        for index in range(start, min(start + CHUNK, TOTAL_ORDERS)):
            organisation = organisation_id if index in big else rng.choice(others)
            asset = rng.choice(machines[organisation])
            placed = moments[index]
            status = _status(rng, (now - placed).days)
            order_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            rows.append(
                (
                    order_id, f"B-{placed.year}-{index + 1:07d}", organisation, asset,
                    order_id, status, placed_by, placed, placed, f"SN{asset.hex[:8].upper()}",
                    "imageRUNNER ADVANCE C3226i", "Atelier de Nancy", "2e étage",
                    "Code 4512", None, 1,
                )
            )  # fmt: skip
            for position, reference in enumerate(("C-EXV54-BK", "C-EXV54-C")):
                quantity = rng.randint(1, 4)
                delivered = quantity if status == "delivered" else 0
                lines.append(
                    (order_id, position, reference, "Toner", quantity, delivered, rng.randint(0, 3))
                )
            if organisation == organisation_id:
                statuses[status] += 1
        await connection.copy_records_to_table("orders", records=rows, columns=list(COLUMNS))
        await connection.copy_records_to_table(
            "order_lines", records=lines, columns=list(LINE_COLUMNS)
        )
    for _, definition in indexes:
        await connection.execute(definition)
    for table in tables:
        await connection.execute(f"VACUUM ANALYZE {table}")
    return LoadedOrders(
        total=await connection.fetchval("SELECT count(*) FROM orders"),
        big_organisation=await connection.fetchval(
            "SELECT count(*) FROM orders WHERE organisation_id = $1", organisation_id
        ),
        statuses=dict(statuses),
        seconds=(dt.datetime.now(dt.UTC) - started).total_seconds(),
    )
