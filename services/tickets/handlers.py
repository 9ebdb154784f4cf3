"""One function per command: load, decide, append with the expected version, project, in
one transaction. Checks against local copies (colleagues, contracts, uploads) happen in the
same transaction, so nothing is half-applied."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg

from services.tickets import directory, fleet_copy, projections
from services.tickets.attachments import uploads
from services.tickets.domain import NewTicket, Ticket
from services.tickets.domain.service_levels import ServiceLevels
from services.tickets.domain_types import (
    AuthorSide,
    Department,
    Nature,
    Priority,
    Severity,
    TicketStatus,
    TicketType,
)
from services.tickets.events import AttachmentRef
from shared.aggregate import Aggregate
from shared.events import DomainEvent
from shared.eventstore import EventContext, EventStore, RecordedEvent


class InvalidReference(Exception):
    """A field names something that is not there for this user (answered 422 on `field`)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


class SupportContractRequired(Exception):
    """The vendor opens support only to organisations with a support contract in force."""


@dataclass(frozen=True)
class OpenTicket:
    organisation_id: uuid.UUID
    opened_by: uuid.UUID
    title: str
    description: str
    priority: Priority
    ticket_type: TicketType = TicketType.INCIDENT
    department: Department = Department.TECHNICAL
    requester_email: str | None = None
    on_behalf_of: uuid.UUID | None = None
    contract_id: uuid.UUID | None = None
    product: str | None = None
    site: str | None = None
    product_version: str | None = None
    nature: Nature | None = None
    severity: Severity | None = None
    wished_delivery_date: dt.date | None = None
    reference_1: str | None = None
    reference_2: str | None = None
    asset_id: uuid.UUID | None = None
    attachment_ids: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True)
class SupportRules:
    service_levels: ServiceLevels
    support_contract_required: bool


async def claim_uploads(
    connection: asyncpg.Connection, attachment_ids: list[uuid.UUID], uploader: uuid.UUID
) -> tuple[AttachmentRef, ...]:
    """The uploader's uploads, claimed for what this transaction attaches them to."""
    refs = await uploads.claim(connection, attachment_ids, uploader)
    if refs is None:
        raise InvalidReference(
            "attachment_ids", "Upload the files first; each can be attached once, by you."
        )
    return refs


async def append(
    connection: asyncpg.Connection,
    store: EventStore,
    stream_id: uuid.UUID,
    aggregate: Aggregate,
    events: list[DomainEvent],
    context: EventContext,
) -> list[RecordedEvent]:
    """The aggregate's new events, expecting the version it was loaded at, and the read
    models they change (a ticket's or an intervention's), in the caller's transaction."""
    recorded = await store.append(
        connection,
        stream_id=str(stream_id),
        stream_type=aggregate.STREAM_TYPE,
        expected_version=aggregate.version,
        events=events,
        context=context,
    )
    await projections.project(connection, store, recorded)
    return recorded


async def _append(
    connection: asyncpg.Connection,
    store: EventStore,
    ticket: Ticket,
    events: list[DomainEvent],
    context: EventContext,
) -> list[RecordedEvent]:
    return await append(connection, store, ticket.ticket_id, ticket, events, context)


async def _load(connection: asyncpg.Connection, store: EventStore, ticket_id: uuid.UUID) -> Ticket:
    events, _version = await store.load(connection, str(ticket_id))
    return Ticket.from_history(ticket_id, events)


async def open_ticket(
    pool: asyncpg.Pool,
    store: EventStore,
    rules: SupportRules,
    command: OpenTicket,
    context: EventContext,
) -> uuid.UUID:
    ticket = Ticket(ticket_id=uuid.uuid4())
    async with pool.acquire() as connection, connection.transaction():
        new = await _new_ticket(connection, rules, command)
        await _append(connection, store, ticket, ticket.open(new), context)
    return ticket.ticket_id


async def _new_ticket(
    connection: asyncpg.Connection,
    rules: SupportRules,
    command: OpenTicket,
    duplicate_of: uuid.UUID | None = None,
) -> NewTicket:
    organisation = command.organisation_id
    requester_id = command.opened_by
    requester = await directory.find_person(connection, command.opened_by)
    if command.on_behalf_of is not None and command.on_behalf_of != command.opened_by:
        requester = await directory.active_colleague(connection, command.on_behalf_of, organisation)
        if requester is None:
            raise InvalidReference(
                "on_behalf_of", "This person is not an active user of your organisation."
            )
        requester_id = requester.user_id
    email = command.requester_email or (requester.email if requester else None)
    if email is None:
        raise InvalidReference(
            "requester_email", "Your address is not known to support yet: give one."
        )
    if command.contract_id is not None and not await directory.is_contract_of(
        connection, organisation, command.contract_id
    ):
        raise InvalidReference("contract_id", "This is not a contract of your organisation.")
    if command.asset_id is not None and not await fleet_copy.is_asset_of(
        connection, organisation, command.asset_id
    ):
        raise InvalidReference("asset_id", "This is not a machine of your organisation.")
    if rules.support_contract_required and not await directory.has_support_contract(
        connection, organisation, command.contract_id
    ):
        raise SupportContractRequired
    attachments = await claim_uploads(connection, command.attachment_ids, command.opened_by)
    number = await connection.fetchval("SELECT nextval('ticket_number')")
    first_response_due, resolution_due = rules.service_levels.due_times(
        dt.datetime.now(dt.UTC), command.priority
    )
    return NewTicket(
        number=number,
        organisation_id=organisation,
        title=command.title,
        description=command.description,
        priority=command.priority,
        requester_id=requester_id,
        requester_email=email,
        opened_by=command.opened_by,
        ticket_type=command.ticket_type,
        department=command.department,
        contract_id=command.contract_id,
        product=command.product,
        site=command.site,
        product_version=command.product_version,
        nature=command.nature,
        severity=command.severity,
        wished_delivery_date=command.wished_delivery_date,
        reference_1=command.reference_1,
        reference_2=command.reference_2,
        attachments=attachments,
        first_response_due_at=first_response_due,
        resolution_due_at=resolution_due,
        duplicate_of=duplicate_of,
        asset_id=command.asset_id,
    )


async def decide(
    pool: asyncpg.Pool,
    store: EventStore,
    ticket_id: uuid.UUID,
    context: EventContext,
    command: Callable[[Ticket], list[DomainEvent]],
) -> list[RecordedEvent]:
    """Run a command that needs nothing but the ticket itself."""
    async with pool.acquire() as connection, connection.transaction():
        ticket = await _load(connection, store, ticket_id)
        return await _append(connection, store, ticket, command(ticket), context)


async def post_message(
    pool: asyncpg.Pool,
    store: EventStore,
    ticket_id: uuid.UUID,
    context: EventContext,
    *,
    author_id: uuid.UUID,
    side: AuthorSide,
    body: str,
    attachment_ids: list[uuid.UUID],
    resume: bool = False,
) -> uuid.UUID:
    """A message of the conversation (with `resume`: the information a waiting ticket asked
    for, which puts it back in progress)."""
    message_id = uuid.uuid4()
    async with pool.acquire() as connection, connection.transaction():
        ticket = await _load(connection, store, ticket_id)
        attachments = await claim_uploads(connection, attachment_ids, author_id)
        if resume:
            events = ticket.resume(
                message_id=message_id, author_id=author_id, body=body, attachments=attachments
            )
        else:
            events = ticket.post_message(
                message_id=message_id,
                author_id=author_id,
                side=side,
                body=body,
                attachments=attachments,
            )
        await _append(connection, store, ticket, events, context)
    return message_id


async def add_internal_note(
    pool: asyncpg.Pool,
    store: EventStore,
    ticket_id: uuid.UUID,
    context: EventContext,
    *,
    author_id: uuid.UUID,
    body: str,
    attachment_ids: list[uuid.UUID],
) -> uuid.UUID:
    note_id = uuid.uuid4()
    async with pool.acquire() as connection, connection.transaction():
        ticket = await _load(connection, store, ticket_id)
        attachments = await claim_uploads(connection, attachment_ids, author_id)
        events = ticket.add_internal_note(
            note_id=note_id, author_id=author_id, body=body, attachments=attachments
        )
        await _append(connection, store, ticket, events, context)
    return note_id


async def assign(
    pool: asyncpg.Pool,
    store: EventStore,
    ticket_id: uuid.UUID,
    context: EventContext,
    *,
    department: Department,
    assignee_id: uuid.UUID | None,
    by: uuid.UUID,
) -> None:
    async with pool.acquire() as connection, connection.transaction():
        if assignee_id is not None:
            person = await directory.find_person(connection, assignee_id)
            if person is None or not person.is_staff:
                raise InvalidReference("assignee_id", "This is not a member of the vendor's staff.")
        ticket = await _load(connection, store, ticket_id)
        events = ticket.assign(department=department, assignee_id=assignee_id, by=by)
        await _append(connection, store, ticket, events, context)


async def change_status(
    pool: asyncpg.Pool,
    store: EventStore,
    ticket_id: uuid.UUID,
    context: EventContext,
    *,
    target: TicketStatus,
    by: uuid.UUID,
    side: AuthorSide,
    reason: str | None = None,
) -> None:
    await decide(
        pool,
        store,
        ticket_id,
        context,
        lambda ticket: ticket.change_status(target, by=by, side=side, reason=reason),
    )


async def duplicate(
    pool: asyncpg.Pool,
    store: EventStore,
    rules: SupportRules,
    original_id: uuid.UUID,
    context: EventContext,
    *,
    by: uuid.UUID,
) -> uuid.UUID:
    """Start a closed ticket again: a new ticket with the original's request, linked to it,
    and the original marked as duplicated; both streams in one transaction."""
    copy = Ticket(ticket_id=uuid.uuid4())
    async with pool.acquire() as connection, connection.transaction():
        original = await _load(connection, store, original_id)
        marked = original.mark_duplicated(duplicate_id=copy.ticket_id, by=by)
        row = await connection.fetchrow("SELECT * FROM tickets WHERE ticket_id = $1", original_id)
        assert row is not None
        command = OpenTicket(
            organisation_id=row["organisation_id"],
            opened_by=by,
            title=row["title"],
            description=row["description"],
            priority=Priority(row["priority"]),
            ticket_type=TicketType(row["ticket_type"]),
            department=Department(row["department"]),
            requester_email=row["requester_email"] if row["requester_id"] == by else None,
            contract_id=row["contract_id"],
            product=row["product"],
            site=row["site"],
            product_version=row["product_version"],
            nature=Nature(row["nature"]) if row["nature"] else None,
            severity=Severity(row["severity"]) if row["severity"] else None,
            reference_1=row["reference_1"],
            reference_2=row["reference_2"],
            asset_id=row["asset_id"],
        )
        new = await _new_ticket(connection, rules, command, duplicate_of=original_id)
        await _append(connection, store, original, marked, context)
        await _append(connection, store, copy, copy.open(new), context)
    return copy.ticket_id
