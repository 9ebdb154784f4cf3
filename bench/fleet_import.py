"""The ERP's fleet import, and the fleet list it feeds.

A batch as a dealer's nightly export would send it for one large customer: 1 model with 5
consumables, 20 sites, 10 contracts and 1,000 assets, through `run_import` in one
transaction (the handler behind `POST /import/fleet`, without HTTP), on a fleet schema of
its own. Measured: the first import (everything created: 1,036 aggregates' first events,
projected), the same batch again (everything compared, nothing written), and the batch with
10 assets moved (10 events). Then the list a customer opens, `list_assets` (first page of
25, by serial number, and a search), over that organisation's 1,000 assets.
"""

from __future__ import annotations

import copy
import datetime as dt
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.stats import Summary
from services.fleet.events import registry
from services.fleet.handlers.common import unit_of_work
from services.fleet.handlers.erp_import import ImportBatch, ImportReport, run_import
from services.fleet.queries.assets import FleetFilters, list_assets
from shared.db import create_pool, migrate
from shared.eventstore import EventContext, EventStore
from shared.wakeup import outbox_channel

MIGRATIONS = Path(__file__).resolve().parent.parent / "services" / "fleet" / "migrations"
ASSETS, SITES, CONTRACTS = 1000, 20, 10
CODE = "BENCH001"


@dataclass(frozen=True)
class ImportResult:
    first_s: float
    again_s: float
    ten_moved_s: float
    first_page: Summary
    search: Summary


def nightly_export() -> dict[str, Any]:
    return {
        "models": [
            {
                "code": "C3226I",
                "name": "imageRUNNER ADVANCE C3226i",
                "manufacturer": "Canon",
                "counters": ["black_and_white", "colour", "scans"],
                "consumables": [
                    {
                        "reference": f"TON-{n}",
                        "description": f"Toner {n}",
                        "max_quantity_per_order": 4,
                    }
                    for n in range(5)
                ],
            }
        ],
        "sites": [
            {
                "erp_reference": f"S-{n}",
                "organisation_code": CODE,
                "name": f"Agence {n}",
                "address": {"line1": f"{n} rue du Port", "city": "Nancy"},
            }
            for n in range(SITES)
        ],
        "contracts": [
            {
                "erp_reference": f"C-{n}",
                "organisation_code": CODE,
                "number": f"CP-{n:04d}",
                "contract_type": "full_service",
                "starts_on": "2026-01-01",
                "covers_interventions": True,
                "reading_every_days": 30,
            }
            for n in range(CONTRACTS)
        ],
        "assets": [
            {
                "erp_reference": f"EQ-{n}",
                "organisation_code": CODE,
                "model_code": "C3226I",
                "serial_number": f"SN{n:06d}",
                "site_reference": f"S-{n % SITES}",
                "location": "Étage 1",
                "installed_on": "2026-01-15",
                "contract_reference": f"C-{n % CONTRACTS}",
            }
            for n in range(ASSETS)
        ],
    }


async def run(database_url: str, kafka_bootstrap: str, *, quick: bool) -> ImportResult:
    del kafka_bootstrap  # PostgreSQL only: the relay is not running
    schema = f"bench_fleet_{secrets.token_hex(4)}"
    await migrate(database_url, schema, MIGRATIONS)
    pool = await create_pool(database_url, schema, min_size=1, max_size=2)
    store = EventStore(registry, outbox_channel(schema))
    context = EventContext.new(actor_id="bench")
    organisation = uuid.uuid4()
    try:
        await pool.execute(
            "INSERT INTO organisations (organisation_id, code, legal_name) VALUES ($1, $2, $3)",
            organisation,
            CODE,
            "Bench SA",
        )
        export = nightly_export()
        moved = copy.deepcopy(export)
        for asset in moved["assets"][:10]:
            asset["location"] = "Étage 2"

        async def imported(batch: dict[str, Any]) -> tuple[float, ImportReport]:
            started = time.perf_counter()
            async with unit_of_work(pool) as connection:
                report = await run_import(
                    connection, store, context, ImportBatch.model_validate(batch)
                )
            return time.perf_counter() - started, report

        first_s, first = await imported(export)
        again_s, again = await imported(export)
        moved_s, ten = await imported(moved)
        items = 1 + SITES + CONTRACTS + ASSETS
        if (first.created, again.unchanged, ten.updated) != (items, items, 10):
            raise RuntimeError(f"unexpected import reports: {first}, {again}, {ten}")
        rounds = 50 if quick else 300
        pages, searches = [], []
        day = dt.datetime.now(dt.UTC).date()
        async with pool.acquire() as connection:
            for _ in range(rounds):
                for filters, into in (
                    (FleetFilters(), pages),
                    (FleetFilters(q="SN0004"), searches),
                ):
                    started = time.perf_counter()
                    await list_assets(
                        connection, today=day, organisation_id=organisation, filters=filters
                    )
                    into.append(time.perf_counter() - started)
    finally:
        await pool.close()
    result = ImportResult(
        first_s, again_s, moved_s, Summary.of_seconds(pages), Summary.of_seconds(searches)
    )
    _print(result)
    return result


def _print(result: ImportResult) -> None:
    items = 1 + SITES + CONTRACTS + ASSETS
    print(
        f"one batch of {items} items: 1 model, {SITES} sites, {CONTRACTS} contracts,"
        f" {ASSETS} assets"
    )
    rate = items / result.first_s
    print(f"  first import (all created)    {result.first_s * 1000:8.0f} ms  ({rate:,.0f} items/s)")
    print(f"  same batch again (unchanged)  {result.again_s * 1000:8.0f} ms")
    print(f"  10 assets moved (10 events)   {result.ten_moved_s * 1000:8.0f} ms")
    for label, summary in (
        ("first page of 25", result.first_page),
        ("search q=SN0004", result.search),
    ):
        print(
            f"  fleet list, {label:<17} p50 {summary.p50_ms:6.2f} ms  p99 {summary.p99_ms:6.2f} ms"
            f"  ({summary.count} calls, {ASSETS} assets)"
        )
