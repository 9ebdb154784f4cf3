"""One ticket: its page (conversation, timeline), what a user has read, and staff's notes."""

from __future__ import annotations

import uuid
from collections import defaultdict

import asyncpg

from services.tickets.queries.listing import FROM, SUMMARY_COLUMNS
from services.tickets.queries.views import (
    AttachmentView,
    MessageView,
    NoteView,
    TicketView,
    Timeline,
)

Connection = asyncpg.Pool | asyncpg.Connection


async def ticket(
    connection: Connection,
    ticket_id: uuid.UUID,
    *,
    reader: uuid.UUID,
    organisation_id: uuid.UUID | None,
) -> TicketView | None:
    """The ticket if the reader may see it: in `organisation_id`, or anywhere when None."""
    row = await connection.fetchrow(
        f"SELECT {SUMMARY_COLUMNS}, t.description, t.requester_email, t.opened_by,"
        " t.contract_id, t.product_version, t.wished_delivery_date, t.suspension_reason,"
        f" t.duplicate_of, t.duplicate_id, t.asset_id {FROM}"
        " WHERE t.ticket_id = $2 AND ($3::uuid IS NULL OR t.organisation_id = $3)",
        reader,
        ticket_id,
        organisation_id,
    )
    if row is None:
        return None
    attachments = await _attachments(connection, ticket_id, include_internal=False)
    return TicketView.model_validate({**dict(row), "attachments": attachments.get(None, [])})


async def organisation_of(connection: Connection, ticket_id: uuid.UUID) -> uuid.UUID | None:
    return await connection.fetchval(
        "SELECT organisation_id FROM tickets WHERE ticket_id = $1", ticket_id
    )


async def _attachments(
    connection: Connection, ticket_id: uuid.UUID, *, include_internal: bool
) -> dict[uuid.UUID | None, list[AttachmentView]]:
    """The ticket's attachments by the message (or note) they came with; None: the opening."""
    rows = await connection.fetch(
        "SELECT attachment_id, filename, content_type, size, message_id FROM attachments"
        " WHERE ticket_id = $1 AND state = 'stored' AND ($2 OR NOT internal)"
        " ORDER BY uploaded_at, attachment_id",
        ticket_id,
        include_internal,
    )
    by_owner: dict[uuid.UUID | None, list[AttachmentView]] = defaultdict(list)
    for row in rows:
        by_owner[row["message_id"]].append(
            AttachmentView(
                attachment_id=row["attachment_id"],
                filename=row["filename"],
                content_type=row["content_type"],
                size=row["size"],
                download_url=f"/tickets/{ticket_id}/attachments/{row['attachment_id']}",
            )
        )
    return by_owner


async def conversation(connection: Connection, ticket_id: uuid.UUID) -> list[MessageView]:
    """Customer and agent messages, oldest first. Internal notes are in another table."""
    attachments = await _attachments(connection, ticket_id, include_internal=False)
    rows = await connection.fetch(
        "SELECT m.message_id, m.author_id, m.author_side, m.body, m.posted_at,"
        " nullif(trim(p.first_name || ' ' || p.last_name), '') AS author_name"
        " FROM ticket_messages m LEFT JOIN people p ON p.user_id = m.author_id"
        " WHERE m.ticket_id = $1 ORDER BY m.posted_at, m.message_id",
        ticket_id,
    )
    return [
        MessageView.model_validate(
            {**dict(row), "attachments": attachments.get(row["message_id"], [])}
        )
        for row in rows
    ]


async def internal_notes(connection: Connection, ticket_id: uuid.UUID) -> list[NoteView]:
    """For vendor staff only."""
    attachments = await _attachments(connection, ticket_id, include_internal=True)
    rows = await connection.fetch(
        "SELECT n.note_id, n.author_id, n.body, n.added_at,"
        " nullif(trim(p.first_name || ' ' || p.last_name), '') AS author_name"
        " FROM internal_notes n LEFT JOIN people p ON p.user_id = n.author_id"
        " WHERE n.ticket_id = $1 ORDER BY n.added_at, n.note_id",
        ticket_id,
    )
    return [
        NoteView.model_validate({**dict(row), "attachments": attachments.get(row["note_id"], [])})
        for row in rows
    ]


async def timeline(connection: Connection, ticket_id: uuid.UUID) -> Timeline:
    row = await connection.fetchrow(
        "SELECT opened_at AS submitted_at, received_at,"
        " first_response_at AS first_intervention_at, resolved_at, closed_at"
        " FROM tickets WHERE ticket_id = $1",
        ticket_id,
    )
    assert row is not None
    return Timeline.model_validate(dict(row))


async def mark_read(connection: Connection, ticket_id: uuid.UUID, reader: uuid.UUID) -> None:
    await connection.execute(
        "INSERT INTO ticket_reads (user_id, ticket_id, messages_read)"
        " SELECT $1, ticket_id, public_messages FROM tickets WHERE ticket_id = $2"
        " ON CONFLICT (user_id, ticket_id) DO UPDATE SET messages_read = excluded.messages_read",
        reader,
        ticket_id,
    )
