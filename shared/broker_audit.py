"""Does the broker still hold what it acknowledged?

For each partition, the relay knows the offset just past the last event Kafka acknowledged.
A fetch's answer carries the partition's high watermark: lower than that offset, or no such
partition at all, means the broker lost acknowledged events (a fresh in-memory broker after
a restart, a deleted and recreated topic).

A fetch is used rather than ListOffsets on purpose: Tansu answers ListOffsets with the base
offset of the last record batch, which under-reports the end of a partition. The fetch
starts at the partition's beginning (valid under retention too) and asks for one byte,
so the broker answers with one record batch: never starting inside a batch, which Tansu
does not answer.
"""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import OffsetOutOfRangeError

AUDIT_TIMEOUT = 2.0


def new_audit_consumer(bootstrap: str, client_id: str) -> AIOKafkaConsumer:
    # No group and no automatic reset: an offset out of range must surface as an error.
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="none",
        fetch_max_wait_ms=100,
        max_partition_fetch_bytes=1,  # a broker still returns one whole batch
    )


async def partitions_behind(
    consumer: AIOKafkaConsumer, topic: str, expected_next: dict[int, int]
) -> dict[int, int | None]:
    """Partitions whose broker-side end is before `expected_next` (partition → high
    watermark, None when the offset is out of range). Empty when nothing was lost."""
    wanted = {TopicPartition(topic, p): n for p, n in expected_next.items() if n > 0}
    if not wanted:
        return {}
    consumer.assign(list(wanted))
    await consumer.seek_to_beginning(*wanted)
    try:
        behind, unanswered = await _read_back(consumer, wanted)
    finally:
        # No background fetching between audits: the next one seeks again anyway.
        consumer.pause(*wanted)
    if unanswered:
        # No answer at all for these: do the topic and these partitions still exist? (A
        # fresh broker may have recreated the topic, by auto-creation, with fewer partitions.)
        existing: set[int] = set()
        if topic in await asyncio.wait_for(consumer.topics(), AUDIT_TIMEOUT):
            existing = consumer.partitions_for_topic(topic) or set()
        behind.update({tp.partition: None for tp in unanswered if tp.partition not in existing})
    return behind


async def _read_back(
    consumer: AIOKafkaConsumer, wanted: dict[TopicPartition, int]
) -> tuple[dict[int, int | None], set[TopicPartition]]:
    """The partitions found behind, and those that did not answer in time."""
    deadline = time.monotonic() + AUDIT_TIMEOUT
    answered: set[TopicPartition] = set()
    while len(answered) < len(wanted) and time.monotonic() < deadline:
        try:
            await consumer.getmany(*wanted, timeout_ms=500, max_records=len(wanted))
        except OffsetOutOfRangeError as error:
            return dict.fromkeys((tp.partition for tp in error.args[0]), None), set()
        answered.update(tp for tp in wanted if consumer.highwater(tp) is not None)
    behind: dict[int, int | None] = {
        tp.partition: highwater
        for tp, next_offset in wanted.items()
        if (highwater := consumer.highwater(tp)) is not None and highwater < next_offset
    }
    return behind, set(wanted) - answered
