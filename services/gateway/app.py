"""Wiring of the gateway: the one public entry of the portal's API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web

from services.gateway import api
from services.gateway.api import GATEWAY, Gateway
from services.gateway.public_api import PublicApiDocument
from services.gateway.settings import GatewaySettings
from services.gateway.subscriptions import subscriptions
from shared.events import EventRegistry
from shared.http.app import create_service_app
from shared.http.keys import DB_POOL

SERVICE = "gateway"
MIGRATIONS = Path(__file__).parent / "migrations"
# The gateway publishes no events of its own.
registry = EventRegistry(source=SERVICE)


def create_app(settings: GatewaySettings) -> web.Application:
    app = create_service_app(
        settings,
        service=SERVICE,
        migrations=MIGRATIONS,
        registry=registry,
        subscriptions=lambda _app: subscriptions(settings.kafka_namespace),
        authenticated=True,
        serve_openapi=False,  # /openapi.json is the merged public document here
    )
    gateway = Gateway.from_settings(settings)
    app[GATEWAY] = gateway

    async def upstream_session(app: web.Application) -> AsyncIterator[None]:
        # auto_decompress off: bodies pass through byte for byte, with their Content-Encoding.
        session = aiohttp.ClientSession(
            auto_decompress=False,
            connector=aiohttp.TCPConnector(limit=0, limit_per_host=256),
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        gateway.session = session
        gateway.public_api = PublicApiDocument(
            session,
            gateway.upstreams,
            gateway.table,
            public_url=str(settings.public_url),
            cache_seconds=settings.openapi_cache_seconds,
        )
        yield
        await session.close()

    async def blocked_memberships(app: web.Application) -> AsyncIterator[None]:
        # Loaded before the first request is served, then followed for the app's lifetime.
        await gateway.blocked.reload(app[DB_POOL])
        follower = asyncio.create_task(
            gateway.blocked.follow(settings.database_url, settings.blocked_reload_seconds)
        )
        yield
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower

    app.cleanup_ctx.append(upstream_session)
    app.cleanup_ctx.append(blocked_memberships)
    api.add_routes(app)
    return app
