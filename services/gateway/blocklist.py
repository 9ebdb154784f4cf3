"""Blocked memberships, in memory on every replica, so a blocked user is refused at once.

The table is written by the consumer of identity's events (`subscriptions.py`), which
notifies `BLOCKED_CHANNEL` in the same transaction. Every replica listens and reloads the
whole set on a notification (it is small: blocked users, not users), and reloads it at an
interval anyway, should a notification be lost.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import structlog

from shared.db import connect
from shared.wakeup import Wakeup

log = structlog.get_logger(__name__)
BLOCKED_CHANNEL = "gateway_blocked"
SCHEMA = "gateway"


class BlockedMemberships:
    def __init__(self) -> None:
        self._blocked: frozenset[tuple[str, uuid.UUID]] = frozenset()
        self.reloads = 0

    def is_blocked(self, user_id: str, organisation_id: uuid.UUID | None) -> bool:
        return organisation_id is not None and (user_id, organisation_id) in self._blocked

    async def reload(self, connection: asyncpg.Connection | asyncpg.Pool) -> None:
        rows = await connection.fetch("SELECT user_id, organisation_id FROM blocked_memberships")
        # Swapped in whole: a request sees the old set or the new one, never half of one.
        self._blocked = frozenset((row["user_id"], row["organisation_id"]) for row in rows)
        self.reloads += 1

    async def follow(self, database_url: str, interval: float) -> None:
        """Reload on every notification and every `interval`, until cancelled; survives a
        lost database connection."""
        while True:
            wakeup = Wakeup(BLOCKED_CHANNEL, interval)
            connection: asyncpg.Connection | None = None
            try:
                connection = await connect(database_url, SCHEMA)
                await wakeup.listen(connection)
                while True:
                    # Reload after listening: a block committed meanwhile is not missed.
                    await self.reload(connection)
                    await wakeup.wait()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("blocked users: reload failed; retrying", error=type(error).__name__)
                await asyncio.sleep(1.0)
            finally:
                if connection is not None:
                    await connection.close()
