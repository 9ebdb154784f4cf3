"""The daily reminder of meter readings due: one `MeterReadingsDue` per organisation with
assets due within the notice period and not reminded yet for that due date.

Idempotent whenever and however often it runs: an asset is named once per due date (the
`reading_reminders` rows the event's projection writes, in the same transaction), so a second
run the same day, another replica's run, or a run after a crash names nothing twice. Two runs
racing on one organisation: one appends, the other's append conflicts and is skipped.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict

import asyncpg
import structlog

from services.fleet import projections
from services.fleet.domain.readings_due import to_remind
from services.fleet.events import DueAsset, MeterReadingsDue
from services.fleet.handlers.common import unit_of_work
from shared.eventstore import ConcurrencyConflict, EventContext, EventStore

log = structlog.get_logger(__name__)
STREAM_TYPE = "meter_readings_due"

_CANDIDATES = """
SELECT s.asset_id, s.organisation_id, s.serial_number, s.model_name, s.site_name, s.location,
       s.due_on, s.last_read_on, s.last_read_by
FROM reading_schedule s
WHERE s.due_on <= $1::date + $2::int
  AND (s.contract_ends_on IS NULL OR s.contract_ends_on >= $1)
  AND NOT EXISTS (
      SELECT FROM reading_reminders r WHERE r.asset_id = s.asset_id AND r.due_on = s.due_on
  )
"""


def stream_id(organisation_id: uuid.UUID, day: dt.date) -> str:
    return f"meter-readings-due:{organisation_id}:{day.isoformat()}"


async def remind_due_readings(
    pool: asyncpg.Pool, store: EventStore, *, today: dt.date, notice_days: int
) -> int:
    """Append today's reminders; the number of organisations reminded."""
    async with pool.acquire() as connection:
        rows = await connection.fetch(_CANDIDATES, today, notice_days)
    by_organisation: dict[uuid.UUID, list[DueAsset]] = defaultdict(list)
    for row in rows:
        by_organisation[row["organisation_id"]].append(
            DueAsset.model_validate({k: v for k, v in dict(row).items() if k != "organisation_id"})
        )
    reminded = 0
    for organisation_id, candidates in sorted(by_organisation.items()):
        try:
            reminded += await _remind(pool, store, organisation_id, candidates, today, notice_days)
        except ConcurrencyConflict:
            log.info("another run reminded this organisation", organisation_id=str(organisation_id))
    return reminded


async def _remind(
    pool: asyncpg.Pool,
    store: EventStore,
    organisation_id: uuid.UUID,
    candidates: list[DueAsset],
    today: dt.date,
    notice_days: int,
) -> int:
    async with unit_of_work(pool) as connection:
        already = {
            (row["asset_id"], row["due_on"])
            for row in await connection.fetch(
                "SELECT asset_id, due_on FROM reading_reminders WHERE asset_id = ANY($1)",
                [asset.asset_id for asset in candidates],
            )
        }
        assets = to_remind(candidates, today=today, notice_days=notice_days, reminded=already)
        if not assets:
            return 0
        stream = stream_id(organisation_id, today)
        _events, version = await store.load(connection, stream)
        recorded = await store.append(
            connection,
            stream_id=stream,
            stream_type=STREAM_TYPE,
            expected_version=version,
            events=[
                MeterReadingsDue(organisation_id=organisation_id, reminded_on=today, assets=assets)
            ],
            context=EventContext.new(organisation_id=organisation_id, actor_id="fleet"),
        )
        await projections.project(connection, store, recorded)
    return 1
