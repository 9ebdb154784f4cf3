"""Request bodies the back office's API and the ERP import share: a site's address, a
contract's terms, a model and its consumables, each as it is sent and checked."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from services.fleet.domain import Consumable
from services.fleet.domain_types import (
    ContractType,
    Counter,
    ErpReference,
    ModelCode,
    Name,
    OptionalText,
    ShortText,
)
from services.fleet.events import SiteAddress
from services.fleet.handlers import catalogue


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddressBody(Strict):
    line1: ShortText
    line2: OptionalText = ""
    postal_code: Annotated[str, Field(max_length=20)] = ""
    city: ShortText
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "FR"

    def value(self) -> SiteAddress:
        return SiteAddress(**self.model_dump())


class SiteBody(Strict):
    name: Name
    address: AddressBody

    def fields(self, branch_id: uuid.UUID | None = None) -> catalogue.SiteFields:
        return catalogue.SiteFields(self.name, self.address.value(), branch_id)


class BranchedSiteBody(SiteBody):
    branch_id: uuid.UUID | None = Field(
        default=None,
        description="The organisation's branch the site belongs to: users whose access is"
        " limited to that branch see its equipment only",
    )

    def branched_fields(self) -> catalogue.SiteFields:
        return self.fields(self.branch_id)


class ConsumableBody(Strict):
    description: Name
    max_quantity_per_order: int = Field(ge=1, le=10_000)


class ConsumableItem(ConsumableBody):
    reference: ErpReference

    def value(self) -> Consumable:
        return Consumable(self.reference, self.description, self.max_quantity_per_order)


class ModelChange(Strict):
    name: Name
    manufacturer: ShortText
    counters: list[Counter] = Field(
        default_factory=list,
        max_length=len(Counter),
        description="The meters its machines have (readings name them); only ever added to",
    )


class ModelBody(ModelChange):
    code: ModelCode = Field(description="The vendor's reference of the model, unique")

    def fields(self) -> catalogue.ModelFields:
        return catalogue.ModelFields(self.code, self.name, self.manufacturer, tuple(self.counters))


class ContractChange(Strict):
    """A contract's terms but its number, which never changes."""

    contract_type: ContractType
    starts_on: dt.date
    ends_on: dt.date | None = None
    service_level: ShortText | None = Field(
        default=None, description="The promised delay in the vendor's words, e.g. J+1"
    )
    covers_support: bool = False
    covers_interventions: bool = False
    reading_every_days: int | None = Field(
        default=None,
        ge=1,
        le=366,
        description="How often its machines' meters are read; none: no readings expected",
    )

    def fields(self, number: str) -> catalogue.ContractFields:
        return catalogue.ContractFields(
            number=number,
            contract_type=self.contract_type,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            service_level=self.service_level,
            covers_support=self.covers_support,
            covers_interventions=self.covers_interventions,
            reading_every_days=self.reading_every_days,
        )


class ContractBody(ContractChange):
    number: ShortText = Field(description="The vendor's contract number, unique; never changes")

    def contract_fields(self) -> catalogue.ContractFields:
        return self.fields(self.number)
