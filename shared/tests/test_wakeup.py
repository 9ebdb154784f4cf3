"""A worker waiting for work wakes at a notification, and stops when it is told to stop."""

from __future__ import annotations

import asyncio

import pytest

from shared.wakeup import Wakeup


async def test_a_notification_wakes_the_waiter_before_the_poll_interval() -> None:
    wakeup = Wakeup("things_outbox", poll_interval=60)
    waiting = asyncio.create_task(wakeup.wait())
    await asyncio.sleep(0)
    wakeup._on_notification()
    assert await asyncio.wait_for(waiting, 5) is True


async def test_a_shutdown_that_comes_with_a_notification_still_stops_the_waiter() -> None:
    # The race that kept every service's relay running for the whole shutdown grace period:
    # the stop and a NOTIFY arrive in the same turn of the event loop.
    wakeup = Wakeup("things_outbox", poll_interval=60)
    waiting = asyncio.create_task(wakeup.wait())
    await asyncio.sleep(0)
    wakeup._on_notification()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(waiting, 5)
