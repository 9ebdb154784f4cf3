"""What the API answers with."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field

from services.fleet.domain_types import AssetStatus, ContractType, Counter, ReadingSource


class Address(BaseModel):
    line1: str
    line2: str
    postal_code: str
    city: str
    country: str


class SiteView(BaseModel):
    site_id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    address: Address
    branch_id: uuid.UUID | None
    erp_reference: str | None
    assets: int = Field(description="Assets at the site, withdrawn ones aside")


class ContractView(BaseModel):
    contract_id: uuid.UUID
    organisation_id: uuid.UUID
    number: str
    contract_type: ContractType
    starts_on: dt.date
    ends_on: dt.date | None
    ended_on: dt.date | None
    service_level: str | None
    covers_support: bool
    covers_interventions: bool
    reading_every_days: int | None
    in_force: bool
    erp_reference: str | None
    assets: int = Field(description="Assets under the contract, withdrawn ones aside")


class AssetSummary(BaseModel):
    """A row of the fleet list."""

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
    status: AssetStatus
    installed_on: dt.date | None
    contract_id: uuid.UUID | None
    contract_number: str | None
    erp_reference: str | None
    next_reading_due_on: dt.date | None = Field(
        description="When the meters are next due to be read; null: no readings expected"
    )


class AssetList(BaseModel):
    assets: list[AssetSummary]
    next_cursor: str | None


class CounterValue(BaseModel):
    counter: Counter
    last_value: int | None


class AssetPage(BaseModel):
    asset: AssetSummary
    counters: list[CounterValue]
    last_read_on: dt.date | None
    contract: ContractView | None
    consumables: int = Field(description="References of the model's catalogue")


class TimelineEntry(BaseModel):
    event_id: uuid.UUID
    occurred_at: dt.datetime
    source: str = Field(description="The service whose event this is: fleet, tickets, orders…")
    kind: str = Field(description="The event, e.g. MeterReadingRecorded")
    summary: dict[str, Any]


class Timeline(BaseModel):
    entries: list[TimelineEntry]
    next_cursor: str | None


class ReadingView(BaseModel):
    reading_id: uuid.UUID
    asset_id: uuid.UUID
    read_on: dt.date
    counters: dict[Counter, int]
    previous: dict[Counter, int]
    usage: dict[Counter, int] = Field(description="Pages since the previous reading")
    source: ReadingSource
    recorded_by: uuid.UUID | None
    recorded_at: dt.datetime


class ReadingList(BaseModel):
    readings: list[ReadingView]
    next_cursor: str | None


class DueReading(BaseModel):
    asset_id: uuid.UUID
    serial_number: str
    model_name: str
    site_name: str
    location: str
    contract_number: str
    counters: list[CounterValue]
    last_read_on: dt.date | None
    due_on: dt.date
    overdue: bool


class DueReadings(BaseModel):
    readings: list[DueReading]


class ConsumableView(BaseModel):
    reference: str
    description: str
    max_quantity_per_order: int


class ModelView(BaseModel):
    model_id: uuid.UUID
    code: str
    name: str
    manufacturer: str
    counters: list[Counter]
    consumables: list[ConsumableView]


class ModelList(BaseModel):
    models: list[ModelView]


class SiteList(BaseModel):
    sites: list[SiteView]


class ContractList(BaseModel):
    contracts: list[ContractView]
