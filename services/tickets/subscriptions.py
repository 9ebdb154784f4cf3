"""What tickets does with other services' events: keep its copy of identity's users, and of
fleet's assets and contracts (which machines an intervention may name, what their contracts
cover, and which organisations have support)."""

from __future__ import annotations

import asyncpg

from services.fleet import events as fleet
from services.identity import events as identity
from services.tickets import directory, fleet_copy
from shared.consumer import ReceivedEvent, Subscription
from shared.kafka import service_topic


async def portal_access_granted(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, identity.PortalAccessGranted)
    await directory.save_person(
        connection,
        user_id=event.user_id,
        email=str(event.email),
        first_name=event.first_name,
        last_name=event.last_name,
    )
    await directory.set_membership(connection, event.user_id, event.organisation_id, "active")


async def user_self_registered(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, identity.UserSelfRegistered)
    await directory.save_person(
        connection,
        user_id=event.user_id,
        email=str(event.email),
        first_name=event.first_name,
        last_name=event.last_name,
    )
    await directory.set_membership(connection, event.user_id, event.organisation_id, "pending")


async def staff_account_created(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, identity.StaffAccountCreated)
    await directory.save_person(
        connection,
        user_id=event.user_id,
        email=str(event.email),
        first_name=event.first_name,
        last_name=event.last_name,
        is_staff=True,
    )


async def account_activated(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, identity.AccountActivated)
    await directory.set_membership(connection, event.user_id, event.organisation_id, "active")


async def account_blocked(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, identity.AccountBlocked)
    await directory.set_membership(connection, event.user_id, event.organisation_id, "blocked")


async def personal_information_changed(
    connection: asyncpg.Connection, received: ReceivedEvent
) -> None:
    event = received.event
    assert isinstance(event, identity.PersonalInformationChanged)
    await directory.rename(connection, event.user_id, event.first_name, event.last_name)


async def contract_terms(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, fleet.ContractRegistered | fleet.ContractTermsChanged)
    await fleet_copy.save_terms(
        connection, event.organisation_id, event.terms, received.envelope.time
    )


async def contract_ended(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, fleet.ContractEnded)
    await fleet_copy.end_contract(
        connection, event.contract_id, event.organisation_id, event.number, event.ended_on
    )


async def asset_registered(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    event = received.event
    assert isinstance(event, fleet.AssetRegistered)
    if event.contract is not None:
        await fleet_copy.save_terms(
            connection, event.organisation_id, event.contract, received.envelope.time
        )
    await fleet_copy.save_asset(
        connection,
        asset_id=event.asset_id,
        organisation_id=event.organisation_id,
        model_id=event.model_id,
        model_code=event.model_code,
        model_name=event.model_name,
        manufacturer=event.manufacturer,
        product_reference=event.product_reference,
        serial_number=event.serial_number,
        site_id=event.site_id,
        site_name=event.site_name,
        location=event.location,
        status=event.status.value,
        contract_id=event.contract.contract_id if event.contract else None,
    )


async def asset_changed(connection: asyncpg.Connection, received: ReceivedEvent) -> None:
    """An asset's events, in their stream's order (one partition per asset)."""
    event = received.event
    match event:
        case fleet.AssetRelocated():
            await fleet_copy.update_asset(
                connection,
                event.asset_id,
                site_id=event.site_id,
                site_name=event.site_name,
                location=event.location,
            )
        case fleet.AssetStatusChanged():
            await fleet_copy.update_asset(connection, event.asset_id, status=event.to_status.value)
        case fleet.ContractAttached():
            await fleet_copy.save_terms(
                connection, event.organisation_id, event.contract, received.envelope.time
            )
            await fleet_copy.update_asset(
                connection, event.asset_id, contract_id=event.contract.contract_id
            )
        case fleet.ContractDetached():
            await fleet_copy.update_asset(connection, event.asset_id, contract_id=None)


def subscriptions(kafka_namespace: str) -> list[Subscription]:
    return [
        Subscription(
            topic=service_topic(kafka_namespace, "identity"),
            registry=identity.registry,
            handlers={
                identity.PortalAccessGranted.type: portal_access_granted,
                identity.UserSelfRegistered.type: user_self_registered,
                identity.StaffAccountCreated.type: staff_account_created,
                identity.AccountActivated.type: account_activated,
                identity.AccountBlocked.type: account_blocked,
                identity.PersonalInformationChanged.type: personal_information_changed,
            },
        ),
        Subscription(
            topic=service_topic(kafka_namespace, "fleet"),
            registry=fleet.registry,
            handlers={
                fleet.ContractRegistered.type: contract_terms,
                fleet.ContractTermsChanged.type: contract_terms,
                fleet.ContractEnded.type: contract_ended,
                fleet.AssetRegistered.type: asset_registered,
                fleet.AssetRelocated.type: asset_changed,
                fleet.AssetStatusChanged.type: asset_changed,
                fleet.ContractAttached.type: asset_changed,
                fleet.ContractDetached.type: asset_changed,
            },
        ),
    ]
