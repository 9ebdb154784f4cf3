"""The fleet service's one-off commands: `python -m services.fleet remind-readings` runs the
reminder of readings due once (for a cron job, where the service's own loop is not wanted)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from services.fleet.api.common import today
from services.fleet.events import registry
from services.fleet.handlers.reminders import remind_due_readings
from services.fleet.settings import FleetSettings
from shared.db import create_pool
from shared.eventstore import EventStore
from shared.wakeup import outbox_channel


async def remind_readings(settings: FleetSettings) -> None:
    pool = await create_pool(settings.database_url, "fleet", min_size=1, max_size=2)
    try:
        reminded = await remind_due_readings(
            pool,
            EventStore(registry, outbox_channel("fleet")),
            today=today(),
            notice_days=settings.reading_notice_days,
        )
    finally:
        await pool.close()
    print(f"{reminded} organisation(s) reminded")


COMMANDS: dict[str, Callable[[Any], Coroutine[Any, Any, None]]] = {
    "remind-readings": remind_readings,
}
