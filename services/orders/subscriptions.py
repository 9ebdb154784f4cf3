"""What orders does with other services' events: keep its copy of identity's organisations
and users (the name on a delivery note, the email an order's events carry) and of fleet's
sites, assets, consumables catalogue and meter readings (which machine may order what, for
whom, and how fast it prints). Never a synchronous call to fleet."""

from __future__ import annotations

import asyncpg

from services.fleet import events as fleet
from services.identity import events as identity
from shared.consumer import ReceivedEvent, Subscription
from shared.kafka import service_topic


async def organisation_known(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, identity.OrganisationRegistered | identity.OrganisationDetailsChanged)
    await connection.execute(
        "INSERT INTO organisations (organisation_id, legal_name) VALUES ($1, $2)"
        " ON CONFLICT (organisation_id) DO UPDATE SET legal_name = excluded.legal_name",
        event.organisation_id,
        event.details.legal_name,
    )


async def user_known(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(
        event,
        identity.PortalAccessGranted | identity.UserSelfRegistered | identity.StaffAccountCreated,
    )
    await connection.execute(
        "INSERT INTO users (user_id, email, name) VALUES ($1, $2, $3)"
        " ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, name = excluded.name",
        event.user_id,
        str(event.email),
        f"{event.first_name} {event.last_name}".strip(),
    )


async def user_changed(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    match received.event:
        case identity.EmailChanged() as changed:
            await connection.execute(
                "INSERT INTO users (user_id, email) VALUES ($1, $2)"
                " ON CONFLICT (user_id) DO UPDATE SET email = excluded.email",
                changed.user_id,
                str(changed.email),
            )
        case identity.PersonalInformationChanged() as changed:
            await connection.execute(
                "INSERT INTO users (user_id, name) VALUES ($1, $2)"
                " ON CONFLICT (user_id) DO UPDATE SET name = excluded.name",
                changed.user_id,
                f"{changed.first_name} {changed.last_name}".strip(),
            )


async def site_known(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, fleet.SiteRegistered | fleet.SiteUpdated)
    await connection.execute(
        "INSERT INTO sites (site_id, organisation_id, branch_id) VALUES ($1, $2, $3)"
        " ON CONFLICT (site_id) DO UPDATE SET branch_id = excluded.branch_id",
        event.site_id,
        event.organisation_id,
        event.branch_id,
    )
    if isinstance(event, fleet.SiteUpdated):
        await connection.execute(
            "UPDATE assets SET site_name = $2 WHERE site_id = $1", event.site_id, event.name
        )


async def asset_registered(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, fleet.AssetRegistered)
    await connection.execute(
        "INSERT INTO assets (asset_id, organisation_id, model_id, model_name, serial_number,"
        " site_id, site_name, location, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (asset_id) DO NOTHING",
        event.asset_id,
        event.organisation_id,
        event.model_id,
        event.model_name,
        event.serial_number,
        event.site_id,
        event.site_name,
        event.location,
        event.status.value,
    )


async def asset_changed(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    match received.event:
        case fleet.AssetRelocated() as moved:
            await connection.execute(
                "UPDATE assets SET site_id = $2, site_name = $3, location = $4 WHERE asset_id = $1",
                moved.asset_id,
                moved.site_id,
                moved.site_name,
                moved.location,
            )
        case fleet.AssetStatusChanged() as changed:
            await connection.execute(
                "UPDATE assets SET status = $2 WHERE asset_id = $1",
                changed.asset_id,
                changed.to_status.value,
            )


async def model_renamed(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, fleet.AssetModelChanged)
    await connection.execute(
        "UPDATE assets SET model_name = $2 WHERE model_id = $1", event.model_id, event.name
    )


async def consumable_listed(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, fleet.ConsumableReferenceListed)
    await connection.execute(
        "INSERT INTO consumables (model_id, reference, description, max_quantity_per_order)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (model_id, reference) DO UPDATE SET"
        " description = excluded.description,"
        " max_quantity_per_order = excluded.max_quantity_per_order, withdrawn = false",
        event.model_id,
        event.reference,
        event.description,
        event.max_quantity_per_order,
    )


async def consumable_withdrawn(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, fleet.ConsumableReferenceWithdrawn)
    await connection.execute(
        "UPDATE consumables SET withdrawn = true WHERE model_id = $1 AND reference = $2",
        event.model_id,
        event.reference,
    )


async def reading_recorded(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, fleet.MeterReadingRecorded)
    # Pages printed since the previous reading, every counter summed; the first reading of a
    # machine says nothing about its usage (no previous values).
    pages = sum(
        max(value - event.previous[counter], 0)
        for counter, value in event.counters.items()
        if counter in event.previous
    )
    await connection.execute(
        "INSERT INTO meter_readings (reading_id, asset_id, read_on, pages)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (reading_id) DO NOTHING",
        event.reading_id,
        event.asset_id,
        event.read_on,
        pages if event.previous else None,
    )


def subscriptions(kafka_namespace: str) -> list[Subscription]:
    return [
        Subscription(
            topic=service_topic(kafka_namespace, "identity"),
            registry=identity.registry,
            handlers={
                identity.OrganisationRegistered.type: organisation_known,
                identity.OrganisationDetailsChanged.type: organisation_known,
                identity.PortalAccessGranted.type: user_known,
                identity.UserSelfRegistered.type: user_known,
                identity.StaffAccountCreated.type: user_known,
                identity.EmailChanged.type: user_changed,
                identity.PersonalInformationChanged.type: user_changed,
            },
        ),
        Subscription(
            topic=service_topic(kafka_namespace, "fleet"),
            registry=fleet.registry,
            handlers={
                fleet.SiteRegistered.type: site_known,
                fleet.SiteUpdated.type: site_known,
                fleet.AssetRegistered.type: asset_registered,
                fleet.AssetRelocated.type: asset_changed,
                fleet.AssetStatusChanged.type: asset_changed,
                fleet.AssetModelChanged.type: model_renamed,
                fleet.ConsumableReferenceListed.type: consumable_listed,
                fleet.ConsumableReferenceWithdrawn.type: consumable_withdrawn,
                fleet.MeterReadingRecorded.type: reading_recorded,
            },
        ),
    ]
