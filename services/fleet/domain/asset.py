"""An asset: a machine of a customer organisation, where it is, under which contract, and
its meters, which only go up."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from services.fleet.domain.errors import (
    FleetRuleBroken,
    InvalidField,
    LowerCounter,
    ReadingLowerThanLast,
)
from services.fleet.domain_types import AssetStatus, Counter, ReadingSource
from services.fleet.events import (
    AssetRegistered,
    AssetRelocated,
    AssetStatusChanged,
    ContractAttached,
    ContractDetached,
    ContractTerms,
    MeterReadingRecorded,
)
from shared.aggregate import Aggregate
from shared.events import DomainEvent


@dataclass(frozen=True)
class NewAsset:
    """Everything an asset is registered with; the handler resolves model, site, contract."""

    organisation_id: uuid.UUID
    model_id: uuid.UUID
    model_code: str
    model_name: str
    manufacturer: str
    counters: tuple[Counter, ...]
    product_reference: str | None
    serial_number: str
    site_id: uuid.UUID
    site_name: str
    location: str
    status: AssetStatus
    installed_on: dt.date | None
    contract: ContractTerms | None
    erp_reference: str | None


@dataclass(frozen=True)
class Reading:
    reading_id: uuid.UUID
    read_on: dt.date
    counters: Mapping[Counter, int]
    source: ReadingSource
    recorded_by: uuid.UUID | None


@dataclass
class Asset(Aggregate):
    asset_id: uuid.UUID
    version: int = 0
    organisation_id: uuid.UUID | None = None
    serial_number: str = ""
    model_name: str = ""
    status: AssetStatus | None = None
    site_id: uuid.UUID | None = None
    site_name: str = ""
    location: str = ""
    counters: tuple[Counter, ...] = ()
    contract_id: uuid.UUID | None = None
    last_values: dict[Counter, int] = field(default_factory=dict)
    last_read_on: dt.date | None = None

    STREAM_TYPE = "asset"

    def apply(self, event: DomainEvent) -> None:
        match event:
            case AssetRegistered():
                self.organisation_id = event.organisation_id
                self.serial_number = event.serial_number
                self.model_name = event.model_name
                self.status = event.status
                self.site_id, self.site_name = event.site_id, event.site_name
                self.location = event.location
                self.counters = event.counters
                self.contract_id = event.contract.contract_id if event.contract else None
            case AssetRelocated():
                self.site_id, self.site_name = event.site_id, event.site_name
                self.location = event.location
            case AssetStatusChanged():
                self.status = event.to_status
            case ContractAttached():
                self.contract_id = event.contract.contract_id
            case ContractDetached():
                self.contract_id = None
            case MeterReadingRecorded():
                self.last_values.update(event.counters)
                self.last_read_on = event.read_on
        self.version += 1

    # --- commands -------------------------------------------------------------------------

    def register(self, new: NewAsset) -> list[DomainEvent]:
        if self.status is not None:
            raise FleetRuleBroken("this asset is already registered")
        return [
            AssetRegistered(
                asset_id=self.asset_id,
                organisation_id=new.organisation_id,
                model_id=new.model_id,
                model_code=new.model_code,
                model_name=new.model_name,
                manufacturer=new.manufacturer,
                product_reference=new.product_reference,
                serial_number=new.serial_number,
                site_id=new.site_id,
                site_name=new.site_name,
                location=new.location,
                status=new.status,
                installed_on=new.installed_on,
                counters=new.counters,
                contract=new.contract,
                erp_reference=new.erp_reference,
            )
        ]

    def relocate(self, *, site_id: uuid.UUID, site_name: str, location: str) -> list[DomainEvent]:
        if (site_id, location) == (self.site_id, self.location):
            return []
        organisation = self._changeable()
        assert self.site_id is not None
        return [
            AssetRelocated(
                asset_id=self.asset_id,
                organisation_id=organisation,
                from_site_id=self.site_id,
                site_id=site_id,
                site_name=site_name,
                location=location,
            )
        ]

    def change_status(self, status: AssetStatus, reason: str | None) -> list[DomainEvent]:
        if status == self.status:
            return []
        organisation = self._changeable()
        assert self.status is not None
        return [
            AssetStatusChanged(
                asset_id=self.asset_id,
                organisation_id=organisation,
                from_status=self.status,
                to_status=status,
                reason=reason,
            )
        ]

    def attach_contract(self, terms: ContractTerms | None) -> list[DomainEvent]:
        """Attach `terms`' contract (None: leave the asset without one); nothing when it is
        already the asset's."""
        new_id = terms.contract_id if terms else None
        if new_id == self.contract_id:
            return []
        organisation = self._changeable()
        if terms is None:
            assert self.contract_id is not None
            return [
                ContractDetached(
                    asset_id=self.asset_id,
                    organisation_id=organisation,
                    contract_id=self.contract_id,
                )
            ]
        return [
            ContractAttached(
                asset_id=self.asset_id,
                organisation_id=organisation,
                serial_number=self.serial_number,
                contract=terms,
                previous_contract_id=self.contract_id,
            )
        ]

    def record_reading(self, reading: Reading, *, today: dt.date) -> list[DomainEvent]:
        """Every meter of the model, none other; not in the future, not before the last
        reading; each value at least the last accepted one."""
        organisation = self._existing()
        if self.status is AssetStatus.WITHDRAWN:
            raise FleetRuleBroken("this asset is withdrawn: it takes no more readings")
        if not self.counters:
            raise FleetRuleBroken("this asset's model has no meters to read")
        missing = [c.value for c in self.counters if c not in reading.counters]
        unknown = [c.value for c in reading.counters if c not in self.counters]
        if missing:
            raise InvalidField("counters", f"Give every meter: {', '.join(missing)}.", "missing")
        if unknown:
            raise InvalidField(
                "counters", f"This machine has no such meter: {', '.join(unknown)}.", "unknown"
            )
        if any(value < 0 for value in reading.counters.values()):
            raise InvalidField("counters", "Meter values are 0 or more.", "negative")
        if reading.read_on > today:
            raise InvalidField("read_on", "A reading cannot be dated in the future.", "future")
        if self.last_read_on is not None and reading.read_on < self.last_read_on:
            raise InvalidField(
                "read_on",
                f"The last reading is dated {self.last_read_on.isoformat()}: a new one cannot"
                " be older.",
                "before_last",
            )
        lower = tuple(
            LowerCounter(counter, reading.counters[counter], self.last_values[counter])
            for counter in self.counters
            if counter in self.last_values and reading.counters[counter] < self.last_values[counter]
        )
        if lower:
            raise ReadingLowerThanLast(lower, self.last_read_on)
        return [
            MeterReadingRecorded(
                reading_id=reading.reading_id,
                asset_id=self.asset_id,
                organisation_id=organisation,
                read_on=reading.read_on,
                counters={counter: reading.counters[counter] for counter in self.counters},
                previous=dict(self.last_values),
                source=reading.source,
                recorded_by=reading.recorded_by,
                serial_number=self.serial_number,
                model_name=self.model_name,
                site_name=self.site_name,
            )
        ]

    # --- guards ---------------------------------------------------------------------------

    def _existing(self) -> uuid.UUID:
        if self.organisation_id is None:
            raise FleetRuleBroken("this asset does not exist")
        return self.organisation_id

    def _changeable(self) -> uuid.UUID:
        organisation = self._existing()
        if self.status is AssetStatus.WITHDRAWN:
            raise FleetRuleBroken("this asset is withdrawn: its record is kept as it was")
        return organisation
