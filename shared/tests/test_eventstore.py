"""Appending with an expected version: a lost race is a conflict, never a gap or overwrite."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from shared.eventstore import ConcurrencyConflict, EventContext, EventStore
from shared.tests.sample import ThingHappened, ThingMeasured
from shared.tests.sample import append_things as append


async def test_appended_events_load_back_in_order_with_their_version(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    recorded = await append(pool, store, "s-1", 0, "a", "b")
    await append(pool, store, "s-1", 2, "c")
    assert [r.version for r in recorded] == [1, 2]
    async with pool.acquire() as connection:
        events, version = await store.load(connection, "s-1")
    assert [e.name for e in events] == ["a", "b", "c"]
    assert version == 3


async def test_fifty_concurrent_appends_at_the_same_version_let_exactly_one_win(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await append(pool, store, "race", 0, "first")

    async def contender(n: int) -> str:
        try:
            await append(pool, store, "race", 1, f"contender-{n}")
        except ConcurrencyConflict:
            return "conflict"
        return "won"

    outcomes = await asyncio.gather(*(contender(n) for n in range(50)))

    assert outcomes.count("won") == 1
    assert outcomes.count("conflict") == 49
    async with pool.acquire() as connection:
        versions = await connection.fetch(
            "SELECT version FROM events WHERE stream_id = 'race' ORDER BY version"
        )
        queued = await connection.fetchval("SELECT count(*) FROM outbox")
    assert [row["version"] for row in versions] == [1, 2]  # no gap, nothing overwritten
    assert queued == 2  # the losers queued nothing for publication


async def test_an_expected_version_ahead_of_the_stream_is_a_conflict_not_a_gap(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await append(pool, store, "ahead", 0, "a")
    with pytest.raises(ConcurrencyConflict):
        await append(pool, store, "ahead", 5, "b")
    with pytest.raises(ConcurrencyConflict):
        await append(pool, store, "ahead", 0, "c")  # creating a stream that exists


async def test_a_conflict_leaves_the_callers_transaction_usable(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await append(pool, store, "busy", 0, "a")
    async with pool.acquire() as connection, connection.transaction():
        with pytest.raises(ConcurrencyConflict):
            await store.append(
                connection,
                stream_id="busy",
                stream_type="thing",
                expected_version=0,
                events=[ThingHappened(name="late")],
                context=EventContext.new(),
            )
        assert await connection.fetchval("SELECT count(*) FROM events") == 1


async def test_appending_outside_a_transaction_is_refused(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    async with pool.acquire() as connection:
        with pytest.raises(RuntimeError, match="inside a transaction"):
            await store.append(
                connection,
                stream_id="x",
                stream_type="thing",
                expected_version=0,
                events=[ThingHappened(name="a")],
                context=EventContext.new(),
            )


async def test_read_all_returns_every_stream_in_commit_position_order(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    await append(pool, store, "one", 0, "1a")
    await append(pool, store, "two", 0, "2a")
    await append(pool, store, "one", 1, "1b")
    async with pool.acquire() as connection:
        everything = await store.read_all(connection)
        after_first = await store.read_all(connection, after=everything[0].position)
    assert [(r.stream_id, r.data["name"]) for r in everything] == [
        ("one", "1a"),
        ("two", "2a"),
        ("one", "1b"),
    ]
    assert after_first == everything[1:]


async def test_events_stored_at_an_old_version_load_as_the_current_class(
    pool: asyncpg.Pool, store: EventStore
) -> None:
    async with pool.acquire() as connection:
        await connection.execute(
            "INSERT INTO events (event_id, stream_id, stream_type, version, type,"
            " schema_version, data, correlation_id)"
            " VALUES ($1, 'old', 'thing', 1, $2, 1, $3::jsonb, 'c')",
            uuid.uuid4(),
            ThingMeasured.type,
            {"label": "legacy"},
        )
        events, _ = await store.load(connection, "old")
    assert events == [ThingMeasured(name="legacy", size=0)]
