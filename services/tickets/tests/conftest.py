"""The tickets service under test, real users known to it through identity's events, and
clients that act as a customer or an agent with real tokens."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from conftest import Infrastructure
from devstack.objectstore import ObjectStore
from services.identity import events as identity
from services.tickets.app import create_app
from services.tickets.settings import TicketsSettings
from shared.events import DomainEvent
from tests.support import ApiClient, ServiceUnderTest, TokenIssuer, consuming_service


@dataclass
class Client(ApiClient):
    """Someone calling the tickets service with their own real token."""

    async def open(self, **fields: Any) -> dict[str, Any]:
        body = {
            "title": "Le copieur affiche E-203",
            "description": "Plus rien ne sort.",
            "requester_email": "requester@client.example",
            **fields,
        }
        body = {k: v for k, v in body.items() if v is not None}
        return await self.ok("POST", "/tickets", 201, json=body)


@dataclass
class TicketsUnderTest(ServiceUnderTest):
    schema = "tickets"

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
        claims = {"modules": ["tickets"], **claims}
        headers = self.issuer.bearer(sub=str(user), org=organisation, **claims)
        return Client(self.url, headers, user, organisation, self.session)

    def agent(self, user: uuid.UUID | None = None) -> Client:
        user = user or uuid.uuid4()
        headers = self.issuer.bearer(sub=str(user), role="vendor_agent")
        return Client(self.url, headers, user, None, self.session)

    async def publish_identity(self, event: DomainEvent, organisation: uuid.UUID | None) -> None:
        """One of identity's events, as identity publishes it; returns once tickets handled it."""
        await self.consumed("identity", event, organisation)

    async def colleague(
        self, organisation: uuid.UUID, *, first_name: str = "Claire", last_name: str = "Martin"
    ) -> uuid.UUID:
        user_id = uuid.uuid4()
        await self.grant(user_id, organisation, first_name=first_name, last_name=last_name)
        return user_id

    async def grant(
        self, user_id: uuid.UUID, organisation: uuid.UUID, *, first_name: str, last_name: str
    ) -> None:
        event = identity.PortalAccessGranted(
            user_id=user_id,
            organisation_id=organisation,
            contact_id=uuid.uuid4(),
            user_code=f"U{uuid.uuid4().hex[:6]}",
            email=f"{first_name.lower()}.{user_id.hex[:6]}@client.example",
            first_name=first_name,
            last_name=last_name,
            language="fr",
            role="customer_user",
            modules=frozenset({"tickets"}),
            granted_by=uuid.uuid4(),
        )
        await self.publish_identity(event, organisation)

    async def staff_member(self, first_name: str = "Paul") -> uuid.UUID:
        user_id = uuid.uuid4()
        event = identity.StaffAccountCreated(
            user_id=user_id,
            user_code=f"S{uuid.uuid4().hex[:6]}",
            email=f"{first_name.lower()}.{user_id.hex[:6]}@vendor.example",
            first_name=first_name,
            last_name="Support",
            language="fr",
            role="vendor_agent",
        )
        await self.publish_identity(event, None)
        return user_id


@pytest.fixture
def tickets_settings(
    service_env: Callable[..., dict[str, Any]], tmp_path: Path
) -> Callable[..., TicketsSettings]:
    def build(**overrides: Any) -> TicketsSettings:
        return TicketsSettings(**service_env(attachments_dir=tmp_path / "attachments", **overrides))

    return build


@pytest.fixture
def s3_attachments(object_store: ObjectStore, s3_bucket: str) -> dict[str, Any]:
    """Settings that store attachments in a fresh bucket of the tests' S3 server."""
    return {
        "attachments_s3_bucket": s3_bucket,
        "attachments_s3_url": object_store.endpoint_url,
        "attachments_s3_region": object_store.region,
        "attachments_s3_path_style": True,
        "attachments_s3_access_key_id": object_store.access_key_id,
        "attachments_s3_secret_access_key": object_store.secret_access_key,
    }


StartTickets = Callable[..., AbstractAsyncContextManager[TicketsUnderTest]]


@pytest.fixture
def start_tickets(
    tickets_settings: Callable[..., TicketsSettings],
    infrastructure: Infrastructure,
    kafka_namespace: str,
    token_issuer: TokenIssuer,
) -> StartTickets:
    """`async with start_tickets(**settings) as tickets`: the service with those settings."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[TicketsUnderTest]:
        settings = tickets_settings(**overrides)
        async with consuming_service(
            create_app(settings),
            infrastructure.kafka_bootstrap,
            kafka_namespace,
            ["identity", "fleet"],
        ) as (url, session):
            yield TicketsUnderTest(
                url,
                settings.database_url,
                infrastructure.kafka_bootstrap,
                kafka_namespace,
                token_issuer,
                session,
            )

    return start


@pytest.fixture
async def tickets(start_tickets: StartTickets) -> AsyncIterator[TicketsUnderTest]:
    async with start_tickets() as under_test:
        yield under_test
