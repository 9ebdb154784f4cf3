"""Blocking takes effect at once: a still-valid token of a blocked membership is refused by
every gateway replica within a second of identity publishing the event."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import aiohttp
from aiokafka import AIOKafkaProducer

from conftest import Infrastructure
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.identity.events import AccountActivated, AccountBlocked
from shared.cloudevents import CloudEvent
from shared.events import DomainEvent
from shared.http.app import CONSUMER
from shared.kafka import ensure_topics, service_topic
from tests.support import TokenIssuer, eventually, serving


def envelope(event: DomainEvent, organisation: uuid.UUID, subject: str) -> CloudEvent:
    return CloudEvent(
        id=str(uuid.uuid4()),
        source="/guichet/identity",
        type=event.type,
        subject=subject,
        time=datetime.now(UTC),
        data=event.model_dump(mode="json"),
        dataversion=event.version,
        organisationid=str(organisation),
        correlationid=str(uuid.uuid4()),
    )


async def status_of(url: str, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        return response.status


async def test_a_blocked_user_is_refused_by_every_replica_within_a_second(
    infrastructure: Infrastructure,
    gateway_settings: Callable[..., GatewaySettings],
    kafka_namespace: str,
    token_issuer: TokenIssuer,
) -> None:
    user, admin = uuid.uuid4(), uuid.uuid4()
    organisation, elsewhere = uuid.uuid4(), uuid.uuid4()
    token = token_issuer.bearer(sub=str(user), org=organisation, modules=["personal_data"])
    other_membership = token_issuer.bearer(sub=str(user), org=elsewhere)
    topic = service_topic(kafka_namespace, "identity")
    await ensure_topics(infrastructure.kafka_bootstrap, {topic: 3}, 1)
    # A long fallback reload: only the notification can make the deadline.
    settings = gateway_settings(blocked_reload_seconds=300)
    replicas = [create_app(settings), create_app(settings)]
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.kafka_bootstrap, acks="all")
    async with AsyncExitStack() as stack:
        urls = [await stack.enter_async_context(serving(app)) for app in replicas]
        await producer.start()
        stack.push_async_callback(producer.stop)

        async def settled() -> bool:
            # Both replicas joined the group, so the next event is not held up by a rebalance.
            members = [app[CONSUMER] for app in replicas]
            return all(m.assigned.is_set() for m in members) and all(
                m._consumer is not None and m._consumer.assignment() for m in members
            )

        await eventually(settled, timeout=30)
        for url in urls:
            assert await status_of(f"{url}/api/me", token) == 200

        blocked = AccountBlocked(user_id=user, organisation_id=organisation, blocked_by=admin)
        await producer.send_and_wait(
            topic, envelope(blocked, organisation, str(user)).kafka_value(), key=str(user).encode()
        )

        async def refused_everywhere() -> bool:
            return all([await status_of(f"{url}/api/me", token) == 403 for url in urls])

        await eventually(refused_everywhere, timeout=1.0, interval=0.05)
        # Only that membership is blocked: the user's access elsewhere is untouched.
        assert await status_of(f"{urls[0]}/api/me", other_membership) == 200

        activated = AccountActivated(
            user_id=user, organisation_id=organisation, modules=frozenset(), activated_by=admin
        )
        await producer.send_and_wait(
            topic,
            envelope(activated, organisation, str(user)).kafka_value(),
            key=str(user).encode(),
        )

        async def allowed_everywhere() -> bool:
            return all([await status_of(f"{url}/api/me", token) == 200 for url in urls])

        await eventually(allowed_everywhere, timeout=5)

        await producer.send_and_wait(
            topic, envelope(blocked, organisation, str(user)).kafka_value(), key=str(user).encode()
        )
        await eventually(refused_everywhere, timeout=1.0, interval=0.05)
        # A replica started now refuses from its first request: it loads the set at start-up
        # (the group's offsets are past the event, so it will not consume it again).
        late = await stack.enter_async_context(serving(create_app(settings)))
        assert await status_of(f"{late}/api/me", token) == 403
