"""Read models, updated in the same transaction as the events they come from."""

from __future__ import annotations

import asyncpg

from services.tickets import intervention_projections
from services.tickets.domain_types import AuthorSide, TicketStatus
from services.tickets.events import (
    AttachmentRef,
    InternalNoteAdded,
    InterventionEvent,
    TicketAssigned,
    TicketClosed,
    TicketDuplicated,
    TicketMessagePosted,
    TicketOpened,
    TicketResolved,
    TicketResumed,
    TicketStatusChanged,
    TicketSuspended,
)
from shared.eventstore import EventStore, RecordedEvent


async def project(
    connection: asyncpg.Connection, store: EventStore, recorded: list[RecordedEvent]
) -> None:
    for record in recorded:
        await _project_one(connection, store, record)


async def _project_one(
    connection: asyncpg.Connection, store: EventStore, record: RecordedEvent
) -> None:
    event = store.decode(record)
    if isinstance(event, InterventionEvent):
        await intervention_projections.project_one(connection, event, record)
        return
    at = record.recorded_at
    match event:
        case TicketOpened():
            await _opened(connection, event, record)
            return
        case TicketMessagePosted():
            await connection.execute(
                "INSERT INTO ticket_messages"
                " (message_id, ticket_id, author_id, author_side, body, posted_at)"
                " VALUES ($1, $2, $3, $4, $5, $6)",
                event.message_id,
                event.ticket_id,
                event.author_id,
                event.author_side.value,
                event.body,
                at,
            )
            await connection.execute(
                "UPDATE tickets SET public_messages = public_messages + 1,"
                " search_vector = search_vector || ticket_text_vector($2),"
                " first_response_at = CASE WHEN $3 THEN coalesce(first_response_at, $4)"
                " ELSE first_response_at END"
                " WHERE ticket_id = $1",
                event.ticket_id,
                event.body,
                event.author_side is AuthorSide.AGENT,
                at,
            )
            # What one writes, one has read.
            await connection.execute(
                "INSERT INTO ticket_reads (user_id, ticket_id, messages_read)"
                " SELECT $1, ticket_id, public_messages FROM tickets WHERE ticket_id = $2"
                " ON CONFLICT (user_id, ticket_id)"
                " DO UPDATE SET messages_read = excluded.messages_read",
                event.author_id,
                event.ticket_id,
            )
            await _attach(
                connection,
                event.ticket_id,
                event.attachments,
                internal=False,
                owner=event.message_id,
            )
        case InternalNoteAdded():
            await connection.execute(
                "INSERT INTO internal_notes (note_id, ticket_id, author_id, body, added_at)"
                " VALUES ($1, $2, $3, $4, $5)",
                event.note_id,
                event.ticket_id,
                event.author_id,
                event.body,
                at,
            )
            await _attach(
                connection, event.ticket_id, event.attachments, internal=True, owner=event.note_id
            )
        case TicketAssigned():
            await connection.execute(
                "UPDATE tickets SET department = $2, assignee_id = $3 WHERE ticket_id = $1",
                event.ticket_id,
                event.department.value,
                event.assignee_id,
            )
        case TicketStatusChanged():
            await _status(connection, event.ticket_id, event.to_status, at)
        case TicketSuspended():
            await _status(connection, event.ticket_id, TicketStatus.WAITING_FOR_CUSTOMER, at)
            await connection.execute(
                "UPDATE tickets SET suspension_reason = $2 WHERE ticket_id = $1",
                event.ticket_id,
                event.reason,
            )
        case TicketResumed():
            await _status(connection, event.ticket_id, TicketStatus.IN_PROGRESS, at)
        case TicketResolved():
            await _status(connection, event.ticket_id, TicketStatus.RESOLVED, at)
        case TicketClosed():
            await _status(connection, event.ticket_id, TicketStatus.CLOSED, at)
        case TicketDuplicated():
            await connection.execute(
                "UPDATE tickets SET duplicate_id = $2 WHERE ticket_id = $1",
                event.ticket_id,
                event.duplicate_id,
            )
    await connection.execute(
        "UPDATE tickets SET updated_at = $2, version = $3 WHERE ticket_id = $1",
        event.ticket_id,  # type: ignore[attr-defined]  # every ticket event names its ticket
        at,
        record.version,
    )


async def _opened(
    connection: asyncpg.Connection, event: TicketOpened, record: RecordedEvent
) -> None:
    await connection.execute(
        "INSERT INTO tickets (ticket_id, organisation_id, number, title, description,"
        " priority, status, requester_email, opened_at, updated_at, version, requester_id,"
        " opened_by, ticket_type, department, contract_id, product, site, product_version,"
        " nature, severity, wished_delivery_date, reference_1, reference_2,"
        " first_response_due_at, resolution_due_at, duplicate_of, asset_id, search_vector)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13, $14, $15, $16,"
        " $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27,"
        " setweight(ticket_text_vector($4), 'A') || ticket_text_vector($5))",
        event.ticket_id,
        record.organisation_id,
        event.number,
        event.title,
        event.description,
        event.priority.value,
        TicketStatus.NEW.value,
        event.requester_email,
        record.recorded_at,
        record.version,
        event.requester_id,
        event.opened_by,
        event.ticket_type.value,
        event.department.value,
        event.contract_id,
        event.product,
        event.site,
        event.product_version,
        event.nature.value if event.nature else None,
        event.severity.value if event.severity else None,
        event.wished_delivery_date,
        event.reference_1,
        event.reference_2,
        event.first_response_due_at,
        event.resolution_due_at,
        event.duplicate_of,
        event.asset_id,
    )
    await _attach(connection, event.ticket_id, event.attachments, internal=False)


async def _status(
    connection: asyncpg.Connection, ticket_id: object, status: TicketStatus, at: object
) -> None:
    """The status, and the timeline's first "received", first intervention (an agent taking
    the ticket on counts as one), last "resolved" and "closed"."""
    await connection.execute(
        "UPDATE tickets SET status = $2,"
        " received_at = CASE WHEN $2 = 'open' THEN coalesce(received_at, $3) ELSE received_at END,"
        " first_response_at = CASE WHEN $2 = 'in_progress' THEN coalesce(first_response_at, $3)"
        " ELSE first_response_at END,"
        " resolved_at = CASE WHEN $2 = 'resolved' THEN $3 ELSE resolved_at END,"
        " closed_at = CASE WHEN $2 = 'closed' THEN $3 ELSE closed_at END,"
        " suspension_reason = CASE WHEN $2 = 'waiting_for_customer' THEN suspension_reason"
        " END"
        " WHERE ticket_id = $1",
        ticket_id,
        status.value,
        at,
    )


async def _attach(
    connection: asyncpg.Connection,
    ticket_id: object,
    attachments: tuple[AttachmentRef, ...],
    *,
    internal: bool,
    owner: object = None,
) -> None:
    if attachments:
        await connection.execute(
            "UPDATE attachments SET ticket_id = $1, internal = $2, message_id = $4"
            " WHERE attachment_id = ANY($3::uuid[])",
            ticket_id,
            internal,
            [ref.attachment_id for ref in attachments],
            owner,
        )
