"""The tickets HTTP API as a client meets it: answers, errors, and organisation walls."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import asyncpg
import pytest

from services.tickets.app import create_app
from services.tickets.settings import TicketsSettings
from shared.http.app import AuthenticationNotConfigured
from tests.support import TokenIssuer, serving

ORG_A = str(uuid.uuid4())
ORG_B = str(uuid.uuid4())
VALID = {
    "title": "Le copieur affiche E-203",
    "description": "Depuis ce matin, impossible d'imprimer.",
    "priority": "high",
    "requester_email": "claire@client.example",
}


@pytest.fixture
async def tickets_url(
    tickets_settings: Callable[..., TicketsSettings],
) -> AsyncIterator[str]:
    async with serving(create_app(tickets_settings())) as url:
        yield url


@pytest.fixture
def as_org(token_issuer: TokenIssuer) -> Callable[[str], dict[str, str]]:
    """Headers of a customer user of `organisation` with the tickets module: a real token."""

    def headers(organisation: str) -> dict[str, str]:
        return token_issuer.bearer(org=organisation, modules=["tickets"])

    return headers


async def events_stored(database_url: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetchval("SELECT count(*) FROM tickets.events")
    finally:
        await connection.close()


async def test_a_new_ticket_is_answered_with_its_number_and_can_be_read_back(
    tickets_url: str, as_org: Callable[[str], dict[str, str]]
) -> None:
    async with aiohttp.ClientSession(headers=as_org(ORG_A)) as session:
        async with session.post(f"{tickets_url}/tickets", json=VALID) as response:
            assert response.status == 201
            created = await response.json()
            location = response.headers["Location"]
        async with session.get(f"{tickets_url}{location}") as response:
            assert response.status == 200
            fetched = await response.json()
    assert fetched["ticket"] == created
    assert created["title"] == VALID["title"]
    assert created["status"] == "new"
    assert created["priority"] == "high"
    assert created["number"] >= 1000


async def test_another_organisation_cannot_see_the_ticket(
    tickets_url: str, as_org: Callable[[str], dict[str, str]]
) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{tickets_url}/tickets", json=VALID, headers=as_org(ORG_A)
        ) as response:
            location = response.headers["Location"]
        async with session.get(f"{tickets_url}{location}", headers=as_org(ORG_B)) as response:
            assert response.status == 404
            assert response.content_type == "application/problem+json"
        async with session.get(f"{tickets_url}{location}") as response:
            assert response.status == 401
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("body", "headers", "status", "fields"),
    [
        ({**VALID, "title": "  "}, {}, 422, {"title"}),
        ({**VALID, "requester_email": "not-an-email"}, {}, 422, {"requester_email"}),
        ({**VALID, "priority": "whenever"}, {}, 422, {"priority"}),
        ({k: v for k, v in VALID.items() if k != "description"}, {}, 422, {"description"}),
        ({**VALID, "organisation_id": ORG_B}, {}, 422, {"organisation_id"}),
        (b'{"title": "unterminated', {"Content-Type": "application/json"}, 400, None),
        (b"title=x", {"Content-Type": "application/x-www-form-urlencoded"}, 415, None),
        (VALID, {"Authorization": "Bearer not-a-token"}, 401, None),
    ],
    ids=[
        "blank-title",
        "bad-email",
        "unknown-priority",
        "missing-description",
        "organisation-in-body",
        "malformed-json",
        "not-json",
        "bad-token",
    ],
)
async def test_a_bad_request_is_a_clear_4xx_problem_and_appends_nothing(
    tickets_url: str,
    database_url: str,
    as_org: Callable[[str], dict[str, str]],
    body: dict | bytes,
    headers: dict[str, str],
    status: int,
    fields: set[str] | None,
) -> None:
    sent_headers = {**as_org(ORG_A), **headers}
    async with aiohttp.ClientSession() as session:
        payload = {"data": body} if isinstance(body, bytes) else {"json": body}
        async with session.post(
            f"{tickets_url}/tickets", headers=sent_headers, **payload
        ) as response:
            assert response.status == status
            assert response.content_type == "application/problem+json"
            problem = await response.json(content_type=None)
    assert problem["status"] == status
    assert problem["title"]
    if fields is not None:
        assert {error["field"] for error in problem["errors"]} == fields
    assert await events_stored(database_url) == 0


async def test_an_unknown_ticket_id_is_not_found(
    tickets_url: str, as_org: Callable[[str], dict[str, str]]
) -> None:
    async with aiohttp.ClientSession(headers=as_org(ORG_A)) as session:
        for ticket_id in (uuid.uuid4(), "not-a-uuid"):
            async with session.get(f"{tickets_url}/tickets/{ticket_id}") as response:
                assert response.status == 404


async def test_tickets_are_refused_without_the_module_or_an_organisation(
    tickets_url: str, database_url: str, token_issuer: TokenIssuer
) -> None:
    refused = {
        "no-module": token_issuer.bearer(org=ORG_A, modules=["invoices"]),
        "no-organisation": token_issuer.bearer(role="vendor_agent"),
    }
    async with aiohttp.ClientSession() as session:
        for headers in refused.values():
            async with session.post(
                f"{tickets_url}/tickets", json=VALID, headers=headers
            ) as response:
                assert response.status == 403
                assert response.content_type == "application/problem+json"
    assert await events_stored(database_url) == 0


async def test_a_token_of_another_issuer_or_expired_is_unauthenticated(
    tickets_url: str, token_issuer: TokenIssuer
) -> None:
    foreign = TokenIssuer("http://portal.test")  # same issuer name, a key nobody published
    tokens = [
        foreign.mint(org=ORG_A, modules=["tickets"]),
        token_issuer.mint(org=ORG_A, modules=["tickets"], iss="http://elsewhere.test"),
        token_issuer.mint(org=ORG_A, modules=["tickets"], exp=1_000_000, iat=999_000),
    ]
    async with aiohttp.ClientSession() as session:
        for token in tokens:
            async with session.post(
                f"{tickets_url}/tickets", json=VALID, headers={"Authorization": f"Bearer {token}"}
            ) as response:
                assert response.status == 401
                assert "invalid_token" in response.headers["WWW-Authenticate"]


async def test_the_service_refuses_to_start_without_a_way_to_verify_tokens(
    service_env: Callable[..., dict[str, Any]],
) -> None:
    with pytest.raises(AuthenticationNotConfigured, match="GUICHET_IDENTITY_URL"):
        create_app(TicketsSettings(**service_env(identity_url=None)))
