"""Invoice list latency with a million invoices in the database, a hundred thousand of them
in the customer's organisation.

The portal runs as in production (`bench.portal`); billing's read model is then bulk-loaded
(`bench.invoice_data`: COPY, five years of invoices, statuses by age, then VACUUM ANALYZE)
into the demo customer's organisation and 3,000 others. The load generator, a process of its
own, signs in as the demo customer and asks for the list (`GET /invoices?...`) in several
shapes: no filter, status filters, a period, a later page through the keyset cursor, credit
notes. Every answer is the page of 25 and the organisation's outstanding total.

One request at a time, each way (straight to billing, and through the gateway) on its own
keep-alive connection, alternating blocks, after a warm-up, as for the ticket list.
Goal: p99 <= 50 ms for a filtered first page (the ticket list's).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bench import invoice_data
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
UNPAID = ("issued", "partially_paid", "overdue")


def shapes(today: dt.date) -> list[Shape]:
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    month_end = today.replace(day=1) - dt.timedelta(days=1)
    return [
        Shape("no filter (the default list)", []),
        Shape("status: overdue", [("status", "overdue")]),
        Shape("status: the 3 unpaid ones", [("status", status) for status in UNPAID]),
        Shape("status: paid, page 3", [("status", "paid")], page=3),
        Shape(
            "period: last month",
            [("issued_from", last_month.isoformat()), ("issued_to", month_end.isoformat())],
        ),
        Shape(
            "period: a year ago, unpaid",
            [
                ("issued_from", (today - dt.timedelta(days=395)).isoformat()),
                ("issued_to", (today - dt.timedelta(days=365)).isoformat()),
                *[("status", status) for status in UNPAID],
            ],
        ),
        Shape("kind: credit notes", [("kind", "credit_note")]),
    ]


@dataclass(frozen=True)
class ListResult:
    loaded: invoice_data.LoadedInvoices
    outstanding: str
    shapes: list[PageResult]


async def measure(portal: Portal, quick: bool) -> list[PageResult]:
    """The load generator's work (in a process of its own, see `run`)."""
    count = 60 if quick else 300
    async with one_connection() as session:
        customer = SignedIn.customer(session, portal)
        return await measure_pages(
            portal,
            service="billing",
            path="/invoices",
            rows="invoices",
            shapes=shapes(dt.date.today()),
            customer=customer,
            count=count,
        )


async def load_invoices(portal: Portal) -> tuple[invoice_data.LoadedInvoices, str]:
    connection = await connect(portal.database_url, "billing")
    try:
        organisation = await connection.fetchval("SELECT organisation_id FROM invoices LIMIT 1")
        if organisation is None:
            raise RuntimeError("the demo customer's invoices are missing")
        loaded = await invoice_data.load(connection, organisation)
        owed = await connection.fetchval(
            "SELECT sum(balance) FROM invoices WHERE organisation_id = $1", organisation
        )
        return loaded, f"{owed:,.2f} EUR"
    finally:
        await connection.close()


async def run(database_url: str, kafka_bootstrap: str, *, quick: bool) -> ListResult:
    """Start the portal, load the invoices, print (and return) the figures."""
    async with running_portal(database_url, kafka_bootstrap, SETTINGS) as portal:
        loaded, outstanding = await load_invoices(portal)
        statuses = ", ".join(f"{name} {n:,}" for name, n in sorted(loaded.statuses.items()))
        print(
            f"loaded {loaded.total:,} invoices ({loaded.big_organisation:,} in the customer's"
            f" organisation; its statuses: {statuses}) in {loaded.seconds:.0f} s"
        )
        results = await measure_apart(
            "bench.invoice_list", portal, quick=quick, result=list[PageResult]
        )
    result = ListResult(loaded, outstanding, results)
    _print_result(result)
    return result


def _print_result(result: ListResult) -> None:
    print_pages(
        result.shapes,
        "invoices",
        f"a page of 25 and the organisation's outstanding total ({result.outstanding})",
        GOAL_P99_MS,
    )


if __name__ == "__main__":
    serve_order(measure, list[PageResult])  # the load generator, started by `run`
