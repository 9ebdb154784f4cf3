"""Fleet's events as fleet publishes them, for tickets' copy of assets and contracts."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from services.fleet import events as fleet
from services.fleet.domain_types import AssetStatus, ContractType, Counter
from services.tickets.tests.conftest import TicketsUnderTest


def terms(
    *,
    covers_support: bool = False,
    covers_interventions: bool = True,
    number: str | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> fleet.ContractTerms:
    return fleet.ContractTerms(
        contract_id=uuid.uuid4(),
        number=number or f"CT-{uuid.uuid4().hex[:6].upper()}",
        contract_type=ContractType.FULL_SERVICE,
        starts_on=starts_on or dt.date.today() - dt.timedelta(days=30),
        ends_on=ends_on,
        service_level="J+1",
        covers_support=covers_support,
        covers_interventions=covers_interventions,
    )


@dataclass(frozen=True)
class Machine:
    asset_id: uuid.UUID
    serial_number: str
    contract: fleet.ContractTerms | None


async def register_contract(
    tickets: TicketsUnderTest, organisation: uuid.UUID, contract: fleet.ContractTerms
) -> None:
    await tickets.consumed(
        "fleet",
        fleet.ContractRegistered(organisation_id=organisation, terms=contract),
        organisation,
    )


async def register_machine(
    tickets: TicketsUnderTest,
    organisation: uuid.UUID,
    contract: fleet.ContractTerms | None,
    *,
    serial_number: str | None = None,
) -> Machine:
    """A copier of the organisation, under `contract` (registered first, as fleet does)."""
    if contract is not None:
        await register_contract(tickets, organisation, contract)
    asset_id = uuid.uuid4()
    serial = serial_number or f"SN-{uuid.uuid4().hex[:8].upper()}"
    await tickets.consumed(
        "fleet",
        fleet.AssetRegistered(
            asset_id=asset_id,
            organisation_id=organisation,
            model_id=uuid.uuid4(),
            model_code="MPC3004",
            model_name="Ricoh MP C3004",
            manufacturer="Ricoh",
            product_reference=None,
            serial_number=serial,
            site_id=uuid.uuid4(),
            site_name="Siège, Lyon",
            location="2e étage, couloir B",
            status=AssetStatus.IN_SERVICE,
            installed_on=dt.date.today() - dt.timedelta(days=20),
            counters=(Counter.BLACK_AND_WHITE, Counter.COLOUR),
            contract=contract,
        ),
        organisation,
    )
    return Machine(asset_id, serial, contract)
