"""The tickets service's OpenAPI document, and the service held to it by generated requests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from services.tickets.app import create_app
from services.tickets.settings import TicketsSettings
from tests.support import TokenIssuer, assert_valid_openapi, fuzz, serving


@pytest.fixture
async def tickets_url(
    tickets_settings: Callable[..., TicketsSettings],
) -> AsyncIterator[str]:
    async with serving(create_app(tickets_settings())) as url:
        yield url


async def test_tickets_serves_a_valid_openapi_3_1_document(tickets_url: str) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{tickets_url}/openapi.json") as response,
    ):
        assert response.status == 200
        document = await response.json()
    assert_valid_openapi(document)
    assert document["info"]["title"] == "Guichet tickets"
    open_ticket = document["paths"]["/tickets"]["post"]
    get_ticket = document["paths"]["/tickets/{ticket_id}"]["get"]
    assert (open_ticket["operationId"], get_ticket["operationId"]) == ("open_ticket", "get_ticket")
    ticket = {"$ref": "#/components/schemas/TicketView"}
    assert open_ticket["responses"]["201"]["content"]["application/json"]["schema"] == ticket
    assert get_ticket["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TicketPage"
    }
    assert open_ticket["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OpenTicketRequest"
    }
    assert {"400", "401", "403", "415", "422"} <= set(open_ticket["responses"])
    assert "404" in get_ticket["responses"]
    for described in (open_ticket, get_ticket):
        assert described["security"] == [{"bearer": []}]
    assert "/healthz" not in document["paths"]
    assert {"/tickets/export.xlsx", "/agent/tickets", "/tickets/uploads"} <= set(document["paths"])


async def test_tickets_keeps_to_its_document_whatever_it_is_sent(
    tickets_url: str, token_issuer: TokenIssuer
) -> None:
    """Customers' operations with a customer's token, agents' with an agent's: each side is
    reached, not just refused."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{tickets_url}/openapi.json") as response,
    ):
        document = await response.json()
    agents = {p: v for p, v in document["paths"].items() if p.startswith("/agent/")}
    customers = {p: v for p, v in document["paths"].items() if not p.startswith("/agent/")}
    await fuzz(
        {**document, "paths": customers},
        tickets_url,
        headers=token_issuer.bearer(org=uuid.uuid4(), modules=["tickets", "fleet"]),
        max_examples=15,
    )
    await fuzz(
        {**document, "paths": agents},
        tickets_url,
        headers=token_issuer.bearer(role="vendor_agent"),
        max_examples=15,
    )
