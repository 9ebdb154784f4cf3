"""The billing service under test, organisations known to it through identity's events, and
clients with real tokens: the ERP (an internal system with the billing:write scope), a
customer with the invoices module, the vendor's staff."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pypdf
import pytest

from conftest import Infrastructure
from services.billing.app import create_app
from services.billing.settings import BillingSettings
from services.identity import events as identity
from services.identity.domain_types import Address, OrganisationDetails
from tests.support import ApiClient, ServiceUnderTest, TokenIssuer, consuming_service

ERP_CLIENT = "gc_erp_test"


def invoice_body(customer_code: str, number: str | None = None, **fields: Any) -> dict[str, Any]:
    """A valid invoice as an ERP sends it: two lines, 20 % VAT."""
    body: dict[str, Any] = {
        "number": number or f"FA-{uuid.uuid4().hex[:8].upper()}",
        "customer_code": customer_code,
        "issue_date": "2026-11-02",
        "due_date": "2026-12-02",
        "currency": "EUR",
        "lines": [
            {
                "description": "Toner noir TK-5240",
                "reference": "TK5240",
                "quantity": "2",
                "unit_price_excl_tax": "89.90",
                "tax_rate": "20",
                "total_excl_tax": "179.80",
            },
            {
                "description": "Maintenance trimestrielle du copieur",
                "quantity": "1",
                "unit_price_excl_tax": "150.00",
                "tax_rate": "20",
                "total_excl_tax": "150.00",
            },
        ],
        "total_excl_tax": "329.80",
        "total_tax": "65.96",
        "total_incl_tax": "395.76",
        "order_reference": "CMD-2026-118",
    }
    return {**body, **fields}


def pdf_text(content: bytes) -> str:
    """The text a reader of the PDF sees, extracted as a PDF reader does (no-break spaces, as
    in "1 234,50 €", read as spaces)."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")


def zip_entries(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


@dataclass
class BillingUnderTest(ServiceUnderTest):
    schema = "billing"
    url: str
    database_url: str
    kafka_bootstrap: str
    namespace: str
    issuer: TokenIssuer
    session: aiohttp.ClientSession
    files: Path

    def stored_files(self) -> list[Path]:
        return [path for path in self.files.rglob("*") if path.is_file()]

    def erp(self, scope: str = "billing:write") -> ApiClient:
        headers = self.issuer.bearer(sub=ERP_CLIENT, role="service", scope=scope, sid=None)
        return ApiClient(self.url, headers, uuid.uuid4(), None, self.session)

    def customer(self, organisation: uuid.UUID, **claims: Any) -> ApiClient:
        user = uuid.uuid4()
        claims = {"modules": ["invoices"], **claims}
        headers = self.issuer.bearer(sub=str(user), org=organisation, **claims)
        return ApiClient(self.url, headers, user, organisation, self.session)

    def staff(self, role: str = "vendor_back_office") -> ApiClient:
        user = uuid.uuid4()
        headers = self.issuer.bearer(sub=str(user), role=role)
        return ApiClient(self.url, headers, user, None, self.session)

    async def organisation(
        self, legal_name: str = "Imprimerie Martin", *, language: str = "fr"
    ) -> tuple[uuid.UUID, str]:
        """A customer organisation registered in identity, as billing learns of it: its id
        and its code."""
        organisation_id = uuid.uuid4()
        code = f"C{uuid.uuid4().hex[:8].upper()}"
        event = identity.OrganisationRegistered(
            organisation_id=organisation_id,
            code=code,
            status="active",
            language=language,
            currency="EUR",
            details=OrganisationDetails(
                legal_name=legal_name,
                billing_address=Address(
                    line1="14 rue des Presses", postal_code="54000", city="Nancy", country="FR"
                ),
            ),
        )
        await self.consumed("identity", event, organisation_id)
        return organisation_id, code

    async def issue(self, customer_code: str, status: int = 201, **fields: Any) -> dict[str, Any]:
        return await self.erp().ok(
            "POST", "/erp/invoices", status, json=invoice_body(customer_code, **fields)
        )

    async def pay(self, number: str, amount: str, reference: str | None = None) -> dict[str, Any]:
        payment = {
            "invoice_number": number,
            "payment_reference": reference or f"VIR-{uuid.uuid4().hex[:8]}",
            "amount": amount,
            "paid_on": "2026-11-20",
        }
        return await self.erp().ok("POST", "/erp/payments", 201, json=payment)


@pytest.fixture
def billing_settings(
    service_env: Callable[..., dict[str, Any]], tmp_path: Path
) -> Callable[..., BillingSettings]:
    def build(**overrides: Any) -> BillingSettings:
        return BillingSettings(
            **service_env(
                attachments_dir=tmp_path / "invoices",
                vendor_name="Bureautique de l'Est",
                **overrides,
            )
        )

    return build


@pytest.fixture
async def billing(
    billing_settings: Callable[..., BillingSettings],
    infrastructure: Infrastructure,
    kafka_namespace: str,
    token_issuer: TokenIssuer,
) -> AsyncIterator[BillingUnderTest]:
    settings = billing_settings()
    async with consuming_service(
        create_app(settings),
        infrastructure.kafka_bootstrap,
        kafka_namespace,
        ["identity", "orders"],
    ) as (url, session):
        yield BillingUnderTest(
            url,
            settings.database_url,
            infrastructure.kafka_bootstrap,
            kafka_namespace,
            token_issuer,
            session,
            settings.attachments_dir,
        )
