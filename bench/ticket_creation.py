"""Ticket creation rate through the gateway, beside the event store's raw append rate.

First `append_throughput` runs as it does on its own (events/s through `EventStore.append`,
one event per transaction, 1 and 8 writers, on this benchmark's PostgreSQL): the ceiling of
what writing an event costs, with nothing in front of it. Then the portal starts as in
production (`bench.portal`), and 1 then 8 clients, each on its own keep-alive connection,
open tickets back to back through the gateway as the demo customer (`POST /api/tickets`): the
gateway checks the token and the access rules and forwards; tickets validates the body, reads
the organisation's support rules, takes a number, appends `TicketOpened` with its outbox row
and projects it into the read model in the same transaction, answers with the ticket's page;
the relay publishes the event to the broker meanwhile. The gateway's rate limits are raised
for the run (one user opens hundreds of tickets a second here).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

import aiohttp

from bench import append_throughput
from bench.portal import (
    Portal,
    SignedIn,
    measure_apart,
    one_connection,
    running_portal,
    serve_order,
)
from bench.stats import Summary
from devstack import demo

UNLIMITED = str(1_000_000)
SETTINGS = {
    "GUICHET_RATE_PER_SUBJECT": UNLIMITED,
    "GUICHET_BURST_PER_SUBJECT": UNLIMITED,
    "GUICHET_RATE_PER_IP": UNLIMITED,
    "GUICHET_BURST_PER_IP": UNLIMITED,
}
CLIENTS = append_throughput.WRITERS
"""The same counts as the raw appends, to compare them row by row."""
TICKET = {
    "title": "Bourrage papier sur le copieur du 2e étage",
    "description": "Le copieur se bloque à chaque impression recto-verso depuis ce matin.",
    "priority": "high",
    "ticket_type": "incident",
    "requester_email": demo.CONTACTS[0]["email"],
}


@dataclass(frozen=True)
class CreationRate:
    clients: int
    tickets_per_second: float
    latency: Summary


@dataclass(frozen=True)
class CreationResult:
    appends: list[append_throughput.Comparison]
    creations: list[CreationRate]


async def open_ticket(session: aiohttp.ClientSession, url: str, customer: SignedIn) -> float:
    """Seconds from sending the ticket to having read its page."""
    headers = await customer.headers()
    started = time.perf_counter()
    async with session.post(url, json=TICKET, headers=headers) as response:
        body = await response.read()
        elapsed = time.perf_counter() - started
        if response.status != 201:
            raise RuntimeError(f"open a ticket: {response.status} {body.decode()}")
    return elapsed


async def creation_rate(
    portal: Portal, customer: SignedIn, clients: int, duration: float
) -> CreationRate:
    """`clients` clients opening tickets back to back for `duration` seconds."""
    url = f"{portal.api}/tickets"
    latencies: list[float] = []

    async def client(session: aiohttp.ClientSession, deadline: float) -> None:
        while time.perf_counter() < deadline:
            latencies.append(await open_ticket(session, url, customer))

    async with contextlib.AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(one_connection()) for _ in range(clients)]
        for session in sessions:  # warm-up: connections open, caches and plans filled
            for _ in range(5):
                await open_ticket(session, url, customer)
        started = time.perf_counter()
        await asyncio.gather(*(client(session, started + duration) for session in sessions))
        elapsed = time.perf_counter() - started
    return CreationRate(clients, len(latencies) / elapsed, Summary.of_seconds(latencies))


async def measure(portal: Portal, quick: bool) -> list[CreationRate]:
    """The load generator's work (in a process of its own, see `run`)."""
    duration = 4.0 if quick else 15.0
    async with aiohttp.ClientSession() as session:
        customer = SignedIn.customer(session, portal)
        return [await creation_rate(portal, customer, clients, duration) for clients in CLIENTS]


async def run(database_url: str, kafka_bootstrap: str, *, quick: bool) -> CreationResult:
    """Measure the raw append rate, then the creation rate; print (and return) both."""
    print("-- the event store alone (append_throughput):")
    appends = await append_throughput.run(database_url, kafka_bootstrap, quick=quick)
    async with running_portal(database_url, kafka_bootstrap, SETTINGS) as portal:
        creations = await measure_apart(
            "bench.ticket_creation", portal, quick=quick, result=list[CreationRate]
        )
    result = CreationResult(appends, creations)
    _print_result(result)
    return result


def _print_result(result: CreationResult) -> None:
    appended = {comparison.writers: comparison.guichet.per_second for comparison in result.appends}
    print()
    print("-- tickets opened through the gateway (POST /api/tickets), back to back:")
    print(
        "| clients | tickets/s | p50 ms | p99 ms | max ms | raw appends/s, same writers"
        " | tickets / appends |"
    )
    print("|--:|--:|--:|--:|--:|--:|--:|")
    for rate in result.creations:
        raw = appended[rate.clients]
        print(
            f"| {rate.clients} | {rate.tickets_per_second:,.0f} | {rate.latency.p50_ms:.1f}"
            f" | {rate.latency.p99_ms:.1f} | {rate.latency.max_ms:.0f} | {raw:,.0f}"
            f" | {rate.tickets_per_second / raw:.2f} |"
        )


if __name__ == "__main__":
    serve_order(measure, list[CreationRate])  # the load generator, started by `run`
