"""Kafka naming and plumbing shared by the relay and the consumers."""

from __future__ import annotations

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

log = structlog.get_logger(__name__)


def service_topic(namespace: str, service: str) -> str:
    """Each service publishes its events to its own topic."""
    return f"{namespace}.{service}"


def consumer_group(namespace: str, service: str) -> str:
    """One consumer group per subscribing service: its replicas share the partitions."""
    return f"{namespace}.{service}"


def dead_letter_topic(group: str) -> str:
    """Messages a consumer group gave up on, with the reason in headers."""
    return f"{group}.dead-letter"


def event_source(service: str) -> str:
    """The CloudEvents `source` of a service's events."""
    return f"/guichet/{service}"


def new_producer(bootstrap: str, client_id: str) -> AIOKafkaProducer:
    # acks="all": an event is only marked sent once every in-sync replica has it. The
    # idempotent producer is left off on purpose: Tansu does not implement InitProducerId,
    # and the relay's ordering comes from sending one batch at a time, not from the producer.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        linger_ms=0,
        max_batch_size=1 << 20,
        request_timeout_ms=15_000,
    )


async def ensure_topics(bootstrap: str, topics: dict[str, int], replication_factor: int) -> None:
    """Create the topics that don't exist yet (name → partitions); leave existing ones be."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, num_partitions=partitions, replication_factor=replication_factor)
            for name, partitions in topics.items()
            if name not in existing
        ]
        if missing:
            response = await admin.create_topics(missing)
            for topic, code, *message in response.topic_errors:
                # Another replica may create one between our look and our request.
                if code not in (0, TopicAlreadyExistsError.errno):
                    raise for_code(code)(f"creating topic {topic}: {message[0] if message else ''}")
            log.info("topics created", topics=[topic.name for topic in missing])
    finally:
        await admin.close()
