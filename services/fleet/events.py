"""The fleet service's published events: a public contract (see docs/events.md).

Every event names its organisation (`organisation_id`, also the CloudEvent's
`organisationid`), so a subscriber scopes what it keeps without a lookup. The events an
asset's followers need (tickets validating asset ids, orders offering consumables) carry a
snapshot of what they need to keep their own copy: `AssetRegistered` the asset with its
model, site and contract terms; `ContractAttached` the new terms; `ContractTermsChanged` and
`ContractEnded` the contract (for every asset it covers).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from services.fleet.domain_types import (
    AssetStatus,
    ContractType,
    Counter,
    ReadingSource,
)
from shared.events import DomainEvent, EventRegistry

registry = EventRegistry(source="fleet")


class Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class SiteAddress(Value):
    line1: str
    line2: str = ""
    postal_code: str = ""
    city: str
    country: str = "FR"


class ContractTerms(Value):
    """What a contract promises, as subscribers keep it next to the assets it covers."""

    contract_id: uuid.UUID
    number: str
    contract_type: ContractType
    starts_on: dt.date
    ends_on: dt.date | None
    service_level: str | None
    """The vendor's words for the promised delay, e.g. "J+1", "4 h ouvrées"."""
    covers_support: bool
    covers_interventions: bool


# --- sites -----------------------------------------------------------------------------------


@registry.register
class SiteRegistered(DomainEvent):
    """A site (an address) of a customer organisation, where its equipment is."""

    type: ClassVar[str] = "guichet.fleet.SiteRegistered"
    version: ClassVar[int] = 1

    site_id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    address: SiteAddress
    erp_reference: str | None = None
    branch_id: uuid.UUID | None = None
    """The organisation's branch (identity's) the site belongs to: users whose access is
    limited to a branch see the equipment of its sites only."""


@registry.register
class SiteUpdated(DomainEvent):
    """The site's name, address and branch as they are now."""

    type: ClassVar[str] = "guichet.fleet.SiteUpdated"
    version: ClassVar[int] = 1

    site_id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    address: SiteAddress
    branch_id: uuid.UUID | None = None


# --- contracts -------------------------------------------------------------------------------


@registry.register
class ContractRegistered(DomainEvent):
    """A contract of a customer organisation; assets are attached to it one by one."""

    type: ClassVar[str] = "guichet.fleet.ContractRegistered"
    version: ClassVar[int] = 1

    organisation_id: uuid.UUID
    terms: ContractTerms
    reading_every_days: int | None = None
    """How often the customer reports the meters of the contract's machines; None: never."""
    erp_reference: str | None = None


@registry.register
class ContractTermsChanged(DomainEvent):
    """The contract's terms as they are now (renewed, extended, coverage changed)."""

    type: ClassVar[str] = "guichet.fleet.ContractTermsChanged"
    version: ClassVar[int] = 1

    organisation_id: uuid.UUID
    terms: ContractTerms
    reading_every_days: int | None = None


@registry.register
class ContractEnded(DomainEvent):
    """The contract no longer covers anything from `ended_on` (terminated or expired): its
    assets keep it in their history but have no contract in force."""

    type: ClassVar[str] = "guichet.fleet.ContractEnded"
    version: ClassVar[int] = 1

    contract_id: uuid.UUID
    organisation_id: uuid.UUID
    number: str
    ended_on: dt.date
    reason: str | None = None


# --- the catalogue of models -----------------------------------------------------------------


@registry.register
class AssetModelDefined(DomainEvent):
    """A model of machine the vendor supplies: its meters (what readings name)."""

    type: ClassVar[str] = "guichet.fleet.AssetModelDefined"
    version: ClassVar[int] = 1

    model_id: uuid.UUID
    code: str
    name: str
    manufacturer: str
    counters: tuple[Counter, ...]


@registry.register
class AssetModelChanged(DomainEvent):
    """The model's name, manufacturer and meters as they are now (meters are only added)."""

    type: ClassVar[str] = "guichet.fleet.AssetModelChanged"
    version: ClassVar[int] = 1

    model_id: uuid.UUID
    code: str
    name: str
    manufacturer: str
    counters: tuple[Counter, ...]


@registry.register
class ConsumableReferenceListed(DomainEvent):
    """A consumable customers may order for machines of the model, as it is now (a new
    reference, or a changed description or maximum)."""

    type: ClassVar[str] = "guichet.fleet.ConsumableReferenceListed"
    version: ClassVar[int] = 1

    model_id: uuid.UUID
    model_code: str
    reference: str
    description: str
    max_quantity_per_order: int


@registry.register
class ConsumableReferenceWithdrawn(DomainEvent):
    """The reference can no longer be ordered for the model."""

    type: ClassVar[str] = "guichet.fleet.ConsumableReferenceWithdrawn"
    version: ClassVar[int] = 1

    model_id: uuid.UUID
    model_code: str
    reference: str


# --- assets ----------------------------------------------------------------------------------


@registry.register
class AssetRegistered(DomainEvent):
    """A machine of a customer organisation, with everything a follower keeps of it."""

    type: ClassVar[str] = "guichet.fleet.AssetRegistered"
    version: ClassVar[int] = 1

    asset_id: uuid.UUID
    organisation_id: uuid.UUID
    model_id: uuid.UUID
    model_code: str
    model_name: str
    manufacturer: str
    product_reference: str | None
    serial_number: str
    site_id: uuid.UUID
    site_name: str
    location: str
    """Where on the site, e.g. "2e étage, couloir B"."""
    status: AssetStatus
    installed_on: dt.date | None
    counters: tuple[Counter, ...]
    contract: ContractTerms | None = None
    erp_reference: str | None = None


@registry.register
class AssetRelocated(DomainEvent):
    """The asset moved to another site, or elsewhere on its site."""

    type: ClassVar[str] = "guichet.fleet.AssetRelocated"
    version: ClassVar[int] = 1

    asset_id: uuid.UUID
    organisation_id: uuid.UUID
    from_site_id: uuid.UUID
    site_id: uuid.UUID
    site_name: str
    location: str


@registry.register
class AssetStatusChanged(DomainEvent):
    """The asset went out of service, back into service, or was withdrawn."""

    type: ClassVar[str] = "guichet.fleet.AssetStatusChanged"
    version: ClassVar[int] = 1

    asset_id: uuid.UUID
    organisation_id: uuid.UUID
    from_status: AssetStatus
    to_status: AssetStatus
    reason: str | None = None


@registry.register
class ContractAttached(DomainEvent):
    """The asset is covered by this contract from now on (replacing `previous_contract_id`)."""

    type: ClassVar[str] = "guichet.fleet.ContractAttached"
    version: ClassVar[int] = 1

    asset_id: uuid.UUID
    organisation_id: uuid.UUID
    serial_number: str
    contract: ContractTerms
    previous_contract_id: uuid.UUID | None = None


@registry.register
class ContractDetached(DomainEvent):
    """The asset has no contract any more."""

    type: ClassVar[str] = "guichet.fleet.ContractDetached"
    version: ClassVar[int] = 1

    asset_id: uuid.UUID
    organisation_id: uuid.UUID
    contract_id: uuid.UUID


# --- meter readings --------------------------------------------------------------------------


@registry.register
class MeterReadingRecorded(DomainEvent):
    """Meter values of an asset, each at least the last accepted one, entered by a customer
    or by the vendor's staff (`recorded_by`); a customer's reading is confirmed by email."""

    type: ClassVar[str] = "guichet.fleet.MeterReadingRecorded"
    version: ClassVar[int] = 1

    reading_id: uuid.UUID
    asset_id: uuid.UUID
    organisation_id: uuid.UUID
    read_on: dt.date
    counters: dict[Counter, int]
    previous: dict[Counter, int]
    """The last accepted values (empty for the first reading): usage is the difference."""
    source: ReadingSource
    recorded_by: uuid.UUID | None
    serial_number: str
    model_name: str
    site_name: str


class DueAsset(Value):
    asset_id: uuid.UUID
    serial_number: str
    model_name: str
    site_name: str
    location: str
    due_on: dt.date
    last_read_on: dt.date | None
    last_read_by: uuid.UUID | None


@registry.register
class MeterReadingsDue(DomainEvent):
    """The daily reminder: the organisation's assets whose reading is due (each asset once per
    due date). Emailed to whoever entered their last readings, else the technical referent."""

    type: ClassVar[str] = "guichet.fleet.MeterReadingsDue"
    version: ClassVar[int] = 1

    organisation_id: uuid.UUID
    reminded_on: dt.date
    assets: tuple[DueAsset, ...]
