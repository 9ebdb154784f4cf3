"""Which assets a daily reminder names (when each is due is the `reading_schedule` view's
answer, migrations/001_fleet.sql)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from services.fleet.events import DueAsset


def to_remind(
    candidates: Iterable[DueAsset],
    *,
    today: dt.date,
    notice_days: int,
    reminded: set[tuple[uuid.UUID, dt.date]],
) -> tuple[DueAsset, ...]:
    """The assets a reminder sent today names: due within `notice_days`, and not reminded
    yet for that due date (`reminded` holds (asset id, due date) pairs), in a stable order."""
    horizon = today + dt.timedelta(days=notice_days)
    chosen = [
        asset
        for asset in candidates
        if asset.due_on <= horizon and (asset.asset_id, asset.due_on) not in reminded
    ]
    return tuple(sorted(chosen, key=lambda asset: (asset.due_on, asset.serial_number)))
