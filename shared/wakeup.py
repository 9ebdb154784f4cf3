"""Wake a worker when PostgreSQL notifies a channel, and at a polling interval in any case.

The poll is the safety net: a notification can be lost (a dropped connection, a NOTIFY
outside our control), but then work is only delayed by one interval, never forgotten.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg


class Wakeup:
    def __init__(self, channel: str, poll_interval: float) -> None:
        self.channel = channel
        self.poll_interval = poll_interval
        self._event = asyncio.Event()

    async def listen(self, connection: asyncpg.Connection) -> None:
        await connection.add_listener(self.channel, self._on_notification)

    async def unlisten(self, connection: asyncpg.Connection) -> None:
        await connection.remove_listener(self.channel, self._on_notification)

    def _on_notification(self, *_: object) -> None:
        self._event.set()

    async def wait(self, timeout: float | None = None) -> bool:
        """Until a notification or the poll interval; True when it was a notification.

        A notification that arrived while the caller was working makes this return at once,
        so nothing committed in between waits for the next poll.
        """
        # asyncio.timeout, not wait_for: on Python 3.11, wait_for swallows a cancellation
        # that comes as the notification does, and the worker then ignores its shutdown.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout or self.poll_interval):
                await self._event.wait()
        notified = self._event.is_set()
        self._event.clear()
        return notified


def outbox_channel(schema: str) -> str:
    return f"{schema}_outbox"
