"""Relay latency: from an event's commit to its receipt by a Kafka consumer.

A producer appends one event per transaction at a steady rate (an absolute schedule, so the
rate does not drift) and notes the time right after each commit. The real `OutboxRelay`
runs as a task and publishes to the Tansu broker. Plain aiokafka consumers, without a
group, assigned to every partition of the service's topic from the beginning, note when
each event reaches them. Latency = receipt - commit, per event.

Two consumers read the same events side by side: one with the fetch wait Guichet's consumers
use (`ConsumerConfig.fetch_max_wait_ms`, from `GUICHET_KAFKA_FETCH_MAX_WAIT_MS`), one with
aiokafka's default of 500 ms, for contrast: Tansu answers a waiting fetch only after half
its wait, even when records arrive sooner. The Kafka record timestamp (set by the relay's
producer when it sends the event) splits the latency into commit -> relay send and relay
send -> receipt. All times are this process's wall clock (`time.time()`); record timestamps
have millisecond resolution.

Goal (from the issue): p99 < 100 ms at 200 events/s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.append_throughput import append_one, registry
from bench.stats import percentile
from shared.consumer import ConsumerConfig
from shared.db import create_pool, migrate
from shared.eventstore import EventContext, EventStore
from shared.kafka import service_topic
from shared.outbox import OutboxRelay, RelayConfig
from shared.wakeup import outbox_channel

RATE = 200.0
GOAL_P99_MS = 100.0
SERVICE = "bench"
KIT_FETCH_WAIT_MS = ConsumerConfig(name="bench", kafka_bootstrap="").fetch_max_wait_ms
CONSUMERS: dict[str, dict[str, Any]] = {
    f"Guichet consumers (fetch_max_wait_ms={KIT_FETCH_WAIT_MS})": {
        "fetch_max_wait_ms": KIT_FETCH_WAIT_MS
    },
    "aiokafka default (fetch_max_wait_ms=500), for contrast": {},
}


@dataclass(frozen=True)
class Percentiles:
    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, seconds: Iterable[float]) -> Percentiles:
        values = sorted(value * 1000 for value in seconds)
        if not values:
            return cls(0, math.nan, math.nan, math.nan)
        return cls(len(values), percentile(values, 0.50), percentile(values, 0.99), values[-1])


@dataclass(frozen=True)
class ConsumerResult:
    consumer: str
    sent: int
    latency: Percentiles
    """commit -> receipt"""
    delivery: Percentiles
    """relay send (Kafka record timestamp) -> receipt"""

    @property
    def goal_met(self) -> bool:
        return self.latency.count == self.sent and self.latency.p99_ms < GOAL_P99_MS


@dataclass(frozen=True)
class LatencyResult:
    rate: float
    achieved_rate: float
    sent: int
    relay_pickup: Percentiles
    """commit -> relay send (Kafka record timestamp)"""
    consumers: list[ConsumerResult]


class Receiver:
    """Notes when each event id reaches one consumer, and when the relay sent it."""

    def __init__(self, name: str, consumer: AIOKafkaConsumer) -> None:
        self.name = name
        self.consumer = consumer
        self.received_at: dict[str, float] = {}
        self.sent_at: dict[str, float] = {}
        self._arrived = asyncio.Event()

    async def run(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=1000)
            now = time.time()
            for records in batch.values():
                for record in records:
                    assert record.value is not None
                    event_id = json.loads(record.value)["id"]
                    self.received_at.setdefault(event_id, now)
                    self.sent_at.setdefault(event_id, record.timestamp / 1000)
            if batch:
                self._arrived.set()

    async def wait_for(self, event_ids: set[str], timeout: float) -> bool:
        """Until every id in `event_ids` was received, or `timeout` seconds; True if all."""
        deadline = time.monotonic() + timeout
        while not event_ids <= self.received_at.keys():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)
        return True


async def produce(
    pool: asyncpg.Pool,
    store: EventStore,
    context: EventContext,
    *,
    rate: float,
    count: int,
    label: str,
) -> tuple[dict[str, float], float]:
    """Append `count` events at `rate` per second, one per transaction; returns the commit
    time of each event id and the rate actually achieved."""
    committed_at: dict[str, float] = {}
    async with pool.acquire() as connection:
        start = time.perf_counter()
        for sequence in range(count):
            delay = start + sequence / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            stream_id = f"bench-{label}-{sequence}"
            recorded = await append_one(connection, store, context, stream_id, sequence)
            committed_at[str(recorded.event_id)] = time.time()
        elapsed = time.perf_counter() - start
    return committed_at, count / elapsed if elapsed > 0 else math.inf


async def topic_partitions(bootstrap: str, topic: str, timeout: float = 30.0) -> list[int]:
    """The topic's partitions, once it exists (the relay creates it when it becomes active)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        deadline = time.monotonic() + timeout
        while True:
            if topic in await admin.list_topics():
                (description,) = await admin.describe_topics([topic])
                partitions = sorted(p["partition"] for p in description["partitions"])
                if partitions:
                    return partitions
            if time.monotonic() > deadline:
                raise TimeoutError(f"topic {topic} did not appear within {timeout:.0f} s")
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


async def run(database_url: str, kafka_bootstrap: str, *, quick: bool) -> LatencyResult:
    """Print (and return) p50, p99 and max commit-to-consumer latency at 200 events/s."""
    duration = 4.0 if quick else 10.0
    count = round(RATE * duration)
    token = secrets.token_hex(4)
    schema = f"bench_relay_{token}"
    namespace = f"bench-{token}"
    topic = service_topic(namespace, SERVICE)
    await migrate(database_url, schema, None)
    pool = await create_pool(database_url, schema, min_size=1, max_size=2)
    store = EventStore(registry, outbox_channel(schema))
    context = EventContext.new(organisation_id=uuid.uuid4(), actor_id="bench")
    relay = OutboxRelay(
        RelayConfig(
            database_url=database_url,
            schema=schema,
            service=SERVICE,
            kafka_bootstrap=kafka_bootstrap,
            kafka_namespace=namespace,
        )
    )
    relay_task = asyncio.create_task(relay.run())
    receivers = [
        Receiver(
            name,
            AIOKafkaConsumer(
                bootstrap_servers=kafka_bootstrap,
                client_id=f"bench-latency-{index}",
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                **settings,
            ),
        )
        for index, (name, settings) in enumerate(CONSUMERS.items())
    ]
    started: list[AIOKafkaConsumer] = []
    tasks: list[asyncio.Task[None]] = [relay_task]
    try:
        partitions = [
            TopicPartition(topic, p) for p in await topic_partitions(kafka_bootstrap, topic)
        ]
        for receiver in receivers:
            await receiver.consumer.start()
            started.append(receiver.consumer)
            receiver.consumer.assign(partitions)
            await receiver.consumer.seek_to_beginning(*partitions)
            tasks.append(asyncio.create_task(receiver.run()))

        # Warm-up: connections, prepared statements, producer and fetchers all running.
        warm, _ = await produce(pool, store, context, rate=RATE, count=round(RATE), label="warm")
        for receiver in receivers:
            if not await receiver.wait_for(set(warm), timeout=30):
                raise RuntimeError(f"warm-up events did not reach the consumer {receiver.name}")

        print(f"{RATE:.0f} events/s for {duration:.0f} s, one event per transaction, topic {topic}")
        committed_at, achieved = await produce(
            pool, store, context, rate=RATE, count=count, label="measured"
        )
        for receiver in receivers:
            await receiver.wait_for(set(committed_at), timeout=10)
    finally:
        for task in reversed(tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for consumer in started:
            await consumer.stop()
        await pool.close()

    result = LatencyResult(
        rate=RATE,
        achieved_rate=achieved,
        sent=len(committed_at),
        relay_pickup=Percentiles.of(
            receivers[0].sent_at[event_id] - committed
            for event_id, committed in committed_at.items()
            if event_id in receivers[0].sent_at
        ),
        consumers=[
            ConsumerResult(
                consumer=receiver.name,
                sent=len(committed_at),
                latency=Percentiles.of(
                    receiver.received_at[event_id] - committed
                    for event_id, committed in committed_at.items()
                    if event_id in receiver.received_at
                ),
                delivery=Percentiles.of(
                    receiver.received_at[event_id] - receiver.sent_at[event_id]
                    for event_id in committed_at
                    if event_id in receiver.received_at
                ),
            )
            for receiver in receivers
        ],
    )
    _print_result(result)
    return result


def _print_result(result: LatencyResult) -> None:
    print(f"target {result.rate:.0f} events/s, achieved {result.achieved_rate:.1f} events/s")
    print()
    print("commit -> consumer receipt (goal: p99 < 100 ms at 200 events/s)")
    print(
        "| consumer                                  | p50 ms | p99 ms | max ms |"
        " received / sent | goal    |"
    )
    print(
        "|:------------------------------------------|-------:|-------:|-------:|"
        "----------------:|:-------:|"
    )
    for consumer in result.consumers:
        latency = consumer.latency
        verdict = "met" if consumer.goal_met else "NOT met"
        print(
            f"| {consumer.consumer:<41} | {latency.p50_ms:>6.1f} | {latency.p99_ms:>6.1f}"
            f" | {latency.max_ms:>6.1f} | {latency.count:>6} / {consumer.sent:<6} | {verdict:^7} |"
        )
    print()
    print("where the time goes (relay send = the Kafka record timestamp, 1 ms resolution):")
    pickup = result.relay_pickup
    print(
        f"  commit -> relay send          p50 {pickup.p50_ms:6.1f}  p99 {pickup.p99_ms:6.1f}"
        f"  max {pickup.max_ms:6.1f} ms"
    )
    for consumer in result.consumers:
        delivery = consumer.delivery
        print(
            f"  relay send -> receipt, {consumer.consumer.split(' (')[0]:<17}"
            f" p50 {delivery.p50_ms:6.1f}  p99 {delivery.p99_ms:6.1f}"
            f"  max {delivery.max_ms:6.1f} ms"
        )
