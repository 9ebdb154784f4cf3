"""`create_service_app`: what every service's `create_app` starts from."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web

from shared.auth.verifier import JwksKeySource, KeySource, TokenVerifier, jwks_url
from shared.consumer import ConsumerConfig, ConsumerRunner, Subscription
from shared.db import create_pool, migrate
from shared.events import EventRegistry
from shared.eventstore import EventStore
from shared.http import health, openapi
from shared.http.authentication import VERIFIER, authentication
from shared.http.keys import DB_POOL, EVENT_STORE, SETTINGS
from shared.http.middleware import observe, problems
from shared.kafka import consumer_group
from shared.outbox import OutboxRelay, RelayConfig
from shared.settings import ServiceSettings
from shared.wakeup import outbox_channel

log = structlog.get_logger(__name__)
RELAY = web.AppKey("relay", OutboxRelay)
# How long shutdown waits for each worker and for the database pool: well within the grace
# period orchestrators give (Kubernetes: 30 s) before they kill the process.
SHUTDOWN_GRACE = 5.0
CONSUMER = web.AppKey("consumer", ConsumerRunner)
BackgroundWork = Callable[[web.Application], Coroutine[Any, Any, None]]


class AuthenticationNotConfigured(RuntimeError):
    """A service with authenticated routes was given no way to verify access tokens."""


def create_service_app(
    settings: ServiceSettings,
    *,
    service: str,
    migrations: Path,
    registry: EventRegistry,
    subscriptions: Callable[[web.Application], list[Subscription]] | None = None,
    background: tuple[BackgroundWork, ...] = (),
    key_source: KeySource | None = None,
    authenticated: bool = False,
    serve_openapi: bool = True,
) -> web.Application:
    """An app with the kit wired in: migrations, the database pool, the event store, the
    outbox relay, the consumer (when the service subscribes), health, metrics, errors, and
    the verification of access tokens.

    Tokens are verified with `key_source` (identity passes its own), else with the JWKS
    published at `settings.identity_url`. A service with routes that need a token passes
    `authenticated=True`: without either, it then refuses to start rather than answering
    401 to everyone; any other service without either verifies no token (every
    `acting_principal` call is a 401).
    """
    app = web.Application(middlewares=[observe, problems, authentication])
    app[SETTINGS] = settings
    _install_verifier(app, settings, key_source, authenticated=authenticated)
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
        closing = asyncio.ensure_future(app[DB_POOL].close())
        done, _ = await asyncio.wait({closing}, timeout=SHUTDOWN_GRACE)
        if not done:
            log.error("database connections still in use at shutdown; closing them anyway")
            app[DB_POOL].terminate()

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
                    fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
                    session_timeout_ms=settings.kafka_session_timeout_ms,
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
    if serve_openapi:  # off for the gateway, which serves the merged public document there
        openapi.serve_document(app, title=f"Guichet {service}")
    return app


def _install_verifier(
    app: web.Application,
    settings: ServiceSettings,
    key_source: KeySource | None,
    *,
    authenticated: bool,
) -> None:
    if key_source is None and settings.identity_url is not None:
        jwks = JwksKeySource(jwks_url(str(settings.identity_url)))
        key_source = jwks

        async def close_jwks(_app: web.Application) -> None:
            await jwks.close()

        app.on_cleanup.append(close_jwks)
    if key_source is None:
        if authenticated:
            raise AuthenticationNotConfigured(
                "GUICHET_IDENTITY_URL is not set: this service cannot verify access tokens"
            )
        return
    # The issuer is the portal's public URL: a token issued for another deployment is refused.
    app[VERIFIER] = TokenVerifier(key_source, str(settings.public_url).rstrip("/"))


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
        done, _ = await asyncio.wait({task}, timeout=SHUTDOWN_GRACE)
        if not done:  # stop anyway: a stuck worker must not keep the process from exiting
            log.error(
                "background task did not stop in time",
                task=task.get_name(),
                awaiting=_awaiting(task),
            )
        elif not task.cancelled() and task.exception() is not None:
            log.error("background task had failed", exc_info=task.exception())

    return lifetime


def _awaiting(task: asyncio.Task[None]) -> list[str]:
    """Where a task is suspended, outermost first (a suspended coroutine's stack has one
    frame; the chain of awaits is what says where it is stuck)."""
    chain: list[str] = []
    awaitable: Any = task.get_coro()
    while awaitable is not None and len(chain) < 40:
        frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "gi_frame", None)
        if frame is not None:
            chain.append(f"{frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
        awaitable = getattr(awaitable, "cr_await", None) or getattr(awaitable, "gi_yieldfrom", None)
    return chain
