"""Ticket list latency with a million tickets in the database, a hundred thousand of them in
the customer's organisation.

The portal runs as in production (`bench.portal`); tickets' read model is then bulk-loaded
(`bench.ticket_data`: COPY, realistic distributions, French and English texts, then VACUUM
ANALYZE) into the demo customer's organisation and 3,000 others. The load generator, a
process of its own, signs in as the demo customer and asks for the list
(`GET /tickets?...`) in several shapes: no filter, status filters, a later page through the
keyset cursor, a priority filter and full-text searches in French and English. Every answer
is the page of 25 and the count of unread tickets over the whole filtered list.

One request at a time, each way (straight to tickets, and through the gateway) on its own
keep-alive connection, alternating blocks so that the machine's drift falls on both alike,
after a warm-up. Latency runs from sending the request to having read the whole answer.
Goal (from the issue): p99 <= 50 ms for a filtered first page.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import aiohttp

from bench import ticket_data
from bench.portal import (
    Portal,
    SignedIn,
    measure_apart,
    one_connection,
    running_portal,
    serve_order,
)
from bench.stats import Summary
from shared.db import connect

GOAL_P99_MS = 50.0
UNLIMITED = str(1_000_000)
SETTINGS = {
    "GUICHET_RATE_PER_SUBJECT": UNLIMITED,
    "GUICHET_BURST_PER_SUBJECT": UNLIMITED,
    "GUICHET_RATE_PER_IP": UNLIMITED,
    "GUICHET_BURST_PER_IP": UNLIMITED,
}
BLOCK = 25
WARM_UP = 10
ACTIVE = ("new", "open", "in_progress", "waiting_for_customer")


@dataclass(frozen=True)
class Shape:
    name: str
    query: list[tuple[str, str]]
    page: int = 1
    """Which page: later pages are reached with the previous page's `next_cursor`."""


SHAPES = [
    Shape("no filter (the default list)", []),
    Shape("status: the 4 active ones", [("status", status) for status in ACTIVE]),
    Shape("status: closed", [("status", "closed")]),
    Shape("status: closed, page 3", [("status", "closed")], page=3),
    Shape("priority: urgent", [("priority", "urgent")]),
    Shape("search: imprimante", [("q", "imprimante")]),
    Shape("search: invoice, status: closed", [("q", "invoice"), ("status", "closed")]),
]


@dataclass(frozen=True)
class ShapeResult:
    shape: str
    tickets_on_page: int
    unread_tickets: int
    direct: Summary
    gateway: Summary


@dataclass(frozen=True)
class ListResult:
    loaded: ticket_data.LoadedTickets
    shapes: list[ShapeResult]


async def fetch(
    session: aiohttp.ClientSession, url: str, query: list[tuple[str, str]], customer: SignedIn
) -> tuple[float, dict[str, object]]:
    """Seconds from sending the request to having read the whole answer, and the answer."""
    headers = await customer.headers()
    started = time.perf_counter()
    async with session.get(url, params=query, headers=headers) as response:
        body = await response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"GET {url} {query}: {response.status} {body.decode()}")
        return elapsed, await response.json()


async def page_query(
    session: aiohttp.ClientSession, url: str, shape: Shape, customer: SignedIn
) -> list[tuple[str, str]]:
    """The shape's query, with the cursor of its page (followed from the first page)."""
    query = list(shape.query)
    for _ in range(shape.page - 1):
        _, body = await fetch(session, url, query, customer)
        query = [*shape.query, ("cursor", str(body["next_cursor"]))]
    return query


async def both_ways(
    portal: Portal, service: str, path: str, shape: Shape, customer: SignedIn, *, count: int
) -> tuple[dict[str, object], Summary, Summary]:
    """`count` timings of the shape's page straight to `service` (its `path`) and through
    the gateway (alternating blocks, after a warm-up): the page, and each way's."""
    samples: dict[str, list[float]] = {"direct": [], "gateway": []}
    async with one_connection() as direct, one_connection() as gateway:
        ways = {
            "direct": (direct, f"{portal.urls[service]}{path}"),
            "gateway": (gateway, f"{portal.api}{path}"),
        }
        query = await page_query(direct, ways["direct"][1], shape, customer)
        _, body = await fetch(direct, ways["direct"][1], query, customer)
        for session, url in ways.values():  # warm-up: connections, caches, plans
            for _ in range(WARM_UP):
                await fetch(session, url, query, customer)
        for way in itertools.islice(itertools.cycle(ways), 2 * -(-count // BLOCK)):
            session, url = ways[way]
            for _ in range(min(BLOCK, count - len(samples[way]))):
                elapsed, _ = await fetch(session, url, query, customer)
                samples[way].append(elapsed)
    return body, Summary.of_seconds(samples["direct"]), Summary.of_seconds(samples["gateway"])


@dataclass(frozen=True)
class PageResult:
    """A list's first page (or later one) in one shape: how many rows it held, each way's
    latency."""

    shape: str
    on_page: int
    direct: Summary
    gateway: Summary


async def measure_pages(
    portal: Portal,
    *,
    service: str,
    path: str,
    rows: str,
    shapes: list[Shape],
    customer: SignedIn,
    count: int,
) -> list[PageResult]:
    """Each shape's page of `path` (its rows under the key `rows`), both ways."""
    results = []
    for shape in shapes:
        body, direct, gateway = await both_ways(portal, service, path, shape, customer, count=count)
        page = body[rows]
        assert isinstance(page, list)
        results.append(PageResult(shape.name, len(page), direct, gateway))
    return results


def print_pages(results: list[PageResult], rows: str, answer: str, goal_p99_ms: float) -> None:
    """The table of `measure_pages`' figures: `rows` names what a page holds, `answer` what
    each answer carries."""
    print(
        f"sequential requests over keep-alive, alternating blocks of {BLOCK}; latency = send to"
        f" whole answer read; each answer: {answer}"
    )
    print()
    print(
        f"| list | {rows} on page | direct p50 / p99 ms | through the gateway p50 / p99 ms"
        f" | goal p99 <= {goal_p99_ms:.0f} ms (direct) |"
    )
    print("|:--|--:|--:|--:|:-:|")
    for shape in results:
        verdict = "met" if shape.direct.p99_ms <= goal_p99_ms else "NOT met"
        print(
            f"| {shape.shape} | {shape.on_page}"
            f" | {shape.direct.p50_ms:.1f} / {shape.direct.p99_ms:.1f}"
            f" | {shape.gateway.p50_ms:.1f} / {shape.gateway.p99_ms:.1f} | {verdict} |"
        )
    print(f"({results[0].direct.count} requests each way per list)")


async def measure_shape(
    portal: Portal, shape: Shape, customer: SignedIn, count: int
) -> ShapeResult:
    body, direct, gateway = await both_ways(
        portal, "tickets", "/tickets", shape, customer, count=count
    )
    tickets = body["tickets"]
    assert isinstance(tickets, list)
    return ShapeResult(
        shape=shape.name,
        tickets_on_page=len(tickets),
        unread_tickets=int(str(body["unread_tickets"])),
        direct=direct,
        gateway=gateway,
    )


async def measure(portal: Portal, quick: bool) -> list[ShapeResult]:
    """The load generator's work (in a process of its own, see `run`)."""
    count = 60 if quick else 300
    async with aiohttp.ClientSession() as session:
        customer = SignedIn.customer(session, portal)
        return [await measure_shape(portal, shape, customer, count) for shape in SHAPES]


async def load_tickets(portal: Portal) -> ticket_data.LoadedTickets:
    """A million tickets, a hundred thousand of them in the demo customer's organisation."""
    connection = await connect(portal.database_url, "tickets")
    try:
        demo = await connection.fetchrow(
            "SELECT organisation_id, opened_by, requester_email FROM tickets LIMIT 1"
        )
        if demo is None:
            raise RuntimeError("the demo customer's tickets are missing")
        customer = ticket_data.Person(demo["opened_by"], demo["requester_email"])
        return await ticket_data.load(connection, demo["organisation_id"], customer)
    finally:
        await connection.close()


async def run(database_url: str, kafka_bootstrap: str, *, quick: bool) -> ListResult:
    """Start the portal, load the tickets, print (and return) the figures."""
    async with running_portal(database_url, kafka_bootstrap, SETTINGS) as portal:
        loaded = await load_tickets(portal)
        print(
            f"loaded {loaded.total:,} tickets ({loaded.big_organisation:,} in the customer's"
            f" organisation; its statuses: {_statuses(loaded)}) and {loaded.reads:,} read"
            f" marks in {loaded.seconds:.0f} s"
        )
        shapes = await measure_apart(
            "bench.ticket_list", portal, quick=quick, result=list[ShapeResult]
        )
    result = ListResult(loaded, shapes)
    _print_result(result)
    return result


def _statuses(loaded: ticket_data.LoadedTickets) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in sorted(loaded.statuses.items()))


def _print_result(result: ListResult) -> None:
    print(
        f"sequential requests over keep-alive, alternating blocks of {BLOCK}; latency = send to"
        " whole answer read; each answer: a page of 25 and the unread count of the whole list"
    )
    print()
    print(
        "| list | tickets on page | unread | direct p50 / p99 ms | through the gateway"
        " p50 / p99 ms | goal p99 <= 50 ms (direct) |"
    )
    print("|:--|--:|--:|--:|--:|:-:|")
    for shape in result.shapes:
        verdict = "met" if shape.direct.p99_ms <= GOAL_P99_MS else "NOT met"
        print(
            f"| {shape.shape} | {shape.tickets_on_page} | {shape.unread_tickets:,}"
            f" | {shape.direct.p50_ms:.1f} / {shape.direct.p99_ms:.1f}"
            f" | {shape.gateway.p50_ms:.1f} / {shape.gateway.p99_ms:.1f} | {verdict} |"
        )
    print(f"({result.shapes[0].direct.count} requests each way per list)")


if __name__ == "__main__":
    serve_order(measure, list[ShapeResult])  # the load generator, started by `run`
