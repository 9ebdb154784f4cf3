"""Server-side sessions on a real PostgreSQL: what the cookie opens, what a copy of the table
does not, and token refresh done once however many requests ask at the same moment (refresh
tokens rotate: presenting a used one would end the user's session)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.web.app import MIGRATIONS, SERVICE
from services.web.sessions import SessionEnded, SessionStore, Tokens
from shared.db import create_pool, migrate
from shared.sealing import Sealer, new_sealing_key

LATER = dt.datetime.now(dt.UTC) + dt.timedelta(hours=12)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SessionStore]:
    await migrate(database_url, SERVICE, MIGRATIONS)
    pool = await create_pool(database_url, SERVICE)
    yield SessionStore(pool, Sealer(new_sealing_key()), dt.timedelta(minutes=30))
    await pool.close()


def expired_tokens() -> Tokens:
    return Tokens("access-old", "refresh-old", time.time() - 1)


async def test_the_cookie_opens_its_session_and_the_table_holds_no_usable_secret(
    store: SessionStore,
) -> None:
    session_id, created = await store.create(
        tokens=Tokens("access-secret", "refresh-secret", time.time() + 300), expires_at=LATER
    )
    loaded = await store.load(session_id)
    assert loaded is not None
    assert loaded.tokens == created.tokens
    assert await store.load(session_id + "x") is None
    row = await store.pool.fetchrow("SELECT * FROM sessions")
    assert session_id.encode() not in bytes(row["id_hash"])
    assert "refresh-secret" not in row["sealed_tokens"]
    other_key = SessionStore(store.pool, Sealer(new_sealing_key()), dt.timedelta(minutes=30))
    assert (await other_key.load(session_id)).tokens is None  # type: ignore[union-attr]


async def test_concurrent_requests_refresh_the_tokens_once(store: SessionStore) -> None:
    session_id, _ = await store.create(tokens=expired_tokens(), expires_at=LATER)
    presented: list[str] = []

    async def refresh(refresh_token: str) -> tuple[Tokens, dt.datetime]:
        presented.append(refresh_token)
        await asyncio.sleep(0.05)  # the identity service thinking
        return Tokens("access-new", "refresh-new", time.time() + 300), LATER

    sessions = [await store.load(session_id) for _ in range(5)]
    fresh = await asyncio.gather(*(store.refreshed(s, refresh) for s in sessions if s))
    assert presented == ["refresh-old"]
    assert {tokens.access_token for tokens in fresh} == {"access-new"}


async def test_a_refused_refresh_ends_the_session(store: SessionStore) -> None:
    session_id, session = await store.create(tokens=expired_tokens(), expires_at=LATER)

    async def refused(_refresh_token: str) -> None:
        return None

    with pytest.raises(SessionEnded):
        await store.refreshed(session, refused)
    assert await store.load(session_id) is None


async def test_expired_sessions_open_nothing_and_are_swept(
    store: SessionStore, database_url: str
) -> None:
    session_id, _ = await store.create()
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("UPDATE web.sessions SET expires_at = now() - interval '1 s'")
    finally:
        await connection.close()
    assert await store.load(session_id) is None
    assert await store.delete_expired() == 1
