"""What every fleet command shares: loading an aggregate, appending what it decided with the
version it was loaded at, projecting, and the refusals that name a field."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import asyncpg

from services.fleet import projections
from shared.aggregate import Aggregate
from shared.events import DomainEvent
from shared.eventstore import EventContext, EventStore, RecordedEvent

AggregateT = TypeVar("AggregateT", bound=Aggregate)


class InvalidReference(Exception):
    """A field names something that is not there for this caller (answered 422 on `field`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class AlreadyTaken(Exception):
    """A value that must be unique is another's already (answered 409 on `field`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@asynccontextmanager
async def unit_of_work(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    async with pool.acquire() as connection, connection.transaction():
        yield connection


async def load(
    connection: asyncpg.Connection, store: EventStore, kind: type[AggregateT], id_: uuid.UUID
) -> AggregateT:
    events, _version = await store.load(connection, str(id_))
    return kind.from_history(id_, events)


def decide(
    aggregate: Aggregate, *commands: Callable[[], list[DomainEvent]]
) -> tuple[list[DomainEvent], int]:
    """Run commands one after the other, each seeing what the previous ones decided; the
    events, and the version to append them at (the aggregate's before the first)."""
    expected = aggregate.version
    decided: list[DomainEvent] = []
    for command in commands:
        for event in command():
            aggregate.apply(event)
            decided.append(event)
    return decided, expected


async def save(
    connection: asyncpg.Connection,
    store: EventStore,
    aggregate: Aggregate,
    events: list[DomainEvent],
    context: EventContext,
    *,
    expected_version: int | None = None,
) -> list[RecordedEvent]:
    """Append `events` to the aggregate's stream at the version it was loaded at (or
    `expected_version`), and project them, in the caller's transaction."""
    id_field = dataclasses.fields(aggregate)[0].name  # type: ignore[arg-type]
    organisations = {getattr(event, "organisation_id", None) for event in events}
    if context.organisation_id is None and len(organisations) == 1:
        # An ERP import acts for many organisations: each event's envelope names its own.
        context = dataclasses.replace(context, organisation_id=organisations.pop())
    recorded = await store.append(
        connection,
        stream_id=str(getattr(aggregate, id_field)),
        stream_type=aggregate.STREAM_TYPE,
        expected_version=aggregate.version if expected_version is None else expected_version,
        events=events,
        context=context,
    )
    await projections.project(connection, store, recorded)
    return recorded


async def organisation_exists(connection: asyncpg.Connection, organisation_id: uuid.UUID) -> None:
    known = await connection.fetchval(
        "SELECT true FROM organisations WHERE organisation_id = $1", organisation_id
    )
    if not known:
        raise InvalidReference(
            "organisation_id",
            "No such organisation is known to the fleet service (a new one is known within"
            " seconds).",
        )


async def organisation_by_code(connection: asyncpg.Connection, code: str) -> uuid.UUID | None:
    return await connection.fetchval(
        "SELECT organisation_id FROM organisations WHERE lower(code) = lower($1)", code
    )
