"""What tickets does with other services' events: keep its copy of identity's users."""

from __future__ import annotations

import asyncpg

from services.identity import events as identity
from services.tickets import directory
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
        )
    ]
