"""Append throughput: events/s through `EventStore.append` against raw single-row inserts.

Each Guichet append is one event in its own transaction, to a new stream of the writer's own
(expected version 0), and includes what the event store always writes: the event row and its
outbox row. The relay's wake-up notification is sent only when no committed event is waiting
in the outbox; no relay drains it here, so this measures the sustained-load regime, where
writers do not notify. The baseline is what an application without
an event store would do for the same fact: one autocommitted `INSERT` of a jsonb payload of
the same size into a plain table. Both run with 1 and 8 concurrent writers, each on its own
connection of a `shared.db` pool, on the same durable PostgreSQL.

Goal (from the issue): Guichet reaches at least half the raw rate (ratio >= 0.5).
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import asyncpg

from shared.db import create_pool, migrate
from shared.events import DomainEvent, EventRegistry
from shared.eventstore import EventContext, EventStore, RecordedEvent
from shared.wakeup import outbox_channel

WRITERS = (1, 8)
SLICE = 0.5  # seconds
GOAL_RATIO = 0.5

registry = EventRegistry(source="bench")


@registry.register
class BenchRecorded(DomainEvent):
    """A made-up fact, about the size of a real one (a ticket opened)."""

    type: ClassVar[str] = "guichet.bench.Recorded"
    version: ClassVar[int] = 1

    item_id: uuid.UUID
    sequence: int
    title: str
    description: str
    priority: str
    requester_email: str


_TITLE = "The invoice PDF for March is missing its VAT line"
_DESCRIPTION = (
    "Hello, the invoice we downloaded this morning from the portal shows the net amount and"
    " the total, but the VAT line is empty. Our accountant needs it before Friday. Thanks!"
)


def bench_event(sequence: int) -> BenchRecorded:
    return BenchRecorded(
        item_id=uuid.uuid4(),
        sequence=sequence,
        title=_TITLE,
        description=_DESCRIPTION,
        priority="normal",
        requester_email="alice@example.com",
    )


def raw_payload(sequence: int) -> dict[str, Any]:
    """The same JSON the event store stores as the event's data, built without pydantic."""
    return {
        "item_id": str(uuid.uuid4()),
        "sequence": sequence,
        "title": _TITLE,
        "description": _DESCRIPTION,
        "priority": "normal",
        "requester_email": "alice@example.com",
    }


Operation = Callable[[asyncpg.Connection, int, int], Awaitable[None]]


@dataclass(frozen=True)
class Measurement:
    count: int
    seconds: float
    cpu_seconds: float
    """CPU time the benchmark process itself (Python, asyncpg) used during the window."""


@dataclass
class Tally:
    """Measurements of one workload, summed over the rounds."""

    count: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def add(self, measurement: Measurement) -> None:
        self.count += measurement.count
        self.seconds += measurement.seconds
        self.cpu_seconds += measurement.cpu_seconds

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    @property
    def client_cpu(self) -> float:
        """Share of one CPU used by the benchmark process."""
        return self.cpu_seconds / self.seconds


@dataclass(frozen=True)
class Comparison:
    writers: int
    guichet: Tally
    raw: Tally
    round_ratios: list[float]

    @property
    def ratio(self) -> float:
        return self.guichet.per_second / self.raw.per_second


async def measure(
    pool: asyncpg.Pool, writers: int, operation: Operation, *, warmup: float, duration: float
) -> Measurement:
    """Run `operation` in a loop on `writers` connections; count completions in the window
    [warm-up end, warm-up end + duration)."""
    loop = asyncio.get_running_loop()
    start = loop.time() + warmup
    end = start + duration
    counts = [0] * writers

    async def writer(index: int) -> None:
        async with pool.acquire() as connection:
            sequence = 0
            while True:
                await operation(connection, index, sequence)
                sequence += 1
                now = loop.time()
                if now >= end:
                    return
                if now >= start:
                    counts[index] += 1

    async def cpu_meter() -> float:
        await asyncio.sleep(start - loop.time())
        cpu_start = time.process_time()
        await asyncio.sleep(end - loop.time())
        return time.process_time() - cpu_start

    *_, cpu_seconds = await asyncio.gather(*(writer(i) for i in range(writers)), cpu_meter())
    return Measurement(sum(counts), duration, cpu_seconds)


async def compare(
    pool: asyncpg.Pool, writers: int, append: Operation, *, warmup: float, duration: float
) -> Comparison:
    """Guichet against raw, in alternating slices of `SLICE` seconds (`duration` in all for
    each), so that both see the same disk: fsync latency on a shared machine drifts a lot
    from one second to the next."""
    await measure(pool, writers, append, warmup=0, duration=warmup)
    await measure(pool, writers, insert, warmup=0, duration=warmup)
    guichet, raw, ratios = Tally(), Tally(), []
    for round_number in range(max(1, round(duration / SLICE))):
        results: dict[str, Measurement] = {}
        # Alternate which goes first, so neither always follows the other.
        order = [("guichet", append), ("raw", insert)]
        for name, operation in order if round_number % 2 == 0 else reversed(order):
            results[name] = await measure(pool, writers, operation, warmup=0, duration=SLICE)
        guichet.add(results["guichet"])
        raw.add(results["raw"])
        if results["raw"].count:
            ratios.append(results["guichet"].count / results["raw"].count)
    return Comparison(writers, guichet, raw, ratios)


async def append_one(
    connection: asyncpg.Connection,
    store: EventStore,
    context: EventContext,
    stream_id: str,
    sequence: int,
) -> RecordedEvent:
    """One event, to a new stream, in a transaction of its own: what both benchmarks time."""
    async with connection.transaction():
        [recorded] = await store.append(
            connection,
            stream_id=stream_id,
            stream_type="bench",
            expected_version=0,
            events=[bench_event(sequence)],
            context=context,
        )
    return recorded


def appender(store: EventStore, context: EventContext, label: str) -> Operation:
    """One event appended to a new stream of the writer's own, in a transaction of its own."""
    streams = itertools.count()  # stream ids stay new across measurements

    async def append(connection: asyncpg.Connection, writer: int, sequence: int) -> None:
        stream_id = f"bench-{label}-{writer}-{next(streams)}"
        await append_one(connection, store, context, stream_id, sequence)

    return append


async def insert(connection: asyncpg.Connection, writer: int, sequence: int) -> None:
    """The baseline: one autocommitted single-row insert of the same payload."""
    del writer
    await connection.execute("INSERT INTO raw_rows (data) VALUES ($1)", raw_payload(sequence))


async def run(database_url: str, kafka_bootstrap: str, *, quick: bool) -> list[Comparison]:
    """Print (and return) the table: writers, Guichet events/s, raw rows/s, ratio."""
    del kafka_bootstrap  # PostgreSQL only
    warmup, duration = (0.5, 2.0) if quick else (1.0, 5.0)
    schema = f"bench_append_{secrets.token_hex(4)}"
    await migrate(database_url, schema, None)
    pool = await create_pool(database_url, schema, min_size=max(WRITERS), max_size=max(WRITERS))
    store = EventStore(registry, outbox_channel(schema))
    context = EventContext.new(organisation_id=uuid.uuid4(), actor_id="bench")
    try:
        await pool.execute("CREATE TABLE raw_rows (id bigserial PRIMARY KEY, data jsonb NOT NULL)")
        print(
            f"one event (or row) per transaction; {duration:.0f} s of each workload per writer"
            f" count, in alternating {SLICE} s slices, after {warmup:.1f} s of warm-up;"
            f" payload {len(bench_event(0).model_dump_json())} bytes of JSON"
        )
        comparisons = [
            await compare(
                pool,
                writers,
                appender(store, context, label=f"{writers}w"),
                warmup=warmup,
                duration=duration,
            )
            for writers in WRITERS
        ]
        appended = await pool.fetchval("SELECT count(*) FROM events")
        queued = await pool.fetchval("SELECT count(*) FROM outbox")
        if appended != queued:
            raise RuntimeError(f"{appended} events appended but {queued} outbox rows")
    finally:
        await pool.close()
    _print_table(comparisons)
    return comparisons


def _print_table(comparisons: list[Comparison]) -> None:
    print()
    print("| writers | guichet events/s | raw rows/s | ratio | goal >= 0.5 |")
    print("|--------:|-----------------:|-----------:|------:|:-----------:|")
    for c in comparisons:
        verdict = "met" if c.ratio >= GOAL_RATIO else "NOT met"
        print(
            f"| {c.writers:>7} | {c.guichet.per_second:>16,.0f} | {c.raw.per_second:>10,.0f}"
            f" | {c.ratio:>5.2f} | {verdict:^11} |"
        )
    print()
    print("ratio per slice (min / median / max), mean time per transaction, and CPU used by")
    print("the benchmark process itself (of one core; the machine has the server on it too):")
    for c in comparisons:
        print(
            f"  {c.writers} writer(s): ratio {min(c.round_ratios):.2f} /"
            f" {statistics.median(c.round_ratios):.2f} / {max(c.round_ratios):.2f};"
            f" guichet {c.writers / c.guichet.per_second * 1000:.2f} ms"
            f" ({c.guichet.client_cpu:.0%} CPU), raw {c.writers / c.raw.per_second * 1000:.2f} ms"
            f" ({c.raw.client_cpu:.0%} CPU)"
        )
