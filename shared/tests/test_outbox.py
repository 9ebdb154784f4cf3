"""The relay publishes every committed event, in per-stream order, exactly as stored."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import asyncpg

from conftest import DisposableBroker, Infrastructure
from shared.cloudevents import CONTENT_TYPE, CloudEvent
from shared.eventstore import EventContext, EventStore, RecordedEvent
from shared.kafka import service_topic
from shared.metrics import RELAY_BROKER_DATA_LOSS
from shared.outbox import OutboxRelay, RelayConfig
from shared.telemetry import tracer
from shared.tests.sample import ThingHappened, append_things
from tests.support import TopicReader, eventually, in_background

ORGANISATION = uuid.uuid4()


async def append(
    pool: asyncpg.Pool, store: EventStore, stream: str, expected: int, name: str
) -> list[RecordedEvent]:
    context = EventContext.new(organisation_id=ORGANISATION, actor_id="user-1")
    return await append_things(pool, store, stream, expected, name, context=context)


def relay_for(infrastructure: Infrastructure, schema: str, namespace: str, bootstrap: str):
    return OutboxRelay(
        RelayConfig(
            database_url=infrastructure.database_url(),
            schema=schema,
            service="sample",
            kafka_bootstrap=bootstrap,
            kafka_namespace=namespace,
            poll_interval=0.2,
            broker_check_interval=0.5,
            standby_retry=0.2,
        )
    )


def running(relay: OutboxRelay) -> contextlib.AbstractAsyncContextManager[asyncio.Task[None]]:
    return in_background(relay.run())


def names(records: list) -> list[str]:
    return [CloudEvent.from_kafka_value(r.value).data["name"] for r in records]


async def test_an_event_committed_after_a_later_numbered_one_is_published_in_stream_order(
    infrastructure: Infrastructure,
    schema: str,
    pool: asyncpg.Pool,
    store: EventStore,
    kafka_namespace: str,
) -> None:
    bootstrap = infrastructure.kafka_bootstrap
    relay = relay_for(infrastructure, schema, kafka_namespace, bootstrap)
    topic = service_topic(kafka_namespace, "sample")
    async with running(relay), TopicReader(bootstrap, topic) as reader:
        await append(pool, store, "A", 0, "a1")
        # A slow transaction takes the next position for A's second event, and holds it...
        slow = await pool.acquire()
        transaction = slow.transaction()
        await transaction.start()
        [late] = await store.append(
            slow,
            stream_id="A",
            stream_type="thing",
            expected_version=1,
            events=[ThingHappened(name="a2")],
            context=EventContext.new(),
        )
        # ...while a later-numbered event of another stream commits and is published.
        [early] = await append(pool, store, "B", 0, "b1")
        assert late.position < early.position
        assert sorted(names(await reader.wait_for(2))) == ["a1", "b1"]

        await transaction.commit()
        await pool.release(slow)

        records = await reader.wait_for(3)
    assert sorted(names(records)) == ["a1", "a2", "b1"]
    stream_a = [r for r in records if r.key == b"A"]
    assert names(stream_a) == ["a1", "a2"]  # same partition, in stream order
    assert len({r.partition for r in stream_a}) == 1
    async with pool.acquire() as connection:
        assert await connection.fetchval("SELECT count(*) FROM outbox") == 0


async def test_published_events_are_cloudevents_keyed_by_stream_with_trace_context(
    infrastructure: Infrastructure,
    schema: str,
    pool: asyncpg.Pool,
    store: EventStore,
    kafka_namespace: str,
) -> None:
    bootstrap = infrastructure.kafka_bootstrap
    with tracer("test").start_as_current_span("user request") as span:
        [recorded] = await append(pool, store, "stream-42", 0, "traced")
        trace_id = format(span.get_span_context().trace_id, "032x")
    relay = relay_for(infrastructure, schema, kafka_namespace, bootstrap)
    topic = service_topic(kafka_namespace, "sample")
    async with running(relay), TopicReader(bootstrap, topic) as reader:
        [record] = await reader.wait_for(1)

    headers = dict(record.headers)
    assert record.key == b"stream-42"
    assert headers["content-type"] == CONTENT_TYPE.encode()
    assert headers["traceparent"].decode().split("-")[1] == trace_id
    envelope = CloudEvent.from_kafka_value(record.value)
    assert envelope.specversion == "1.0"
    assert envelope.id == str(recorded.event_id)
    assert envelope.source == "/guichet/sample"
    assert envelope.type == "guichet.sample.ThingHappened"
    assert envelope.subject == "stream-42"
    assert envelope.data == {"name": "traced", "size": 0}
    assert envelope.organisationid == str(ORGANISATION)
    assert envelope.actorid == "user-1"
    assert envelope.correlationid == recorded.correlation_id
    assert envelope.traceparent == headers["traceparent"].decode()


async def test_only_one_relay_is_active_and_a_standby_takes_over(
    infrastructure: Infrastructure,
    schema: str,
    pool: asyncpg.Pool,
    store: EventStore,
    kafka_namespace: str,
) -> None:
    bootstrap = infrastructure.kafka_bootstrap
    first = relay_for(infrastructure, schema, kafka_namespace, bootstrap)
    second = relay_for(infrastructure, schema, kafka_namespace, bootstrap)
    topic = service_topic(kafka_namespace, "sample")
    async with TopicReader(bootstrap, topic) as reader, running(first) as first_task:
        await eventually(lambda: asyncio.sleep(0, first.is_leader))
        async with running(second):
            await asyncio.sleep(1)
            assert first.is_leader
            assert not second.is_leader
            await append(pool, store, "s", 0, "before")
            await reader.wait_for(1)

            first_task.cancel()  # the active replica goes away
            await eventually(lambda: asyncio.sleep(0, second.is_leader))
            await append(pool, store, "s", 1, "after")
            records = await reader.wait_for(2)
    assert names(records) == ["before", "after"]


async def test_a_broker_that_lost_its_data_gets_every_event_again(
    infrastructure: Infrastructure,
    schema: str,
    pool: asyncpg.Pool,
    store: EventStore,
    kafka_namespace: str,
    disposable_broker: DisposableBroker,
) -> None:
    bootstrap = disposable_broker.bootstrap
    relay = relay_for(infrastructure, schema, kafka_namespace, bootstrap)
    topic = service_topic(kafka_namespace, "sample")
    losses_before = RELAY_BROKER_DATA_LOSS._value.get()
    async with running(relay):
        for n in range(5):
            await append(pool, store, f"s{n % 2}", n // 2, f"e{n}")
        async with TopicReader(bootstrap, topic) as reader:
            before = await reader.wait_for(5)

        await disposable_broker.restart()  # a memory broker: every message is gone
        await append(pool, store, "s0", 3, "after-restart")

        async with TopicReader(bootstrap, topic) as reader:
            await reader.wait_for(6)
            await asyncio.sleep(1.5)  # anything sent twice or late would show by now
            after = list(reader.records)
    # Exactly the event store, once, and the new event behind the old ones of its stream:
    # the relay checked the broker before publishing into it.
    assert sorted(names(after)) == sorted([*names(before), "after-restart"])
    assert names([r for r in after if r.key == b"s0"]) == ["e0", "e2", "e4", "after-restart"]
    assert RELAY_BROKER_DATA_LOSS._value.get() > losses_before
