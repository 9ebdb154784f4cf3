"""The fleet service under test, organisations known to it through identity's events, and
clients acting as a customer, the back office, an agent or the ERP, with real tokens."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from conftest import Infrastructure
from services.fleet.app import create_app
from services.fleet.settings import FleetSettings
from services.identity import events as identity
from services.identity.domain_types import Branch, OrganisationDetails
from services.tickets.tests.conftest import Client
from shared.events import DomainEvent
from tests.support import ServiceUnderTest, TokenIssuer, consuming_service

CUSTOMER_MODULES = ("fleet", "meter_readings")


@dataclass
class Fleet:
    """What `FleetUnderTest.equip` registered for one organisation."""

    organisation_id: uuid.UUID
    code: str
    site_id: str
    contract_id: str
    model_id: str
    asset_id: str
    serial_number: str


@dataclass
class FleetUnderTest(ServiceUnderTest):
    schema = "fleet"

    url: str
    database_url: str
    kafka_bootstrap: str
    namespace: str
    issuer: TokenIssuer
    session: aiohttp.ClientSession

    def customer(
        self, organisation: uuid.UUID, user: uuid.UUID | None = None, **claims: Any
    ) -> Client:
        user = user or uuid.uuid4()
        claims = {"modules": list(CUSTOMER_MODULES), **claims}
        headers = self.issuer.bearer(sub=str(user), org=organisation, **claims)
        return Client(self.url, headers, user, organisation, self.session)

    def staff(self, role: str = "vendor_back_office") -> Client:
        user = uuid.uuid4()
        return Client(
            self.url, self.issuer.bearer(sub=str(user), role=role), user, None, self.session
        )

    def erp(self, scope: str | None = "fleet:import") -> Client:
        """The vendor's ERP, with client-credentials tokens as identity issues them."""
        headers = self.issuer.bearer(sub="erp-client", role="service", scope=scope, sid=None)
        return Client(self.url, headers, uuid.uuid4(), None, self.session)

    async def publish_identity(self, event: DomainEvent, organisation: uuid.UUID | None) -> None:
        """One of identity's events, as identity publishes it; returns once fleet handled it."""
        await self.consumed("identity", event, organisation)

    async def organisation(
        self, name: str = "Imprimerie Martin", branches: tuple[Branch, ...] = ()
    ) -> tuple[uuid.UUID, str]:
        """A customer organisation registered in identity: its id and code."""
        organisation_id = uuid.uuid4()
        code = f"C{organisation_id.hex[:8].upper()}"
        event = identity.OrganisationRegistered(
            organisation_id=organisation_id,
            code=code,
            status="active",
            language="fr",
            currency="EUR",
            details=OrganisationDetails(legal_name=name, branches=branches),
        )
        await self.publish_identity(event, organisation_id)
        return organisation_id, code

    async def equip(
        self,
        organisation_id: uuid.UUID,
        code: str,
        *,
        prefix: str = "",
        reading_every_days: int = 30,
    ) -> Fleet:
        """A site, a cost-per-page contract read every `reading_every_days`, a colour copier
        model with two consumables, and one copier installed 40 days ago."""
        office = self.staff()
        site = await office.ok(
            "POST",
            "/agent/fleet/sites",
            201,
            json={
                "organisation_id": str(organisation_id),
                "name": f"{prefix}Atelier de Nancy",
                "address": {"line1": "14 rue des Presses", "postal_code": "54000", "city": "Nancy"},
            },
        )
        contract = await office.ok(
            "POST",
            "/agent/fleet/contracts",
            201,
            json={
                "organisation_id": str(organisation_id),
                "number": f"{prefix}CT-{uuid.uuid4().hex[:6]}",
                "contract_type": "full_service",
                "starts_on": "2026-01-01",
                "service_level": "J+1",
                "covers_support": True,
                "covers_interventions": True,
                "reading_every_days": reading_every_days,
            },
        )
        model = await office.ok(
            "POST",
            "/agent/fleet/models",
            201,
            json={
                "code": f"{prefix.strip()}C3226I-{uuid.uuid4().hex[:6]}",
                "name": f"{prefix}imageRUNNER C3226i",
                "manufacturer": "Canon",
                "counters": ["black_and_white", "colour"],
            },
        )
        for reference, description in (("TON-K", "Toner noir"), ("TON-C", "Toner cyan")):
            await office.ok(
                "PUT",
                f"/agent/fleet/models/{model['model_id']}/consumables/{reference}",
                json={"description": description, "max_quantity_per_order": 4},
            )
        serial = f"{prefix}SN{uuid.uuid4().hex[:8].upper()}"
        installed = datetime.now(UTC).date() - timedelta(days=40)
        asset = await office.ok(
            "POST",
            "/agent/fleet/assets",
            201,
            json={
                "organisation_id": str(organisation_id),
                "model_id": model["model_id"],
                "product_reference": "3101C005",
                "serial_number": serial,
                "site_id": site["site_id"],
                "location": "2e étage",
                "installed_on": installed.isoformat(),
                "contract_id": contract["contract_id"],
            },
        )
        return Fleet(
            organisation_id=organisation_id,
            code=code,
            site_id=site["site_id"],
            contract_id=contract["contract_id"],
            model_id=model["model_id"],
            asset_id=asset["asset"]["asset_id"],
            serial_number=serial,
        )


@pytest.fixture
def fleet_settings(service_env: Callable[..., dict[str, Any]]) -> Callable[..., FleetSettings]:
    def build(**overrides: Any) -> FleetSettings:
        return FleetSettings(**service_env(**overrides))

    return build


@pytest.fixture
async def fleet(
    fleet_settings: Callable[..., FleetSettings],
    infrastructure: Infrastructure,
    kafka_namespace: str,
    token_issuer: TokenIssuer,
) -> AsyncIterator[FleetUnderTest]:
    settings = fleet_settings()
    async with consuming_service(
        create_app(settings), infrastructure.kafka_bootstrap, kafka_namespace, ["identity"]
    ) as (url, session):
        yield FleetUnderTest(
            url,
            settings.database_url,
            infrastructure.kafka_bootstrap,
            kafka_namespace,
            token_issuer,
            session,
        )
