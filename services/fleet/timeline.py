"""An asset's history: one entry per event that concerns it, newest first.

Fleet writes its own asset events here as they are appended. Other services' events join
the same history through a subscription (tickets' `InterventionRequested`, orders'
`OrderPlaced`…): the subscription's handler calls `add_entry` with the CloudEvent's id, in
the consumer's transaction, so a redelivered event adds nothing. `kind` is the event's type
without its prefix (`InterventionRequested`), `source` the publishing service, `summary` the
few fields a page shows (a number, a status, a title); `staff_only` hides an entry from
customers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg


async def add_entry(
    connection: asyncpg.Connection,
    *,
    event_id: uuid.UUID,
    asset_id: uuid.UUID,
    organisation_id: uuid.UUID,
    occurred_at: dt.datetime,
    source: str,
    kind: str,
    summary: dict[str, Any],
    staff_only: bool = False,
) -> bool:
    """Add one entry to an asset's history; False when this event's entry of this asset is
    already there."""
    added = await connection.fetchval(
        "INSERT INTO asset_timeline (event_id, asset_id, organisation_id, occurred_at, source,"
        " kind, summary, staff_only) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (asset_id, event_id) DO NOTHING RETURNING true",
        event_id,
        asset_id,
        organisation_id,
        occurred_at,
        source,
        kind,
        summary,
        staff_only,
    )
    return bool(added)
