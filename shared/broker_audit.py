"""Does the broker still hold what it acknowledged?

For each partition, the relay knows the offset just past the last event Kafka acknowledged.
Reading the record before it answers the question exactly: if the fetch says the offset is
out of range, or the partition's high watermark is lower, the broker lost acknowledged
events (a fresh in-memory broker after a restart, a deleted and recreated topic).

A fetch is used rather than ListOffsets on purpose: Tansu answers ListOffsets with the base
offset of the last record batch, which under-reports the end of a partition.
"""

from __future__ import annotations

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
    for tp, next_offset in wanted.items():
        consumer.seek(tp, next_offset - 1)
    try:
        behind = await _read_back(consumer, wanted)
        if behind is None:  # no answer at all: is the topic even there?
            gone = topic not in await consumer.topics()
            return dict.fromkeys((tp.partition for tp in wanted), None) if gone else {}
        return behind
    finally:
        # No background fetching between audits: the next one seeks again anyway.
        consumer.pause(*wanted)


async def _read_back(
    consumer: AIOKafkaConsumer, wanted: dict[TopicPartition, int]
) -> dict[int, int | None] | None:
    """The partitions behind, or None when no partition answered in time."""
    seen: set[TopicPartition] = set()
    deadline = time.monotonic() + AUDIT_TIMEOUT
    while len(seen) < len(wanted) and time.monotonic() < deadline:
        try:
            batch = await consumer.getmany(*wanted, timeout_ms=500, max_records=len(wanted))
        except OffsetOutOfRangeError as error:
            return dict.fromkeys((tp.partition for tp in error.args[0]), None)
        seen.update(batch)
        seen.update(tp for tp in wanted if consumer.highwater(tp) is not None)
    if not seen:
        return None
    return {
        tp.partition: highwater
        for tp, next_offset in wanted.items()
        if (highwater := consumer.highwater(tp)) is not None and highwater < next_offset
    }
