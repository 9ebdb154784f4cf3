"""A site of a customer organisation: a name and an address where its equipment is."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.fleet.domain.errors import FleetRuleBroken
from services.fleet.events import SiteAddress, SiteRegistered, SiteUpdated
from shared.aggregate import Aggregate
from shared.events import DomainEvent


@dataclass
class Site(Aggregate):
    site_id: uuid.UUID
    version: int = 0
    organisation_id: uuid.UUID | None = None
    name: str = ""
    address: SiteAddress | None = None
    branch_id: uuid.UUID | None = None

    STREAM_TYPE = "site"

    def apply(self, event: DomainEvent) -> None:
        match event:
            case SiteRegistered() | SiteUpdated():
                self.organisation_id = event.organisation_id
                self.name = event.name
                self.address = event.address
                self.branch_id = event.branch_id
        self.version += 1

    @property
    def exists(self) -> bool:
        return self.organisation_id is not None

    def register(
        self,
        *,
        organisation_id: uuid.UUID,
        name: str,
        address: SiteAddress,
        erp_reference: str | None,
        branch_id: uuid.UUID | None = None,
    ) -> list[DomainEvent]:
        if self.exists:
            raise FleetRuleBroken("this site is already registered")
        return [
            SiteRegistered(
                site_id=self.site_id,
                organisation_id=organisation_id,
                name=name,
                address=address,
                erp_reference=erp_reference,
                branch_id=branch_id,
            )
        ]

    def update(
        self, *, name: str, address: SiteAddress, branch_id: uuid.UUID | None
    ) -> list[DomainEvent]:
        """Nothing when nothing changes (an import sending the same site again)."""
        if not self.exists:
            raise FleetRuleBroken("this site does not exist")
        assert self.organisation_id is not None
        if (name, address, branch_id) == (self.name, self.address, self.branch_id):
            return []
        return [
            SiteUpdated(
                site_id=self.site_id,
                organisation_id=self.organisation_id,
                name=name,
                address=address,
                branch_id=branch_id,
            )
        ]
