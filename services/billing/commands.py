"""The billing service's one-off commands (`python -m services.billing mark-overdue`), for a
deployment that prefers a CronJob to the service's own hourly check."""

from __future__ import annotations

import datetime as dt

from services.billing import handlers
from services.billing.app import SERVICE
from services.billing.events import registry
from services.billing.settings import BillingSettings
from shared.db import create_pool
from shared.eventstore import EventStore
from shared.wakeup import outbox_channel


async def mark_overdue(settings: BillingSettings) -> None:
    pool = await create_pool(settings.database_url, SERVICE, min_size=1, max_size=2)
    try:
        today = dt.datetime.now(settings.zone).date()
        store = EventStore(registry, outbox_channel(SERVICE))
        count = await handlers.mark_overdue(pool, store, today)
        print(f"{count} invoice(s) marked overdue on {today.isoformat()}")
    finally:
        await pool.close()
