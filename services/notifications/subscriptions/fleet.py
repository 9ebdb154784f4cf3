"""Emails promised by the fleet service's events: the confirmation of a meter reading a
customer entered (flow 15), and the reminder of readings due. Readings staff entered are
confirmed to nobody: the customer did not send them."""

from __future__ import annotations

from urllib.parse import urljoin

import asyncpg

from services.fleet import events as fleet_events
from services.fleet.domain_types import Counter, ReadingSource
from services.notifications.mailer import Mailer
from shared.consumer import ReceivedEvent, Subscription
from shared.kafka import service_topic


class FleetEmails:
    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer
        self.portal_url = str(mailer.settings.public_url)

    async def reading_recorded(
        self, connection: asyncpg.Connection, received: ReceivedEvent
    ) -> None:
        event = received.event
        assert isinstance(event, fleet_events.MeterReadingRecorded)
        if event.source is not ReadingSource.CUSTOMER or event.recorded_by is None:
            return
        await self.mailer.send_to_user(
            connection,
            event_id=received.envelope.id,
            user_id=event.recorded_by,
            template="meter_reading_recorded",
            values={
                "serial_number": event.serial_number,
                "model_name": event.model_name,
                "site_name": event.site_name,
                "read_on": event.read_on.isoformat(),
                "counters": [
                    {
                        "counter": counter.value,
                        "value": value,
                        "usage": value - event.previous[counter]
                        if counter in event.previous
                        else None,
                    }
                    # In the catalogue's order (the stored event's object keys are not ordered).
                    for counter, value in sorted(
                        event.counters.items(), key=lambda item: list(Counter).index(item[0])
                    )
                ],
                "asset_url": urljoin(self.portal_url, f"fleet/assets/{event.asset_id}"),
            },
            organisation_id=event.organisation_id,
        )

    async def readings_due(self, connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        """To whoever entered the assets' last readings; else to the organisation's technical
        referent (its admins when it named none)."""
        event = received.event
        assert isinstance(event, fleet_events.MeterReadingsDue)
        values = {
            "assets": [
                {
                    "serial_number": asset.serial_number,
                    "model_name": asset.model_name,
                    "site_name": asset.site_name,
                    "location": asset.location,
                    "due_on": asset.due_on.isoformat(),
                    "overdue": asset.due_on < event.reminded_on,
                }
                for asset in event.assets
            ],
            "readings_url": urljoin(self.portal_url, "meter-readings"),
        }
        readers = sorted({a.last_read_by for a in event.assets if a.last_read_by is not None})
        if not readers:
            await self.mailer.send_to_referents(
                connection,
                event_id=received.envelope.id,
                organisation_id=event.organisation_id,
                kind="technical",
                template="meter_reading_reminder",
                values=values,
            )
            return
        for user_id in readers:
            await self.mailer.send_to_user(
                connection,
                event_id=received.envelope.id,
                user_id=user_id,
                template="meter_reading_reminder",
                values=values,
                organisation_id=event.organisation_id,
            )


def fleet_subscription(mailer: Mailer) -> Subscription:
    emails = FleetEmails(mailer)
    return Subscription(
        topic=service_topic(mailer.settings.kafka_namespace, "fleet"),
        registry=fleet_events.registry,
        handlers={
            fleet_events.MeterReadingRecorded.type: emails.reading_recorded,
            fleet_events.MeterReadingsDue.type: emails.readings_due,
        },
    )
