"""The unit of work of identity's commands: load an aggregate, decide, append with the
expected version and project, in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import asyncpg

from services.identity import projections
from services.identity.events import OneTimeLink
from services.identity.settings import IdentitySettings
from shared.aggregate import Aggregate
from shared.events import DomainEvent
from shared.eventstore import EventContext, EventStore
from shared.sealing import Sealer

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class Identity:
    """What identity's handlers need besides the database."""

    store: EventStore
    sealer: Sealer
    invitation_lifetime: dt.timedelta
    reset_lifetime: dt.timedelta
    email_confirmation_lifetime: dt.timedelta

    @classmethod
    def configured(cls, settings: IdentitySettings, store: EventStore) -> Identity:
        return cls(
            store=store,
            sealer=Sealer(settings.sealing_key),
            invitation_lifetime=dt.timedelta(hours=settings.invitation_hours),
            reset_lifetime=dt.timedelta(minutes=settings.reset_minutes),
            email_confirmation_lifetime=dt.timedelta(hours=settings.email_confirmation_hours),
        )


async def load(
    connection: asyncpg.Connection, store: EventStore, kind: type[A], aggregate_id: uuid.UUID
) -> A:
    events, _ = await store.load(connection, str(aggregate_id))
    return kind.from_history(aggregate_id, events)


async def save(
    connection: asyncpg.Connection,
    store: EventStore,
    aggregate: Aggregate,
    aggregate_id: uuid.UUID,
    events: list[DomainEvent],
    context: EventContext,
) -> None:
    if not events:
        return
    recorded = await store.append(
        connection,
        stream_id=str(aggregate_id),
        stream_type=aggregate.STREAM_TYPE,
        expected_version=aggregate.version,
        events=events,
        context=context,
    )
    await projections.project(connection, store, recorded)


async def execute(
    pool: asyncpg.Pool,
    store: EventStore,
    kind: type[A],
    aggregate_id: uuid.UUID,
    decide: Callable[[A], list[DomainEvent]],
    context: EventContext,
) -> None:
    """The unit of work of a command that touches one aggregate and nothing else."""
    async with pool.acquire() as connection, connection.transaction():
        aggregate = await load(connection, store, kind, aggregate_id)
        await save(connection, store, aggregate, aggregate_id, decide(aggregate), context)


def sealed_link(
    sealer: Sealer, user_id: uuid.UUID, token: str, expires_at: dt.datetime
) -> OneTimeLink:
    return OneTimeLink(sealed_token=sealer.seal(token, subject=str(user_id)), expires_at=expires_at)


def as_user(context: EventContext, user_id: uuid.UUID) -> EventContext:
    return EventContext(
        correlation_id=context.correlation_id,
        organisation_id=context.organisation_id,
        actor_id=context.actor_id or str(user_id),
        causation_id=context.causation_id,
    )
