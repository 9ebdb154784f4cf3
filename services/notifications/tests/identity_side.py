"""Identity's side of the wire, for notifications' tests: identity's event store relayed to
the real broker, one notifications service consuming it, and the facts identity publishes."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiohttp import web

from conftest import Infrastructure
from devstack import postgres
from services.identity import events as identity
from services.notifications.app import create_app as create_notifications
from services.notifications.settings import NotificationsSettings
from shared.auth.claims import Module, Role
from shared.cloudevents import CloudEvent
from shared.db import create_pool, migrate
from shared.events import DomainEvent
from shared.eventstore import EventContext, EventStore, RecordedEvent
from shared.kafka import event_source, service_topic
from shared.outbox import OutboxRelay, RelayConfig
from shared.sealing import Sealer, new_sealing_key
from shared.wakeup import outbox_channel
from tests.support import (
    KAFKA_SESSION_TIMEOUT_MS,
    MailCatcher,
    TokenIssuer,
    eventually,
    in_background,
    send_envelopes,
    serving,
)

VENDOR = "Copieurs Durand"
PORTAL = "http://portal.test/"
# 13:05 UTC on 1 March is 14:05 in Paris (winter time).
EXPIRES = datetime(2031, 3, 1, 13, 5, tzinfo=UTC)


@dataclass(kw_only=True)
class IdentityWire:
    """Identity's side of the wire, as far as notifications can tell: its event store,
    relayed to its topic, and its sealing key; and where a notifications service would keep
    its tables (the same database) and read its topic (the same namespace)."""

    pool: asyncpg.Pool
    store: EventStore
    sealer: Sealer
    sealing_key: str
    bootstrap: str
    topic: str
    mail: MailCatcher
    database_url: str
    namespace: str
    smtp_url: str
    versions: dict[str, int] = field(default_factory=dict)

    def notifications_settings(self, token_issuer: TokenIssuer, **settings: Any) -> dict[str, Any]:
        """Settings of a notifications service on this wire; `settings` override them."""
        return {
            "database_url": self.database_url,
            "kafka_bootstrap": self.bootstrap,
            "kafka_session_timeout_ms": KAFKA_SESSION_TIMEOUT_MS,
            "kafka_namespace": self.namespace,
            "public_url": PORTAL,
            "smtp_url": self.smtp_url,
            "vendor_name": VENDOR,
            "sealing_key": self.sealing_key,
            "identity_url": token_issuer.url,
            **settings,
        }

    async def publish(
        self, stream: uuid.UUID, *events: DomainEvent, organisation_id: uuid.UUID | None = None
    ) -> list[RecordedEvent]:
        stream_id = str(stream)
        async with self.pool.acquire() as connection, connection.transaction():
            recorded = await self.store.append(
                connection,
                stream_id=stream_id,
                stream_type="identity",
                expected_version=self.versions.get(stream_id, 0),
                events=list(events),
                context=EventContext.new(organisation_id=organisation_id),
            )
        self.versions[stream_id] = recorded[-1].version
        return recorded

    async def settled(
        self, stream: uuid.UUID, *events: DomainEvent, organisation_id: uuid.UUID | None = None
    ) -> list[RecordedEvent]:
        """Publish, and wait until notifications has handled it: facts of another aggregate
        may otherwise overtake them, which is not what the test is about."""
        recorded = await self.publish(stream, *events, organisation_id=organisation_id)
        ids = [r.event_id for r in recorded]

        async def handled() -> bool:
            count = await self.pool.fetchval(
                "SELECT count(*) FROM notifications.inbox WHERE event_id = ANY($1)", ids
            )
            return count == len(ids)

        await eventually(handled)
        return recorded

    async def deliver_again(self, recorded: RecordedEvent) -> None:
        """What a broker or a relay may do: the very same CloudEvent, once more."""
        envelope = CloudEvent.from_recorded(recorded, event_source("identity"))
        await send_envelopes(self.bootstrap, self.topic, envelope)

    def invitation(self, user_id: uuid.UUID) -> tuple[str, identity.OneTimeLink]:
        token = secrets.token_urlsafe(32)
        sealed = self.sealer.seal(token, subject=str(user_id))
        return token, identity.OneTimeLink(sealed_token=sealed, expires_at=EXPIRES)


@dataclass(kw_only=True)
class Identity(IdentityWire):
    """The wire, with one notifications service consuming it in this process."""

    url: str
    """Where the notifications service answers HTTP."""
    app: web.Application


@asynccontextmanager
async def identity_wire(infrastructure: Infrastructure) -> AsyncIterator[IdentityWire]:
    """A database of its own with identity's event store relayed to a namespace of its own."""
    database = f"test_{uuid.uuid4().hex[:12]}"
    await postgres.ensure_database(infrastructure.database_url("postgres"), database)
    database_url = infrastructure.database_url(database)
    namespace = f"t{uuid.uuid4().hex[:12]}"
    key = new_sealing_key()
    # Identity's event store and outbox are the kit's tables in its schema.
    await migrate(database_url, "identity", None)
    pool = await create_pool(database_url, "identity", min_size=1, max_size=4)
    relay = OutboxRelay(
        RelayConfig(
            database_url=database_url,
            schema="identity",
            service="identity",
            kafka_bootstrap=infrastructure.kafka_bootstrap,
            kafka_namespace=namespace,
        )
    )
    try:
        async with in_background(relay.run()):
            yield IdentityWire(
                pool=pool,
                store=EventStore(identity.registry, outbox_channel("identity")),
                sealer=Sealer(key),
                sealing_key=key,
                bootstrap=infrastructure.kafka_bootstrap,
                topic=service_topic(namespace, "identity"),
                mail=infrastructure.mail,
                database_url=database_url,
                namespace=namespace,
                smtp_url=infrastructure.smtp_url,
            )
    finally:
        await pool.close()


@asynccontextmanager
async def identity_side(
    infrastructure: Infrastructure, token_issuer: TokenIssuer, **settings: Any
) -> AsyncIterator[Identity]:
    """The wire, and one notifications service consuming it in this process, accepting
    `token_issuer`'s tokens; `settings` override notifications' own."""
    async with identity_wire(infrastructure) as wire:
        app = create_notifications(
            NotificationsSettings(**wire.notifications_settings(token_issuer, **settings))
        )
        async with serving(app) as url:
            yield Identity(
                **{each.name: getattr(wire, each.name) for each in fields(wire)},
                url=url,
                app=app,
            )


# --- facts -----------------------------------------------------------------------------------


def address(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:8]}@client.example"


def registered(
    organisation_id: uuid.UUID, legal_name: str = "Imprimerie Martin", language: str = "fr"
) -> identity.OrganisationRegistered:
    return identity.OrganisationRegistered(
        organisation_id=organisation_id,
        code=f"C{uuid.uuid4().hex[:6]}",
        status="active",
        language=language,
        currency="EUR",
        details={"legal_name": legal_name},
    )


def granted(
    user_id: uuid.UUID,
    organisation_id: uuid.UUID,
    email: str,
    *,
    language: str = "fr",
    invitation: identity.OneTimeLink | None = None,
    first_name: str = "Marie",
    user_code: str = "MDUPONT",
) -> identity.PortalAccessGranted:
    return identity.PortalAccessGranted(
        user_id=user_id,
        organisation_id=organisation_id,
        contact_id=uuid.uuid4(),
        user_code=user_code,
        email=email,
        first_name=first_name,
        last_name="Dupont",
        language=language,
        role=Role.CUSTOMER_USER,
        modules=frozenset({Module.TICKETS}),
        granted_by=uuid.uuid4(),
        invitation=invitation,
    )


def self_registered(
    user_id: uuid.UUID,
    organisation_id: uuid.UUID,
    email: str,
    *,
    language: str = "fr",
    first_name: str = "Jean",
) -> identity.UserSelfRegistered:
    return identity.UserSelfRegistered(
        user_id=user_id,
        organisation_id=organisation_id,
        user_code="JMARTIN",
        email=email,
        first_name=first_name,
        last_name="Martin",
        function="Comptable",
        language=language,
        modules=frozenset({Module.TICKETS}),
    )


# --- reading what arrived --------------------------------------------------------------------


async def one_mail(idp: Identity, to: str, template_hint: str | None = None) -> dict[str, Any]:
    [mail] = await idp.mail.wait_for(to)
    if template_hint is not None:
        assert template_hint in mail["subject"], mail["subject"]
    return mail
