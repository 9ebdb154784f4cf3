"""Commands on organisations and their contacts, by the back office and customer admins."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from services.identity import queries
from services.identity.domain import (
    Contact,
    Organisation,
    RuleBroken,
)
from services.identity.domain_types import (
    ContactDetails,
    Language,
    OrganisationDetails,
    OrganisationStatus,
    Referents,
)
from services.identity.handlers.unit_of_work import (
    execute,
    load,
    save,
)
from shared.eventstore import EventContext, EventStore

# --- organisations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationFacts:
    status: OrganisationStatus
    language: Language
    currency: str
    details: OrganisationDetails


async def register_organisation(
    pool: asyncpg.Pool,
    store: EventStore,
    code: str,
    facts: OrganisationFacts,
    context: EventContext,
) -> uuid.UUID:
    organisation_id = uuid.uuid4()
    async with pool.acquire() as connection, connection.transaction():
        if await queries.organisation_code_taken(connection, code):
            raise RuleBroken(f"the code {code} is already used by another organisation")
        organisation = Organisation(organisation_id)
        events = organisation.register(
            code=code,
            status=facts.status,
            language=facts.language,
            currency=facts.currency,
            details=facts.details,
        )
        await save(connection, store, organisation, organisation_id, events, context)
    return organisation_id


async def change_organisation(
    pool: asyncpg.Pool,
    store: EventStore,
    organisation_id: uuid.UUID,
    facts: OrganisationFacts,
    context: EventContext,
) -> None:
    await execute(
        pool,
        store,
        Organisation,
        organisation_id,
        lambda organisation: organisation.change_details(
            status=facts.status,
            language=facts.language,
            currency=facts.currency,
            details=facts.details,
        ),
        context,
    )


async def request_organisation_change(
    pool: asyncpg.Pool,
    store: EventStore,
    organisation_id: uuid.UUID,
    requested_by: uuid.UUID,
    details: OrganisationDetails | None,
    referents: Referents | None,
    context: EventContext,
) -> uuid.UUID:
    request_id = uuid.uuid4()
    async with pool.acquire() as connection, connection.transaction():
        organisation = await load(connection, store, Organisation, organisation_id)
        active = await queries.active_member_ids(connection, organisation_id)
        events = organisation.request_change(
            request_id=request_id,
            requested_by=requested_by,
            details=details,
            referents=referents,
            active_members=active,
        )
        await save(connection, store, organisation, organisation_id, events, context)
    return request_id


async def decide_organisation_change(
    pool: asyncpg.Pool,
    store: EventStore,
    request_id: uuid.UUID,
    decided_by: uuid.UUID,
    rejection_reason: str | None,
    context: EventContext,
) -> None:
    """Approve the change request (no reason) or reject it (with the reason)."""
    async with pool.acquire() as connection, connection.transaction():
        organisation_id = await queries.change_request_organisation(connection, request_id)
        if organisation_id is None:
            raise LookupError("no such change request")
        organisation = await load(connection, store, Organisation, organisation_id)
        if rejection_reason is None:
            active = await queries.active_member_ids(connection, organisation_id)
            events = organisation.approve_change(
                request_id=request_id, decided_by=decided_by, active_members=active
            )
        else:
            events = organisation.reject_change(
                request_id=request_id, decided_by=decided_by, reason=rejection_reason
            )
        await save(connection, store, organisation, organisation_id, events, context)


# --- contacts --------------------------------------------------------------------------------


async def add_contact(
    pool: asyncpg.Pool,
    store: EventStore,
    organisation_id: uuid.UUID,
    details: ContactDetails,
    context: EventContext,
) -> uuid.UUID:
    contact_id = uuid.uuid4()
    async with pool.acquire() as connection, connection.transaction():
        if not await queries.organisation_exists(connection, organisation_id):
            raise LookupError("no such organisation")
        contact = Contact(contact_id)
        events = contact.add(organisation_id=organisation_id, details=details)
        await save(connection, store, contact, contact_id, events, context)
    return contact_id


async def update_contact(
    pool: asyncpg.Pool,
    store: EventStore,
    contact_id: uuid.UUID,
    details: ContactDetails,
    context: EventContext,
) -> None:
    await execute(
        pool, store, Contact, contact_id, lambda contact: contact.update(details=details), context
    )
