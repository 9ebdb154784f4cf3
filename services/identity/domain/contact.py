"""The contact aggregate: a person of a customer organisation (seed 002)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.identity.domain.errors import RuleBroken
from services.identity.domain_types import (
    ContactDetails,
)
from services.identity.events import (
    ContactAdded,
    ContactUpdated,
)
from shared.aggregate import Aggregate
from shared.events import DomainEvent


@dataclass
class Contact(Aggregate):
    contact_id: uuid.UUID
    version: int = 0
    organisation_id: uuid.UUID | None = None
    details: ContactDetails | None = None

    STREAM_TYPE = "contact"

    def apply(self, event: DomainEvent) -> None:
        match event:
            case ContactAdded() | ContactUpdated():
                self.organisation_id = event.organisation_id
                self.details = event.details
        self.version += 1

    def add(self, *, organisation_id: uuid.UUID, details: ContactDetails) -> list[DomainEvent]:
        if self.version:
            raise RuleBroken("this contact already exists")
        return [
            ContactAdded(
                contact_id=self.contact_id, organisation_id=organisation_id, details=details
            )
        ]

    def update(self, *, details: ContactDetails) -> list[DomainEvent]:
        if self.organisation_id is None:
            raise RuleBroken("there is no such contact")
        if details == self.details:
            return []
        return [
            ContactUpdated(
                contact_id=self.contact_id, organisation_id=self.organisation_id, details=details
            )
        ]
