"""The notifications service's OpenAPI document, and the service held to it by generated
requests: bad input is a problem+json 4xx, never a 500."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from shared.sealing import new_sealing_key
from tests.support import TokenIssuer, assert_valid_openapi, fuzz, serving


@pytest.fixture
async def notifications_url(service_env: Callable[..., dict[str, Any]]) -> AsyncIterator[str]:
    settings = NotificationsSettings(**service_env(sealing_key=new_sealing_key()))
    async with serving(create_app(settings)) as url:
        yield url


async def test_notifications_serves_a_valid_openapi_3_1_document(notifications_url: str) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{notifications_url}/openapi.json") as response,
    ):
        assert response.status == 200
        document = await response.json()
    assert_valid_openapi(document)
    assert set(document["paths"]) == {
        "/me/notification-preferences",
        "/organisation/email-log",
        "/email-log",
        "/organisation/webhooks",
        "/organisation/webhooks/event-types",
        "/organisation/webhooks/{endpoint_id}",
        "/organisation/webhooks/{endpoint_id}/enable",
        "/organisation/webhooks/{endpoint_id}/deliveries",
    }


@pytest.mark.parametrize(
    ("claims", "paths"),
    [
        ({"role": "customer_admin", "org": uuid.uuid4()}, lambda path: path != "/email-log"),
        ({"role": "vendor_back_office"}, lambda path: path == "/email-log"),
    ],
    ids=["customer admin", "vendor staff"],
)
async def test_notifications_keeps_to_its_document_whatever_it_is_sent(
    notifications_url: str,
    token_issuer: TokenIssuer,
    claims: dict[str, Any],
    paths: Callable[[str], bool],
) -> None:
    """Each role's routes (the others are a 403 for it, which proves nothing)."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{notifications_url}/openapi.json") as response,
    ):
        document = await response.json()
    document["paths"] = {path: item for path, item in document["paths"].items() if paths(path)}
    await fuzz(
        document,
        notifications_url,
        headers=token_issuer.bearer(sub=str(uuid.uuid4()), **claims),
        max_examples=10,
    )
