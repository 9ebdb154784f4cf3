"""The intervention aggregate: a technician's visit to one machine, from the customer's request
to the work done.

waiting for validation → scheduled (⟲ rescheduled) → in progress → done; cancelled by the
customer, or declined by the vendor, only while waiting for validation. Done and cancelled
are final.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from services.tickets.domain.errors import IllegalTransition, TicketRuleBroken
from services.tickets.domain_types import InterventionStatus as S
from services.tickets.domain_types import Priority
from services.tickets.events import (
    AttachmentRef,
    InterventionCancelled,
    InterventionCompleted,
    InterventionRequested,
    InterventionScheduled,
    InterventionStarted,
)
from shared.aggregate import Aggregate
from shared.events import DomainEvent

INTERVENTION_TRANSITIONS: MappingProxyType[S, tuple[S, ...]] = MappingProxyType(
    {
        S.WAITING_FOR_VALIDATION: (S.SCHEDULED, S.CANCELLED),
        S.SCHEDULED: (S.SCHEDULED, S.IN_PROGRESS),
        S.IN_PROGRESS: (S.DONE,),
        S.DONE: (),
        S.CANCELLED: (),
    }
)


@dataclass(frozen=True)
class RequestedOn:
    """The machine as tickets knows it from fleet, and what its contract says."""

    asset_id: uuid.UUID
    serial_number: str
    model_name: str
    site_name: str
    location: str
    contract_id: uuid.UUID | None
    contract_number: str | None
    covered: bool


@dataclass(frozen=True)
class NewIntervention:
    """Everything a request is made with; the handler fills in the number and the machine."""

    number: int
    organisation_id: uuid.UUID
    asset: RequestedOn
    nature: str
    nature_labels: dict[str, str]
    error_code: str | None
    details: str
    urgency: Priority
    requested_by: uuid.UUID
    requester_email: str
    attachments: tuple[AttachmentRef, ...] = ()


@dataclass
class Intervention(Aggregate):
    intervention_id: uuid.UUID
    version: int = 0
    status: S | None = None
    number: int = 0
    organisation_id: uuid.UUID | None = None
    asset_id: uuid.UUID | None = None
    requested_by: uuid.UUID | None = None
    requester_email: str = ""
    serial_number: str = ""
    model_name: str = ""
    scheduled_for: dt.datetime | None = None
    technician: str | None = None
    attachment_ids: set[uuid.UUID] = field(default_factory=set)

    STREAM_TYPE = "intervention"

    def apply(self, event: DomainEvent) -> None:
        match event:
            case InterventionRequested():
                self.status = S.WAITING_FOR_VALIDATION
                self.number = event.number
                self.organisation_id = event.organisation_id
                self.asset_id = event.asset_id
                self.requested_by = event.requested_by
                self.requester_email = str(event.requester_email)
                self.serial_number = event.serial_number
                self.model_name = event.model_name
                self.attachment_ids.update(ref.attachment_id for ref in event.attachments)
            case InterventionScheduled():
                self.status = S.SCHEDULED
                self.scheduled_for = event.scheduled_for
                self.technician = event.technician
            case InterventionStarted():
                self.status = S.IN_PROGRESS
            case InterventionCompleted():
                self.status = S.DONE
            case InterventionCancelled():
                self.status = S.CANCELLED
        self.version += 1

    # --- guards -----------------------------------------------------------------------------

    def _move(self, target: S) -> S:
        if self.status is None:
            raise TicketRuleBroken("this intervention does not exist")
        allowed = INTERVENTION_TRANSITIONS[self.status]
        if target not in allowed:
            raise IllegalTransition(self.status, target, allowed, what="intervention")
        return self.status

    def _ids(self) -> dict[str, Any]:
        assert self.organisation_id is not None
        assert self.asset_id is not None
        return {
            "intervention_id": self.intervention_id,
            "number": self.number,
            "organisation_id": self.organisation_id,
            "asset_id": self.asset_id,
        }

    def _requester(self) -> dict[str, Any]:
        """What an event the requester is emailed about names (ToldToRequester)."""
        return {
            **self._ids(),
            "requested_by": self.requested_by,
            "requester_email": self.requester_email,
            "serial_number": self.serial_number,
            "model_name": self.model_name,
        }

    # --- commands ---------------------------------------------------------------------------

    def request(self, new: NewIntervention) -> list[DomainEvent]:
        if self.version:
            raise TicketRuleBroken("this intervention is already requested")
        asset = new.asset
        return [
            InterventionRequested(
                intervention_id=self.intervention_id,
                number=new.number,
                organisation_id=new.organisation_id,
                asset_id=asset.asset_id,
                serial_number=asset.serial_number,
                model_name=asset.model_name,
                site_name=asset.site_name,
                location=asset.location,
                nature=new.nature,
                nature_labels=new.nature_labels,
                error_code=new.error_code,
                details=new.details,
                urgency=new.urgency,
                requested_by=new.requested_by,
                requester_email=new.requester_email,
                contract_id=asset.contract_id,
                contract_number=asset.contract_number,
                covered=asset.covered,
                attachments=new.attachments,
            )
        ]

    def schedule(
        self, *, scheduled_for: dt.datetime, technician: str, by: uuid.UUID
    ) -> list[DomainEvent]:
        current = self._move(S.SCHEDULED)
        if scheduled_for.tzinfo is None:
            raise TicketRuleBroken("give the date with its time zone")
        if (scheduled_for, technician) == (self.scheduled_for, self.technician):
            return []  # already so: nothing happened
        return [
            InterventionScheduled(
                **self._requester(),
                from_status=current,
                scheduled_for=scheduled_for,
                technician=technician,
                scheduled_by=by,
            )
        ]

    def start(self, *, by: uuid.UUID) -> list[DomainEvent]:
        self._move(S.IN_PROGRESS)
        return [InterventionStarted(**self._ids(), started_by=by)]

    def complete(self, *, by: uuid.UUID, report: str | None) -> list[DomainEvent]:
        self._move(S.DONE)
        return [InterventionCompleted(**self._ids(), completed_by=by, report=report)]

    def cancel(self, *, by: uuid.UUID, comment: str, by_vendor: bool = False) -> list[DomainEvent]:
        """The customer's cancellation, or the vendor declining the request (`by_vendor`), only
        while the request waits for validation."""
        self._move(S.CANCELLED)
        if not comment.strip():
            raise TicketRuleBroken("say why the intervention is cancelled")
        return [
            InterventionCancelled(
                **self._requester(), cancelled_by=by, comment=comment, by_vendor=by_vendor
            )
        ]

    @property
    def cancellable(self) -> bool:
        return self.status is not None and S.CANCELLED in INTERVENTION_TRANSITIONS[self.status]
