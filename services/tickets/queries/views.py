"""What the API answers with."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel

from services.tickets.domain_types import (
    AuthorSide,
    Department,
    Nature,
    Priority,
    Severity,
    TicketStatus,
    TicketType,
)


class TicketSummary(BaseModel):
    """A row of the list (and of the export)."""

    ticket_id: uuid.UUID
    organisation_id: uuid.UUID
    number: int
    title: str
    status: TicketStatus
    priority: Priority
    ticket_type: TicketType
    department: Department
    nature: Nature | None
    severity: Severity | None
    requester_id: uuid.UUID | None
    requester: str
    assignee_id: uuid.UUID | None
    product: str | None
    site: str | None
    reference_1: str | None
    reference_2: str | None
    opened_at: dt.datetime
    updated_at: dt.datetime
    first_response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    first_response_overdue: bool
    resolution_overdue: bool
    unread_messages: int


class TicketList(BaseModel):
    tickets: list[TicketSummary]
    next_cursor: str | None
    previous_cursor: str | None = None
    """Pass it as `cursor` for the page before this one; None on the first page."""
    unread_tickets: int
    """Tickets of the whole filtered list (not only this page) with messages unread."""


class AttachmentView(BaseModel):
    attachment_id: uuid.UUID
    filename: str
    content_type: str
    size: int
    download_url: str


class TicketView(TicketSummary):
    description: str
    requester_email: str
    opened_by: uuid.UUID | None
    contract_id: uuid.UUID | None
    product_version: str | None
    wished_delivery_date: dt.date | None
    suspension_reason: str | None
    duplicate_of: uuid.UUID | None
    duplicate_id: uuid.UUID | None
    attachments: list[AttachmentView]


class MessageView(BaseModel):
    message_id: uuid.UUID
    author_id: uuid.UUID
    author_name: str | None
    author_side: AuthorSide
    body: str
    posted_at: dt.datetime
    attachments: list[AttachmentView]


class NoteView(BaseModel):
    note_id: uuid.UUID
    author_id: uuid.UUID
    author_name: str | None
    body: str
    added_at: dt.datetime
    attachments: list[AttachmentView]


class Timeline(BaseModel):
    submitted_at: dt.datetime
    received_at: dt.datetime | None
    first_intervention_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None


class TicketPage(BaseModel):
    """Everything the ticket page shows a customer: never an internal note."""

    ticket: TicketView
    conversation: list[MessageView]
    timeline: Timeline
    allowed_statuses: list[TicketStatus]


class AgentTicketPage(TicketPage):
    internal_notes: list[NoteView]
