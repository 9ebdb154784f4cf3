from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from conftest import Infrastructure
from shared.db import create_pool, migrate
from shared.eventstore import EventStore
from shared.tests.sample import registry
from shared.wakeup import outbox_channel


@pytest.fixture
async def schema(infrastructure: Infrastructure) -> str:
    """A fresh schema with the kit's tables, in the session database."""
    name = f"kit_{uuid.uuid4().hex[:10]}"
    await migrate(infrastructure.database_url(), name, None)
    return name


@pytest.fixture
async def pool(infrastructure: Infrastructure, schema: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(infrastructure.database_url(), schema, min_size=1, max_size=60)
    yield pool
    await pool.close()


@pytest.fixture
def store(schema: str) -> EventStore:
    return EventStore(registry, outbox_channel(schema))
