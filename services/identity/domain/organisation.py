"""The organisation aggregate: details, branches, referents and change requests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from services.identity.domain.errors import InvalidCommand, RuleBroken
from services.identity.domain_types import (
    Language,
    OrganisationDetails,
    OrganisationStatus,
    Referents,
)
from services.identity.events import (
    OrganisationChangeApproved,
    OrganisationChangeRejected,
    OrganisationChangeRequested,
    OrganisationDetailsChanged,
    OrganisationRegistered,
    ReferentsChanged,
)
from shared.aggregate import Aggregate
from shared.events import DomainEvent


@dataclass
class PendingChange:
    requested_by: uuid.UUID
    details: OrganisationDetails | None
    referents: Referents | None


@dataclass
class Organisation(Aggregate):
    organisation_id: uuid.UUID
    version: int = 0
    code: str = ""
    status: OrganisationStatus = OrganisationStatus.ACTIVE
    language: Language = "fr"
    currency: str = "EUR"
    details: OrganisationDetails | None = None
    referents: Referents = field(default_factory=Referents)
    pending: dict[uuid.UUID, PendingChange] = field(default_factory=dict)

    STREAM_TYPE = "organisation"

    @property
    def exists(self) -> bool:
        return self.version > 0

    def apply(self, event: DomainEvent) -> None:
        match event:
            case OrganisationRegistered() | OrganisationDetailsChanged():
                if isinstance(event, OrganisationRegistered):
                    self.code = event.code
                self.status = event.status
                self.language = event.language
                self.currency = event.currency
                self.details = event.details
            case ReferentsChanged():
                self.referents = event.referents
            case OrganisationChangeRequested():
                self.pending[event.request_id] = PendingChange(
                    event.requested_by, event.details, event.referents
                )
            case OrganisationChangeApproved() | OrganisationChangeRejected():
                self.pending.pop(event.request_id, None)
        self.version += 1

    def register(
        self,
        *,
        code: str,
        status: OrganisationStatus,
        language: Language,
        currency: str,
        details: OrganisationDetails,
    ) -> list[DomainEvent]:
        if self.exists:
            raise RuleBroken("this organisation already exists")
        _check_branches(details)
        return [
            OrganisationRegistered(
                organisation_id=self.organisation_id,
                code=code,
                status=status,
                language=language,
                currency=currency,
                details=details,
            )
        ]

    def change_details(
        self,
        *,
        status: OrganisationStatus,
        language: Language,
        currency: str,
        details: OrganisationDetails,
    ) -> list[DomainEvent]:
        self._require_existence()
        _check_branches(details)
        if (status, language, currency, details) == (
            self.status,
            self.language,
            self.currency,
            self.details,
        ):
            return []
        return [
            OrganisationDetailsChanged(
                organisation_id=self.organisation_id,
                status=status,
                language=language,
                currency=currency,
                details=details,
            )
        ]

    def request_change(
        self,
        *,
        request_id: uuid.UUID,
        requested_by: uuid.UUID,
        details: OrganisationDetails | None,
        referents: Referents | None,
        active_members: set[uuid.UUID],
    ) -> list[DomainEvent]:
        self._require_existence()
        if details is None and referents is None:
            raise InvalidCommand("details", "a change request must change something")
        if details is not None:
            _check_branches(details)
        if referents is not None:
            _check_referents(referents, active_members)
        return [
            OrganisationChangeRequested(
                request_id=request_id,
                organisation_id=self.organisation_id,
                requested_by=requested_by,
                details=details,
                referents=referents,
            )
        ]

    def approve_change(
        self, *, request_id: uuid.UUID, decided_by: uuid.UUID, active_members: set[uuid.UUID]
    ) -> list[DomainEvent]:
        change = self._pending(request_id)
        events: list[DomainEvent] = [
            OrganisationChangeApproved(
                request_id=request_id,
                organisation_id=self.organisation_id,
                requested_by=change.requested_by,
                decided_by=decided_by,
            )
        ]
        if change.details is not None and change.details != self.details:
            events.append(
                OrganisationDetailsChanged(
                    organisation_id=self.organisation_id,
                    status=self.status,
                    language=self.language,
                    currency=self.currency,
                    details=change.details,
                )
            )
        if change.referents is not None and change.referents != self.referents:
            # Users may have been blocked since the request: check again when it takes effect.
            _check_referents(change.referents, active_members)
            events.append(
                ReferentsChanged(organisation_id=self.organisation_id, referents=change.referents)
            )
        return events

    def reject_change(
        self, *, request_id: uuid.UUID, decided_by: uuid.UUID, reason: str
    ) -> list[DomainEvent]:
        change = self._pending(request_id)
        return [
            OrganisationChangeRejected(
                request_id=request_id,
                organisation_id=self.organisation_id,
                requested_by=change.requested_by,
                decided_by=decided_by,
                reason=reason,
            )
        ]

    def _pending(self, request_id: uuid.UUID) -> PendingChange:
        self._require_existence()
        change = self.pending.get(request_id)
        if change is None:
            raise RuleBroken("this change request is not waiting for a decision")
        return change

    def _require_existence(self) -> None:
        if not self.exists:
            raise RuleBroken("there is no such organisation")


def _check_branches(details: OrganisationDetails) -> None:
    ids = [branch.branch_id for branch in details.branches]
    if len(ids) != len(set(ids)):
        raise InvalidCommand("details.branches", "two branches have the same id")


def _check_referents(referents: Referents, active_members: set[uuid.UUID]) -> None:
    if len(set(referents.accounting)) != len(referents.accounting):
        raise InvalidCommand("referents.accounting", "an accounting referent is named twice")
    inactive = referents.users() - active_members
    if inactive:
        raise InvalidCommand("referents", "only active users of the organisation can be referents")
