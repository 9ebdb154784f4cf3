"""`create_service_app`: what every service's `create_app` starts from."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

from aiohttp import web

from shared.consumer import ConsumerConfig, ConsumerRunner, Subscription
from shared.db import create_pool, migrate
from shared.events import EventRegistry
from shared.eventstore import EventStore
from shared.http import health
from shared.http.keys import DB_POOL, EVENT_STORE, SETTINGS
from shared.http.middleware import observe, problems
from shared.kafka import consumer_group
from shared.outbox import OutboxRelay, RelayConfig
from shared.settings import ServiceSettings
from shared.wakeup import outbox_channel

RELAY = web.AppKey("relay", OutboxRelay)
CONSUMER = web.AppKey("consumer", ConsumerRunner)
BackgroundWork = Callable[[web.Application], Coroutine[Any, Any, None]]


def create_service_app(
    settings: ServiceSettings,
    *,
    service: str,
    migrations: Path,
    registry: EventRegistry,
    subscriptions: Callable[[web.Application], list[Subscription]] | None = None,
    background: tuple[BackgroundWork, ...] = (),
) -> web.Application:
    """An app with the kit wired in: migrations, the database pool, the event store, the
    outbox relay, the consumer (when the service subscribes), health, metrics, errors."""
    app = web.Application(middlewares=[observe, problems])
    app[SETTINGS] = settings
    app[EVENT_STORE] = EventStore(registry, outbox_channel(service))

    async def database(app: web.Application) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await migrate(settings.database_url, service, migrations)
        app[DB_POOL] = await create_pool(
            settings.database_url,
            service,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
        )
        yield
        await app[DB_POOL].close()

    app.cleanup_ctx.append(database)
    relay = OutboxRelay(
        RelayConfig(
            database_url=settings.database_url,
            schema=service,
            service=service,
            kafka_bootstrap=settings.kafka_bootstrap,
            kafka_namespace=settings.kafka_namespace,
            partitions=settings.kafka_partitions,
            replication_factor=settings.kafka_replication_factor,
        )
    )
    app[RELAY] = relay
    app.cleanup_ctx.append(_background_task(lambda _app: relay.run()))
    if subscriptions is not None:

        def start_consumer(app: web.Application) -> Coroutine[Any, Any, None]:
            runner = ConsumerRunner(
                ConsumerConfig(
                    name=consumer_group(settings.kafka_namespace, service),
                    kafka_bootstrap=settings.kafka_bootstrap,
                    partitions=settings.kafka_partitions,
                    replication_factor=settings.kafka_replication_factor,
                ),
                app[DB_POOL],
                subscriptions(app),
            )
            app[CONSUMER] = runner
            return runner.run()

        app.cleanup_ctx.append(_background_task(start_consumer))
    for work in background:
        app.cleanup_ctx.append(_background_task(work))
    app.add_routes(health.routes)
    return app


def _background_task(
    work: BackgroundWork,
) -> Callable[[web.Application], contextlib.AbstractAsyncContextManager[None]]:
    """Run `work(app)` for the app's lifetime; cancel it on shutdown. `work` is called during
    start-up, so it may still set app keys before returning its coroutine."""

    @contextlib.asynccontextmanager
    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(work(app))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return lifetime
