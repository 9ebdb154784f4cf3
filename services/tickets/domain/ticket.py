"""The ticket aggregate: state folded from events, commands that check invariants."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from services.tickets.domain.errors import IllegalTransition, TicketRuleBroken
from services.tickets.domain.state_machine import allowed_from
from services.tickets.domain_types import (
    AuthorSide,
    Department,
    Nature,
    Priority,
    Severity,
    TicketStatus,
    TicketType,
)
from services.tickets.events import (
    AttachmentRef,
    InternalNoteAdded,
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
from shared.aggregate import Aggregate
from shared.events import DomainEvent


@dataclass(frozen=True)
class NewTicket:
    """Everything a ticket is opened with; the handler fills in number and due times."""

    number: int
    organisation_id: uuid.UUID
    title: str
    description: str
    priority: Priority
    requester_id: uuid.UUID
    requester_email: str
    opened_by: uuid.UUID
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


@dataclass
class Ticket(Aggregate):
    ticket_id: uuid.UUID
    version: int = 0
    status: TicketStatus | None = None
    organisation_id: uuid.UUID | None = None
    priority: Priority | None = None
    requester_email: str | None = None
    department: Department | None = None
    assignee_id: uuid.UUID | None = None
    duplicate_id: uuid.UUID | None = None
    attachment_ids: set[uuid.UUID] = field(default_factory=set)

    STREAM_TYPE = "ticket"

    def apply(self, event: DomainEvent) -> None:
        match event:
            case TicketOpened():
                self.status = TicketStatus.NEW
                self.organisation_id = event.organisation_id
                self.priority = event.priority
                self.requester_email = event.requester_email
                self.department = event.department
                self._attached(event.attachments)
            case TicketMessagePosted() | InternalNoteAdded():
                self._attached(event.attachments)
            case TicketAssigned():
                self.department = event.department
                self.assignee_id = event.assignee_id
            case TicketStatusChanged():
                self.status = event.to_status
            case TicketSuspended():
                self.status = TicketStatus.WAITING_FOR_CUSTOMER
            case TicketResumed():
                self.status = TicketStatus.IN_PROGRESS
            case TicketResolved():
                self.status = TicketStatus.RESOLVED
            case TicketClosed():
                self.status = TicketStatus.CLOSED
            case TicketDuplicated():
                self.duplicate_id = event.duplicate_id
        self.version += 1

    def _attached(self, attachments: tuple[AttachmentRef, ...]) -> None:
        self.attachment_ids.update(ref.attachment_id for ref in attachments)

    # --- guards -----------------------------------------------------------------------------

    def _current(self) -> TicketStatus:
        if self.status is None:
            raise TicketRuleBroken("this ticket does not exist")
        return self.status

    def _check_transition(self, target: TicketStatus) -> TicketStatus:
        current = self._current()
        allowed = allowed_from(current)
        if target not in allowed:
            raise IllegalTransition(current, target, allowed)
        return current

    def _check_not_closed(self, doing: str) -> None:
        if self._current() is TicketStatus.CLOSED:
            raise TicketRuleBroken(f"a closed ticket cannot {doing}; duplicate it to start again")

    def _check_new_attachments(self, attachments: tuple[AttachmentRef, ...]) -> None:
        if any(ref.attachment_id in self.attachment_ids for ref in attachments):
            raise TicketRuleBroken("an attachment is already attached to this ticket")

    # --- commands ---------------------------------------------------------------------------

    def open(self, new: NewTicket) -> list[DomainEvent]:
        if self.version:
            raise TicketRuleBroken("this ticket is already open")
        return [
            TicketOpened(
                ticket_id=self.ticket_id,
                number=new.number,
                title=new.title,
                description=new.description,
                priority=new.priority,
                requester_email=new.requester_email,
                organisation_id=new.organisation_id,
                requester_id=new.requester_id,
                opened_by=new.opened_by,
                ticket_type=new.ticket_type,
                department=new.department,
                contract_id=new.contract_id,
                product=new.product,
                site=new.site,
                product_version=new.product_version,
                nature=new.nature,
                severity=new.severity,
                wished_delivery_date=new.wished_delivery_date,
                reference_1=new.reference_1,
                reference_2=new.reference_2,
                attachments=new.attachments,
                first_response_due_at=new.first_response_due_at,
                resolution_due_at=new.resolution_due_at,
                duplicate_of=new.duplicate_of,
                asset_id=new.asset_id,
            )
        ]

    def post_message(
        self,
        *,
        message_id: uuid.UUID,
        author_id: uuid.UUID,
        side: AuthorSide,
        body: str,
        attachments: tuple[AttachmentRef, ...] = (),
    ) -> list[DomainEvent]:
        self._check_not_closed("be replied to")
        self._check_new_attachments(attachments)
        return [
            TicketMessagePosted(
                ticket_id=self.ticket_id,
                message_id=message_id,
                author_id=author_id,
                author_side=side,
                body=body,
                attachments=attachments,
            )
        ]

    def add_internal_note(
        self,
        *,
        note_id: uuid.UUID,
        author_id: uuid.UUID,
        body: str,
        attachments: tuple[AttachmentRef, ...] = (),
    ) -> list[DomainEvent]:
        self._current()
        self._check_new_attachments(attachments)
        return [
            InternalNoteAdded(
                ticket_id=self.ticket_id,
                note_id=note_id,
                author_id=author_id,
                body=body,
                attachments=attachments,
            )
        ]

    def assign(
        self, *, department: Department, assignee_id: uuid.UUID | None, by: uuid.UUID
    ) -> list[DomainEvent]:
        self._check_not_closed("be assigned")
        if department == self.department and assignee_id == self.assignee_id:
            return []  # already so: nothing happened
        return [
            TicketAssigned(
                ticket_id=self.ticket_id,
                department=department,
                assignee_id=assignee_id,
                assigned_by=by,
            )
        ]

    def change_status(
        self, target: TicketStatus, *, by: uuid.UUID, side: AuthorSide, reason: str | None = None
    ) -> list[DomainEvent]:
        """Move along the state machine, as the event that says most about the move."""
        current = self._check_transition(target)
        match target:
            case TicketStatus.WAITING_FOR_CUSTOMER:
                if not reason:
                    raise TicketRuleBroken("say what information the customer must give")
                return [
                    TicketSuspended(
                        ticket_id=self.ticket_id,
                        from_status=current,
                        reason=reason,
                        suspended_by=by,
                    )
                ]
            case TicketStatus.RESOLVED:
                return [
                    TicketResolved(
                        ticket_id=self.ticket_id,
                        from_status=current,
                        resolved_by=by,
                        resolved_by_side=side,
                    )
                ]
            case TicketStatus.CLOSED:
                return [TicketClosed(ticket_id=self.ticket_id, closed_by=by, closed_by_side=side)]
        return [
            TicketStatusChanged(
                ticket_id=self.ticket_id, from_status=current, to_status=target, changed_by=by
            )
        ]

    def resume(
        self,
        *,
        message_id: uuid.UUID,
        author_id: uuid.UUID,
        body: str,
        attachments: tuple[AttachmentRef, ...] = (),
    ) -> list[DomainEvent]:
        """The customer completes the information asked for: their message, then back in
        progress."""
        if self._current() is not TicketStatus.WAITING_FOR_CUSTOMER:
            raise TicketRuleBroken("only a ticket waiting for the customer can be resumed")
        posted = self.post_message(
            message_id=message_id,
            author_id=author_id,
            side=AuthorSide.CUSTOMER,
            body=body,
            attachments=attachments,
        )
        return [
            *posted,
            TicketResumed(ticket_id=self.ticket_id, message_id=message_id, resumed_by=author_id),
        ]

    def mark_duplicated(self, *, duplicate_id: uuid.UUID, by: uuid.UUID) -> list[DomainEvent]:
        if self._current() is not TicketStatus.CLOSED:
            raise TicketRuleBroken("only a closed ticket can be duplicated")
        return [
            TicketDuplicated(ticket_id=self.ticket_id, duplicate_id=duplicate_id, duplicated_by=by)
        ]
