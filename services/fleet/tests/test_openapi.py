"""The fleet service's OpenAPI document, and the service held to it by generated requests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest

from services.fleet.app import create_app
from services.fleet.settings import FleetSettings
from tests.support import TokenIssuer, assert_valid_openapi, fuzz, serving


@pytest.fixture
async def fleet_url(fleet_settings: Callable[..., FleetSettings]) -> AsyncIterator[str]:
    async with serving(create_app(fleet_settings())) as url:
        yield url


async def test_fleet_keeps_to_its_document_whatever_it_is_sent(
    fleet_url: str, token_issuer: TokenIssuer
) -> None:
    """Customers' operations with a customer's token, the back office's with a back-office
    token, the import with the ERP's: each side is reached, not just refused."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fleet_url}/openapi.json") as response,
    ):
        assert response.status == 200
        document = await response.json()
    assert_valid_openapi(document)
    assert document["info"]["title"] == "Guichet fleet"
    reading = document["paths"]["/meter-readings"]["post"]
    assert {"401", "403", "404", "422"} <= set(reading["responses"])

    def only(keep: Callable[[str], bool]) -> dict[str, object]:
        return {**document, "paths": {p: v for p, v in document["paths"].items() if keep(p)}}

    await fuzz(
        only(lambda path: path.startswith(("/fleet", "/meter-readings"))),
        fleet_url,
        headers=token_issuer.bearer(org=uuid.uuid4(), modules=["fleet", "meter_readings"]),
        max_examples=6,
    )
    await fuzz(
        only(lambda path: path.startswith("/agent/")),
        fleet_url,
        headers=token_issuer.bearer(role="vendor_back_office"),
        max_examples=6,
    )
    await fuzz(
        only(lambda path: path.startswith("/import/")),
        fleet_url,
        headers=token_issuer.bearer(sub="erp", role="service", scope="fleet:import"),
        max_examples=6,
    )
