"""Consumers apply each event once, retry a bounded number of times, then dead-letter."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from conftest import Infrastructure
from shared.cloudevents import CloudEvent
from shared.consumer import ConsumerConfig, ConsumerRunner, ReceivedEvent, Subscription
from shared.kafka import dead_letter_topic, ensure_topics, service_topic
from shared.tests.sample import ThingHappened, registry
from tests.support import KAFKA_SESSION_TIMEOUT_MS, TopicReader, eventually, in_background


def thing(name: str, *, subject: str = "thing-1") -> CloudEvent:
    return CloudEvent(
        id=str(uuid.uuid4()),
        source="/guichet/sample",
        type=ThingHappened.type,
        subject=subject,
        time=datetime.now(UTC),
        data={"name": name, "size": 1},
        dataversion=1,
        correlationid="corr-1",
    )


@pytest.fixture
async def effects(pool: asyncpg.Pool) -> asyncpg.Pool:
    await pool.execute("CREATE TABLE effects (event_id uuid, name text)")
    return pool


@pytest.fixture
async def publish(
    infrastructure: Infrastructure, kafka_namespace: str
) -> AsyncIterator[Callable[[CloudEvent | bytes], asyncio.Future]]:
    topic = service_topic(kafka_namespace, "sample")
    await ensure_topics(infrastructure.kafka_bootstrap, {topic: 3}, 1)
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.kafka_bootstrap, acks="all")
    await producer.start()

    async def send(event: CloudEvent | bytes, *, key: bytes = b"thing-1") -> None:
        value = event if isinstance(event, bytes) else event.kafka_value()
        await producer.send_and_wait(topic, value=value, key=key)

    yield send
    await producer.stop()


@contextlib.asynccontextmanager
async def consuming(
    infrastructure: Infrastructure,
    kafka_namespace: str,
    pool: asyncpg.Pool,
    handler: Callable,
) -> AsyncIterator[ConsumerRunner]:
    runner = ConsumerRunner(
        ConsumerConfig(
            name=f"{kafka_namespace}.tester",
            kafka_bootstrap=infrastructure.kafka_bootstrap,
            max_attempts=3,
            backoff_initial=0.05,
            session_timeout_ms=KAFKA_SESSION_TIMEOUT_MS,
        ),
        pool,
        [
            Subscription(
                topic=service_topic(kafka_namespace, "sample"),
                registry=registry,
                handlers={ThingHappened.type: handler},
            )
        ],
    )
    async with in_background(runner.run()):
        yield runner


async def record_effect(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    await connection.execute(
        "INSERT INTO effects VALUES ($1, $2)", uuid.UUID(received.envelope.id), received.event.name
    )


async def effect_names(pool: asyncpg.Pool) -> list[str]:
    return [r["name"] for r in await pool.fetch("SELECT name FROM effects ORDER BY name")]


async def test_an_event_delivered_twice_has_its_effect_once(
    infrastructure: Infrastructure, kafka_namespace: str, effects: asyncpg.Pool, publish
) -> None:
    twice = thing("twice")
    for event in (twice, twice, thing("sentinel")):
        await publish(event)
    async with consuming(infrastructure, kafka_namespace, effects, record_effect):
        # The sentinel comes after both copies on the same partition.
        await eventually(lambda: _has(effects, "sentinel"))
    assert await effect_names(effects) == ["sentinel", "twice"]


async def _has(pool: asyncpg.Pool, name: str) -> bool:
    return bool(await pool.fetchval("SELECT count(*) FROM effects WHERE name = $1", name))


async def test_a_failing_handler_is_retried_and_its_failed_attempts_leave_no_trace(
    infrastructure: Infrastructure, kafka_namespace: str, effects: asyncpg.Pool, publish
) -> None:
    attempts = 0

    async def flaky(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        nonlocal attempts
        attempts += 1
        await record_effect(connection, received)  # rolled back when the attempt fails
        if attempts < 3:
            raise ConnectionError("the database hiccuped")

    await publish(thing("flaky"))
    async with consuming(infrastructure, kafka_namespace, effects, flaky):
        await eventually(lambda: _has(effects, "flaky"))
    assert attempts == 3
    assert await effect_names(effects) == ["flaky"]


async def test_a_message_that_keeps_failing_goes_to_the_dead_letter_topic_and_the_rest_flows(
    infrastructure: Infrastructure, kafka_namespace: str, effects: asyncpg.Pool, publish
) -> None:
    async def refuses_poison(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        if received.event.name == "poison":
            raise ValueError("cannot handle this one")
        await record_effect(connection, received)

    poison = thing("poison")
    await publish(poison)
    await publish(b"this is not a CloudEvent")
    await publish(thing("healthy"))
    dead_letters = dead_letter_topic(f"{kafka_namespace}.tester")
    async with (
        consuming(infrastructure, kafka_namespace, effects, refuses_poison),
        TopicReader(infrastructure.kafka_bootstrap, dead_letters) as reader,
    ):
        await eventually(lambda: _has(effects, "healthy"))
        dead = await reader.wait_for(2)
    assert await effect_names(effects) == ["healthy"]
    reasons = {dict(r.headers)["dead-letter-reason"].decode() for r in dead}
    assert "ValueError: cannot handle this one" in reasons
    assert any(reason.startswith("not a CloudEvent") for reason in reasons)
    assert CloudEvent.from_kafka_value(dead[0].value).id == poison.id
    assert (
        dict(dead[0].headers)["original-topic"] == service_topic(kafka_namespace, "sample").encode()
    )


async def test_events_of_types_without_a_handler_are_passed_over(
    infrastructure: Infrastructure, kafka_namespace: str, effects: asyncpg.Pool, publish
) -> None:
    other = thing("other").model_copy(update={"type": "guichet.sample.SomethingElse"})
    await publish(other)
    await publish(thing("known"))
    async with consuming(infrastructure, kafka_namespace, effects, record_effect):
        await eventually(lambda: _has(effects, "known"))
    assert await effect_names(effects) == ["known"]


async def test_replicas_sharing_a_group_handle_every_event_once_when_one_leaves(
    infrastructure: Infrastructure, kafka_namespace: str, effects: asyncpg.Pool, publish
) -> None:
    handled_by: dict[str, list[str]] = {"first": [], "second": []}

    def recording(replica: str) -> Callable:
        async def handler(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
            await record_effect(connection, received)
            handled_by[replica].append(received.event.name)
            await asyncio.sleep(0.01)  # slow enough for the rebalance to land mid-stream

        return handler

    async with consuming(infrastructure, kafka_namespace, effects, recording("first")):
        async with consuming(
            infrastructure, kafka_namespace, effects, recording("second")
        ) as second:
            await asyncio.wait_for(second.assigned.wait(), 30)  # both are in the group
            for n in range(60):
                await publish(thing(f"early-{n:02}"), key=f"key-{n % 12}".encode())
            await eventually(lambda: _count_at_least(effects, 20))
        # The second replica left: its partitions move to the first, mid-stream.
        for n in range(60):
            await publish(thing(f"late-{n:02}"), key=f"key-{n % 12}".encode())
        await eventually(lambda: _count_at_least(effects, 120), timeout=60)
        await asyncio.sleep(1)

    names = await effect_names(effects)
    assert len(names) == 120
    assert len(set(names)) == 120  # every event's effect exactly once
    assert handled_by["first"]  # both replicas really shared the work
    assert handled_by["second"]


async def _count_at_least(pool: asyncpg.Pool, count: int) -> bool:
    return await pool.fetchval("SELECT count(*) FROM effects") >= count


async def test_an_infrastructure_outage_delays_events_but_never_dead_letters_them(
    infrastructure: Infrastructure, kafka_namespace: str, effects: asyncpg.Pool, publish
) -> None:
    calls = 0

    async def database_down_for_a_while(connection: asyncpg.Connection, received) -> None:
        nonlocal calls
        calls += 1
        if calls <= 6:  # twice the retry budget of this consumer (max_attempts=3)
            raise asyncpg.CannotConnectNowError("the database system is starting up")
        await record_effect(connection, received)

    await publish(thing("patient"))
    dead_letters = dead_letter_topic(f"{kafka_namespace}.tester")
    async with (
        consuming(infrastructure, kafka_namespace, effects, database_down_for_a_while),
        TopicReader(infrastructure.kafka_bootstrap, dead_letters) as reader,
    ):
        await eventually(lambda: _has(effects, "patient"))
        await asyncio.sleep(0.5)
        assert reader.records == []
    assert calls == 7
    assert await effect_names(effects) == ["patient"]
