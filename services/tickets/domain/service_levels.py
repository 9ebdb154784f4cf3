"""Due times: how soon the vendor promises a first response and a resolution, per priority.

Counted in wall-clock hours from the opening (business hours and holidays are not modelled
yet). The due times are computed once, when the ticket is opened, and recorded in its
TicketOpened: changing the vendor's settings later does not move existing promises.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from services.tickets.domain_types import Priority


@dataclass(frozen=True)
class ServiceLevels:
    first_response_hours: Mapping[Priority, float]
    resolution_hours: Mapping[Priority, float]

    def due_times(
        self, opened_at: dt.datetime, priority: Priority
    ) -> tuple[dt.datetime, dt.datetime]:
        return (
            opened_at + dt.timedelta(hours=self.first_response_hours[priority]),
            opened_at + dt.timedelta(hours=self.resolution_hours[priority]),
        )


def overdue(due_at: dt.datetime | None, done_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Late: done after the due time, or not done and the due time has passed."""
    if due_at is None:
        return False
    return (done_at or now) > due_at
