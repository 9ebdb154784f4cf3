"""Idempotent consumers of other services' events.

For each message: the handler's effects and an inbox row (consumer, event id) commit in one
transaction, so a redelivered event finds its row and is skipped. Offsets are committed
only after the effects. A handler that keeps failing is retried with backoff a bounded
number of times, then the message goes to the consumer's dead-letter topic, is counted,
and the partition moves on. Partitions are handled in order, one message at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import ConsumerRecord
from opentelemetry import trace
from pydantic import ValidationError

from shared.cloudevents import CloudEvent
from shared.events import DomainEvent, EventRegistry, UnknownEventType
from shared.eventstore import EventContext
from shared.kafka import dead_letter_topic, ensure_topics, new_producer
from shared.metrics import CONSUMED, CONSUMER_LAG, DEAD_LETTERS
from shared.telemetry import context_from_headers, tracer

log = structlog.get_logger(__name__)
_tracer = tracer(__name__)


@dataclass(frozen=True)
class ReceivedEvent:
    """An event from another service: its envelope, its decoded data, and the context that
    events appended in reaction to it should carry."""

    envelope: CloudEvent
    event: DomainEvent

    @property
    def organisation_id(self) -> uuid.UUID | None:
        return uuid.UUID(self.envelope.organisationid) if self.envelope.organisationid else None

    def reaction_context(self) -> EventContext:
        return EventContext(
            correlation_id=self.envelope.correlationid,
            organisation_id=self.organisation_id,
            actor_id=self.envelope.actorid,
            causation_id=self.envelope.id,
        )


Handler = Callable[[asyncpg.Connection, ReceivedEvent], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """The events of one topic a consumer reacts to, decoded with the producer's registry."""

    topic: str
    registry: EventRegistry
    handlers: dict[str, Handler] = field(default_factory=dict)


@dataclass(frozen=True)
class ConsumerConfig:
    name: str
    """The consumer group: every replica of a subscribing service shares it."""
    kafka_bootstrap: str
    partitions: int = 3
    replication_factor: int = 1
    fetch_max_wait_ms: int = 50
    session_timeout_ms: int = 10_000
    """Kafka's: a replica silent this long loses its partitions. Tansu holds every join for
    half of it, so it is also how long a consumer takes to start there."""
    max_attempts: int = 5
    backoff_initial: float = 0.2
    backoff_max: float = 5.0
    batch_max_records: int = 200


# aiokafka's default (it takes the session timeout's, 10 s, when given none).
REBALANCE_TIMEOUT_MS = 10_000

# Failures of the infrastructure, not of the handler: retried for as long as they last
# (with capped backoff), never counted towards dead-lettering. A database fail-over must
# delay events, not send them to the dead-letter topic.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
)


class PoisonMessage(Exception):
    """A message that no retry can fix: not a CloudEvent, or data its schema rejects."""


class ConsumerRunner:
    def __init__(
        self, config: ConsumerConfig, pool: asyncpg.Pool, subscriptions: list[Subscription]
    ) -> None:
        self.config = config
        self.pool = pool
        self.subscriptions = {s.topic: s for s in subscriptions}
        self._processing = asyncio.Lock()
        self._processed: dict[TopicPartition, int] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self.assigned = asyncio.Event()

    async def run(self) -> None:
        """Consume until cancelled, surviving lost connections to Kafka."""
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("consumer stopped; restarting", consumer=self.config.name)
            await asyncio.sleep(2)

    async def _consume(self) -> None:
        topics = list(self.subscriptions)
        await ensure_topics(
            self.config.kafka_bootstrap,
            dict.fromkeys([*topics, dead_letter_topic(self.config.name)], self.config.partitions),
            self.config.replication_factor,
        )
        # Offsets of a previous run are not ours to commit any more: after a restart the
        # group may have given those partitions to another replica.
        self._processed.clear()
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.config.kafka_bootstrap,
            group_id=self.config.name,
            client_id=f"{self.config.name}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=10_000,
            fetch_max_wait_ms=self.config.fetch_max_wait_ms,
            session_timeout_ms=self.config.session_timeout_ms,
            heartbeat_interval_ms=self.config.session_timeout_ms // 3,
            # Independent of the session: the time a member has to finish its batch and
            # rejoin once a rebalance starts.
            rebalance_timeout_ms=REBALANCE_TIMEOUT_MS,
        )
        producer = new_producer(self.config.kafka_bootstrap, f"{self.config.name}-dead-letters")
        consumer.subscribe(topics, listener=_CommitOnRevoke(self))
        try:
            # Started inside the try: a consumer cancelled while joining must still leave
            # the group, or its heartbeats keep partitions assigned to nobody.
            await producer.start()
            await consumer.start()
            self._consumer, self._producer = consumer, producer
            while True:
                batch = await consumer.getmany(
                    timeout_ms=1000, max_records=self.config.batch_max_records
                )
                async with self._processing:
                    for partition, records in batch.items():
                        for record in records:
                            await self._handle(record)
                            self._processed[partition] = record.offset + 1
                    await self._commit()
                await self._report_lag(consumer)
        finally:
            self._consumer = self._producer = None
            await consumer.stop()
            await producer.stop()

    async def _commit(self, only: set[TopicPartition] | None = None) -> None:
        if self._consumer is None:
            return
        offsets = {
            tp: offset for tp, offset in self._processed.items() if only is None or tp in only
        }
        if offsets:
            await self._consumer.commit(offsets)
            for tp in offsets:
                self._processed.pop(tp, None)

    async def _report_lag(self, consumer: AIOKafkaConsumer) -> None:
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            lag = highwater - await consumer.position(tp)
            CONSUMER_LAG.labels(self.config.name, tp.topic, str(tp.partition)).set(max(lag, 0))

    async def _handle(self, record: ConsumerRecord) -> None:
        subscription = self.subscriptions[record.topic]
        headers = {key: value.decode(errors="replace") for key, value in record.headers}
        with _tracer.start_as_current_span(
            f"consume {record.topic}",
            context=context_from_headers(headers),
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": record.topic,
                "messaging.kafka.message.offset": record.offset,
                "messaging.consumer.group.name": self.config.name,
            },
        ):
            try:
                received = self._decode(subscription, record)
            except PoisonMessage as error:
                await self._dead_letter(record, str(error))
                return
            if received is None:
                CONSUMED.labels(self.config.name, "ignored").inc()
                return
            await self._handle_with_retries(subscription, received, record)

    def _decode(self, subscription: Subscription, record: ConsumerRecord) -> ReceivedEvent | None:
        try:
            envelope = CloudEvent.from_kafka_value(record.value or b"")
        except ValidationError as error:
            raise PoisonMessage(f"not a CloudEvent: {_reason(error)}") from None
        if envelope.type not in subscription.handlers:
            return None
        try:
            event = subscription.registry.decode(envelope.type, envelope.dataversion, envelope.data)
        except ValidationError as error:
            raise PoisonMessage(
                f"{envelope.type} v{envelope.dataversion}: {_reason(error)}"
            ) from None
        except UnknownEventType as error:
            raise PoisonMessage(
                f"{envelope.type} v{envelope.dataversion}: {_reason(error)}"
            ) from None
        return ReceivedEvent(envelope=envelope, event=event)

    async def _handle_with_retries(
        self, subscription: Subscription, received: ReceivedEvent, record: ConsumerRecord
    ) -> None:
        handler = subscription.handlers[received.envelope.type]
        bound = log.bind(
            consumer=self.config.name,
            event_id=received.envelope.id,
            event_type=received.envelope.type,
            correlation_id=received.envelope.correlationid,
        )
        delay = self.config.backoff_initial
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self.pool.acquire() as connection, connection.transaction():
                    first_time = await connection.fetchval(
                        "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2)"
                        " ON CONFLICT DO NOTHING RETURNING true",
                        self.config.name,
                        uuid.UUID(received.envelope.id),
                    )
                    if not first_time:
                        CONSUMED.labels(self.config.name, "duplicate").inc()
                        bound.debug("duplicate skipped")
                        return
                    await handler(connection, received)
            except TRANSIENT_ERRORS as error:
                attempt -= 1  # the infrastructure failed, not the handler: wait for it
                CONSUMED.labels(self.config.name, "retried").inc()
                bound.warning("infrastructure unavailable; will retry", error=type(error).__name__)
                await asyncio.sleep(delay * random.uniform(0.5, 1.5))  # noqa: S311
                delay = min(delay * 2, self.config.backoff_max)
            except Exception as error:
                if attempt >= self.config.max_attempts:
                    bound.error(
                        "handler failed; giving up",
                        attempts=attempt,
                        reason=_reason(error),
                        exc_info=not isinstance(error, ValidationError),
                    )
                    await self._dead_letter(record, _reason(error))
                    return
                CONSUMED.labels(self.config.name, "retried").inc()
                bound.warning(
                    "handler failed; will retry", attempt=attempt, error=type(error).__name__
                )
                await asyncio.sleep(delay * random.uniform(0.5, 1.5))  # noqa: S311 - jitter, not crypto
                delay = min(delay * 2, self.config.backoff_max)
            else:
                CONSUMED.labels(self.config.name, "handled").inc()
                bound.info("event handled")
                return

    async def _dead_letter(self, record: ConsumerRecord, reason: str) -> None:
        assert self._producer is not None
        headers = [
            *record.headers,
            ("dead-letter-reason", reason.encode()[:1000]),
            ("dead-letter-consumer", self.config.name.encode()),
            ("original-topic", record.topic.encode()),
            ("original-partition", str(record.partition).encode()),
            ("original-offset", str(record.offset).encode()),
        ]
        await self._producer.send_and_wait(
            dead_letter_topic(self.config.name), value=record.value, key=record.key, headers=headers
        )
        DEAD_LETTERS.labels(self.config.name).inc()
        CONSUMED.labels(self.config.name, "dead_lettered").inc()
        log.error(
            "message dead-lettered",
            consumer=self.config.name,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason,
        )


class _CommitOnRevoke(ConsumerRebalanceListener):
    """Before partitions move to another member, finish the batch in hand and commit it, so
    the new owner starts where this one stopped (the inbox covers any overlap)."""

    def __init__(self, runner: ConsumerRunner) -> None:
        self.runner = runner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.runner._processing:
            try:
                await self.runner._commit(set(revoked))
            except Exception as error:
                log.warning("commit on revoke failed", error=repr(error))
            for tp in revoked:
                self.runner._processed.pop(tp, None)
                # The new owner reports this partition's lag; a stale value here would add up.
                with contextlib.suppress(KeyError):
                    CONSUMER_LAG.remove(self.runner.config.name, tp.topic, str(tp.partition))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.runner.assigned.set()
        log.info("partitions assigned", consumer=self.runner.config.name, partitions=len(assigned))


def _reason(error: Exception) -> str:
    """Why a message failed, for logs and dead-letter headers. For invalid data: which
    fields and how, never their values, which may be personal data."""
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or '(root)'}: {problem['msg']}"
            for problem in error.errors(include_input=False, include_url=False)
        )[:500]
    return f"{type(error).__name__}: {error}"[:500]
