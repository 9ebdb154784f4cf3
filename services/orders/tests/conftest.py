"""The orders service under test, started once per test module (each start pays a Kafka
group join), fed identity's and fleet's events as those services publish them, and clients
acting as a customer or the vendor's staff with real tokens."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pypdf
import pytest

from conftest import Infrastructure
from devstack import postgres
from services.fleet import events as fleet
from services.fleet.domain_types import AssetStatus, Counter, ReadingSource
from services.identity import events as identity
from services.identity.domain_types import Branch, OrganisationDetails
from services.orders.app import create_app
from services.orders.settings import OrdersSettings
from shared.events import DomainEvent
from tests.support import ApiClient, ServiceUnderTest, TokenIssuer, consuming_service, eventually
from tests.support import publish as publish_event


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")


@dataclass
class Shop:
    """One organisation's machine, as fleet told orders of it, and a customer user of it."""

    organisation_id: uuid.UUID
    site_id: uuid.UUID
    model_id: uuid.UUID
    asset_id: uuid.UUID
    serial_number: str
    buyer: ApiClient


@dataclass
class OrdersUnderTest(ServiceUnderTest):
    schema = "orders"

    url: str
    database_url: str
    kafka_bootstrap: str
    namespace: str
    issuer: TokenIssuer
    session: aiohttp.ClientSession

    def customer(
        self, organisation: uuid.UUID, user: uuid.UUID | None = None, **claims: Any
    ) -> ApiClient:
        user = user or uuid.uuid4()
        claims = {"modules": ["orders", "fleet"], **claims}
        headers = self.issuer.bearer(sub=str(user), org=organisation, **claims)
        return ApiClient(self.url, headers, user, organisation, self.session)

    def staff(self, role: str = "vendor_back_office") -> ApiClient:
        user = uuid.uuid4()
        headers = self.issuer.bearer(sub=str(user), role=role)
        return ApiClient(self.url, headers, user, None, self.session)

    async def feed(self, *events: tuple[str, DomainEvent, uuid.UUID | None]) -> None:
        """Other services' events (source, event, organisation), published as they publish
        them; returns once orders handled every one."""
        [before] = await self.sql("SELECT count(*) AS n FROM inbox")
        await asyncio.gather(
            *(
                publish_event(
                    self.kafka_bootstrap,
                    f"{self.namespace}.{source}",
                    event,
                    source=source,
                    organisation=organisation,
                )
                for source, event, organisation in events
            )
        )

        async def handled() -> bool:
            [now] = await self.sql("SELECT count(*) AS n FROM inbox")
            return now["n"] >= before["n"] + len(events)

        await eventually(handled, timeout=30)

    async def shop(
        self,
        name: str = "Imprimerie Martin",
        *,
        branch: uuid.UUID | None = None,
        max_per_order: int = 4,
        prefix: str = "",
    ) -> Shop:
        """An organisation with a site (of `branch`), a colour copier model listing TON-K and
        TON-C (at most `max_per_order` each), one copier there, and a customer user whose
        email orders knows."""
        organisation = uuid.uuid4()
        site, model, asset, user = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        serial = f"{prefix}SN{uuid.uuid4().hex[:8].upper()}"
        branches = (Branch(branch_id=branch, name="Agence"),) if branch else ()
        await self.feed(
            (
                "identity",
                identity.OrganisationRegistered(
                    organisation_id=organisation,
                    code=f"C{organisation.hex[:8].upper()}",
                    status="active",
                    language="fr",
                    currency="EUR",
                    details=OrganisationDetails(legal_name=name, branches=branches),
                ),
                organisation,
            ),
            ("identity", grant(user, organisation), organisation),
            (
                "fleet",
                fleet.SiteRegistered(
                    site_id=site,
                    organisation_id=organisation,
                    name=f"{prefix}Atelier de Nancy",
                    address=fleet.SiteAddress(line1="14 rue des Presses", city="Nancy"),
                    branch_id=branch,
                ),
                organisation,
            ),
            *(
                (
                    "fleet",
                    fleet.ConsumableReferenceListed(
                        model_id=model,
                        model_code="C3226I",
                        reference=reference,
                        description=description,
                        max_quantity_per_order=max_per_order,
                    ),
                    None,
                )
                for reference, description in (("TON-K", "Toner noir"), ("TON-C", "Toner cyan"))
            ),
            ("fleet", machine(asset, organisation, model, site, serial, prefix), organisation),
        )
        return Shop(organisation, site, model, asset, serial, self.customer(organisation, user))

    async def reading(
        self, shop: Shop, read_on: dt.date, counters: dict[Counter, int], previous: dict
    ) -> None:
        event = fleet.MeterReadingRecorded(
            reading_id=uuid.uuid4(),
            asset_id=shop.asset_id,
            organisation_id=shop.organisation_id,
            read_on=read_on,
            counters=counters,
            previous=previous,
            source=ReadingSource.CUSTOMER,
            recorded_by=None,
            serial_number=shop.serial_number,
            model_name="imageRUNNER C3226i",
            site_name="Atelier de Nancy",
        )
        await self.feed(("fleet", event, shop.organisation_id))

    async def order(self, shop: Shop, **entry: Any) -> dict[str, Any]:
        """One order of the shop's copier placed through the cart."""
        body = {"lines": [{"reference": "TON-K", "quantity": 2, "stock_on_hand": 1}], **entry}
        await shop.buyer.ok("PUT", f"/cart/assets/{shop.asset_id}", json=body)
        placed = await shop.buyer.ok("POST", "/cart/checkout", 201)
        [order] = placed["orders"]
        return order


def grant(user: uuid.UUID, organisation: uuid.UUID) -> identity.PortalAccessGranted:
    return identity.PortalAccessGranted(
        user_id=user,
        organisation_id=organisation,
        contact_id=uuid.uuid4(),
        user_code=f"U{user.hex[:6]}",
        email=f"claire.{user.hex[:6]}@imprimerie-martin.fr",
        first_name="Claire",
        last_name="Martin",
        language="fr",
        role="customer_user",
        modules=frozenset({"orders", "fleet"}),
        granted_by=uuid.uuid4(),
    )


def machine(
    asset: uuid.UUID,
    organisation: uuid.UUID,
    model: uuid.UUID,
    site: uuid.UUID,
    serial: str,
    prefix: str = "",
) -> fleet.AssetRegistered:
    return fleet.AssetRegistered(
        asset_id=asset,
        organisation_id=organisation,
        model_id=model,
        model_code="C3226I",
        model_name=f"{prefix}imageRUNNER C3226i",
        manufacturer="Canon",
        product_reference=None,
        serial_number=serial,
        site_id=site,
        site_name=f"{prefix}Atelier de Nancy",
        location="2e étage",
        status=AssetStatus.IN_SERVICE,
        installed_on=dt.date(2026, 1, 5),
        counters=(Counter.BLACK_AND_WHITE, Counter.COLOUR),
    )


@pytest.fixture(scope="module")
async def orders(
    infrastructure: Infrastructure, token_issuer: TokenIssuer
) -> AsyncIterator[OrdersUnderTest]:
    database = f"test_{uuid.uuid4().hex[:12]}"
    await postgres.ensure_database(infrastructure.database_url("postgres"), database)
    namespace = f"t{uuid.uuid4().hex[:12]}"
    settings = OrdersSettings(
        database_url=infrastructure.database_url(database),
        kafka_bootstrap=infrastructure.kafka_bootstrap,
        kafka_namespace=namespace,
        public_url="http://portal.test/",
        identity_url=token_issuer.url,
        vendor_name="Bureautique de l'Est",
    )
    async with consuming_service(
        create_app(settings), infrastructure.kafka_bootstrap, namespace, ["identity", "fleet"]
    ) as (url, session):
        yield OrdersUnderTest(
            url,
            settings.database_url,
            infrastructure.kafka_bootstrap,
            namespace,
            token_issuer,
            session,
        )
