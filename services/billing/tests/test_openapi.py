"""The billing service's OpenAPI document, and the service held to it by generated requests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from services.billing.app import create_app
from services.billing.settings import BillingSettings
from tests.support import TokenIssuer, assert_valid_openapi, fuzz, serving


@pytest.fixture
async def billing_url(billing_settings: Callable[..., BillingSettings]) -> AsyncIterator[str]:
    async with serving(create_app(billing_settings())) as url:
        yield url


async def test_billing_keeps_to_its_valid_document_whatever_it_is_sent(
    billing_url: str, token_issuer: TokenIssuer
) -> None:
    """Customers' operations with a customer's token, the ERP's with an internal system's:
    each side is reached, not just refused."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{billing_url}/openapi.json") as response,
    ):
        assert response.status == 200
        document = await response.json()
    assert_valid_openapi(document)
    assert document["info"]["title"] == "Guichet billing"
    issue = document["paths"]["/erp/invoices"]["post"]
    assert issue["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErpDocument"
    }
    assert {"200", "201", "403", "409", "413", "415", "422"} <= set(issue["responses"])
    pdf = document["paths"]["/invoices/{invoice_id}/pdf"]["get"]
    assert "application/pdf" in pdf["responses"]["200"]["content"]
    erp = {p: v for p, v in document["paths"].items() if p.startswith("/erp/")}
    readers = {p: v for p, v in document["paths"].items() if not p.startswith("/erp/")}
    await fuzz(
        {**document, "paths": readers},
        billing_url,
        headers=token_issuer.bearer(org=uuid.uuid4(), modules=["invoices"]),
        max_examples=15,
    )
    await fuzz(
        {**document, "paths": erp},
        billing_url,
        headers=token_issuer.bearer(sub="gc_erp", role="service", scope="billing:write"),
        max_examples=15,
    )
