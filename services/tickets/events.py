"""The tickets service's published events: a public contract (see docs/events.md).

Everything in these events but `InternalNoteAdded` may be shown to the ticket's organisation;
an internal note's text and attachments appear in no other event.

Interventions on a machine are their own aggregate (docs/decisions/0012): every one of their
events names its organisation, its number and its asset, so a subscriber (fleet's asset
history, notifications) needs no lookup.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, EmailStr

from services.tickets.domain_types import (
    AuthorSide,
    Department,
    InterventionStatus,
    Nature,
    Priority,
    Severity,
    TicketStatus,
    TicketType,
)
from shared.events import DomainEvent, EventRegistry

registry = EventRegistry(source="tickets")


class AttachmentRef(BaseModel):
    """A file attached to a message or note: stored by the tickets service, served by it."""

    model_config = ConfigDict(frozen=True)

    attachment_id: uuid.UUID
    filename: str
    content_type: str
    size: int


@registry.register
class TicketOpened(DomainEvent):
    """A customer opened a support ticket (or wrote to a department, `type` = contact)."""

    type: ClassVar[str] = "guichet.tickets.TicketOpened"
    version: ClassVar[int] = 1

    ticket_id: uuid.UUID
    number: int
    title: str
    description: str
    priority: Priority
    requester_email: EmailStr
    # Added after the first slice; absent (None) in its events.
    organisation_id: uuid.UUID | None = None
    requester_id: uuid.UUID | None = None
    opened_by: uuid.UUID | None = None
    ticket_type: TicketType = TicketType.INCIDENT
    department: Department = Department.TECHNICAL
    contract_id: uuid.UUID | None = None
    product: str | None = None
    site: str | None = None
    product_version: str | None = None
    nature: Nature | None = None
    severity: Severity | None = None
    wished_delivery_date: dt.date | None = None
    reference_1: str | None = None
    reference_2: str | None = None
    attachments: tuple[AttachmentRef, ...] = ()
    first_response_due_at: dt.datetime | None = None
    resolution_due_at: dt.datetime | None = None
    duplicate_of: uuid.UUID | None = None
    asset_id: uuid.UUID | None = None
    """The organisation's machine (fleet's asset) the ticket is about, if any."""


@registry.register
class TicketMessagePosted(DomainEvent):
    """A message of the conversation, visible to the customer's organisation."""

    type: ClassVar[str] = "guichet.tickets.TicketMessagePosted"
    version: ClassVar[int] = 1

    ticket_id: uuid.UUID
    message_id: uuid.UUID
    author_id: uuid.UUID
    author_side: AuthorSide
    body: str
    attachments: tuple[AttachmentRef, ...] = ()


@registry.register
class InternalNoteAdded(DomainEvent):
    """A note by vendor staff for vendor staff: never shown or delivered to customers."""

    type: ClassVar[str] = "guichet.tickets.InternalNoteAdded"
    version: ClassVar[int] = 1

    ticket_id: uuid.UUID
    note_id: uuid.UUID
    author_id: uuid.UUID
    body: str
    attachments: tuple[AttachmentRef, ...] = ()


@registry.register
class TicketAssigned(DomainEvent):
    """The ticket's department and agent as they are now (agent None: the department's queue)."""

    type: ClassVar[str] = "guichet.tickets.TicketAssigned"
    version: ClassVar[int] = 1

    ticket_id: uuid.UUID
    department: Department
    assignee_id: uuid.UUID | None
    assigned_by: uuid.UUID


@registry.register
class TicketStatusChanged(DomainEvent):
    """A move along the state machine that no more specific event below describes."""

    type: ClassVar[str] = "guichet.tickets.TicketStatusChanged"
    version: ClassVar[int] = 1

    ticket_id: uuid.UUID
    from_status: TicketStatus
    to_status: TicketStatus
    changed_by: uuid.UUID


@registry.register
class TicketSuspended(DomainEvent):
    """An agent needs information from the customer: the ticket waits for them."""

    type: ClassVar[str] = "guichet.tickets.TicketSuspended"
    version: ClassVar[int] = 1

    ticket_id: uuid.UUID
    from_status: TicketStatus
    reason: str
    suspended_by: uuid.UUID


@registry.register
class TicketResumed(DomainEvent):
    """The customer completed the information asked for (`message_id`): back in progress."""

    type: ClassVar[str] = "guichet.tickets.TicketResumed"
    version: ClassVar[int] = 1

    ticket_id: uuid.UUID
    message_id: uuid.UUID
    resumed_by: uuid.UUID


@registry.register
class TicketResolved(DomainEvent):
    type: ClassVar[str] = "guichet.tickets.TicketResolved"
    version: ClassVar[int] = 1

    ticket_id: uuid.UUID
    from_status: TicketStatus
    resolved_by: uuid.UUID
    resolved_by_side: AuthorSide


@registry.register
class TicketClosed(DomainEvent):
    type: ClassVar[str] = "guichet.tickets.TicketClosed"
    version: ClassVar[int] = 1

    ticket_id: uuid.UUID
    closed_by: uuid.UUID
    closed_by_side: AuthorSide


@registry.register
class TicketDuplicated(DomainEvent):
    """A closed ticket was started again as `duplicate_id` (whose TicketOpened names this one)."""

    type: ClassVar[str] = "guichet.tickets.TicketDuplicated"
    version: ClassVar[int] = 1

    ticket_id: uuid.UUID
    duplicate_id: uuid.UUID
    duplicated_by: uuid.UUID


# --- interventions on a machine ---------------------------------------------------------------


class InterventionEvent(DomainEvent):
    """What every intervention event carries."""

    intervention_id: uuid.UUID
    number: int
    """Drawn from the tickets' numbers: a number quoted on the phone names one request."""
    organisation_id: uuid.UUID
    asset_id: uuid.UUID


@registry.register
class InterventionRequested(InterventionEvent):
    """A customer asked for a technician on one of their machines (waiting for validation)."""

    type: ClassVar[str] = "guichet.tickets.InterventionRequested"
    version: ClassVar[int] = 1

    serial_number: str
    model_name: str
    site_name: str
    location: str
    nature: str
    """A code of the vendor's list of natures (GUICHET_INTERVENTION_NATURES)."""
    nature_labels: dict[str, str]
    """The nature in each language the vendor gave, as it was when requested."""
    error_code: str | None
    details: str
    urgency: Priority
    requested_by: uuid.UUID
    requester_email: EmailStr
    contract_id: uuid.UUID | None
    contract_number: str | None
    covered: bool
    """False: the machine's contract in force does not cover interventions (or it has none),
    and the vendor accepts such requests flagged (GUICHET_INTERVENTION_UNCOVERED=flag)."""
    attachments: tuple[AttachmentRef, ...] = ()


class ToldToRequester(InterventionEvent):
    """An intervention event its requester is emailed about: it names them and the machine."""

    requested_by: uuid.UUID
    requester_email: EmailStr
    serial_number: str
    model_name: str


@registry.register
class InterventionScheduled(ToldToRequester):
    """A date and a technician (again, when `from_status` is scheduled: rescheduled)."""

    type: ClassVar[str] = "guichet.tickets.InterventionScheduled"
    version: ClassVar[int] = 1

    from_status: InterventionStatus
    scheduled_for: dt.datetime
    technician: str
    scheduled_by: uuid.UUID


@registry.register
class InterventionStarted(InterventionEvent):
    """The technician started the scheduled intervention."""

    type: ClassVar[str] = "guichet.tickets.InterventionStarted"
    version: ClassVar[int] = 1

    started_by: uuid.UUID


@registry.register
class InterventionCompleted(InterventionEvent):
    """The intervention is done, with what was done as the customer may read it."""

    type: ClassVar[str] = "guichet.tickets.InterventionCompleted"
    version: ClassVar[int] = 1

    completed_by: uuid.UUID
    report: str | None = None
    """What was done, as the customer may read it."""


@registry.register
class InterventionCancelled(ToldToRequester):
    """A request still waiting for validation was cancelled, saying why: by the customer, or
    declined by the vendor's staff (`by_vendor`, e.g. a machine its contract does not cover)."""

    type: ClassVar[str] = "guichet.tickets.InterventionCancelled"
    version: ClassVar[int] = 1

    cancelled_by: uuid.UUID
    comment: str
    by_vendor: bool = False
