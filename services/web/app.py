"""Wiring of the web portal: a client of the gateway's public API that serves HTML pages."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import structlog
from aiohttp import web
from yarl import URL

from services.web import assets, middlewares
from services.web.api_client import GatewayClient
from services.web.pages import routes
from services.web.portal import GATEWAY, STORE, WEB_SETTINGS
from services.web.sessions import SessionStore
from services.web.settings import WebSettings
from shared.db import create_pool, migrate
from shared.http import health
from shared.http.keys import DB_POOL, SETTINGS
from shared.http.middleware import observe
from shared.sealing import Sealer

SERVICE = "web"
MIGRATIONS = Path(__file__).parent / "migrations"
EXPIRED_SESSIONS_SWEEP_SECONDS = 600
log = structlog.get_logger(__name__)


async def readyz(request: web.Request) -> web.Response:
    """Ready: the portal's own database answers (the API's health is the gateway's)."""
    try:
        ready = await asyncio.wait_for(request.app[DB_POOL].fetchval("SELECT true"), 2.0)
    except Exception:  # any failure to answer is not ready
        ready = False
    checks = {"database": "ok" if ready else "down"}
    return web.json_response(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


def create_app(settings: WebSettings) -> web.Application:
    app = web.Application(
        middlewares=[
            observe,
            middlewares.security_headers,
            middlewares.sessions,
            middlewares.error_pages,
            middlewares.csrf,
        ],
        client_max_size=settings.upload_max_bytes,
    )
    app[SETTINGS] = settings
    app[WEB_SETTINGS] = settings

    async def database(app: web.Application) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await migrate(settings.database_url, SERVICE, MIGRATIONS)
        pool = await create_pool(
            settings.database_url,
            SERVICE,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
        )
        app[DB_POOL] = pool
        app[STORE] = SessionStore(
            pool,
            Sealer(settings.session_key),
            dt.timedelta(minutes=settings.anonymous_session_minutes),
        )
        sweeper = asyncio.create_task(_sweep_expired_sessions(app[STORE]))
        yield
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        await pool.close()

    async def gateway(app: web.Application) -> AsyncIterator[None]:
        # No cap on connections: each open page's live stream holds one for as long as it is
        # open, and a cap would make every other page wait behind them.
        async with aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar(), connector=aiohttp.TCPConnector(limit=0)
        ) as http:
            app[GATEWAY] = GatewayClient(http, URL(str(settings.gateway_url)), settings.api_timeout)
            yield

    app.cleanup_ctx.append(database)
    app.cleanup_ctx.append(gateway)
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", health.metrics)
    assets.add_routes(app)
    app.add_routes(routes)
    return app


async def _sweep_expired_sessions(store: SessionStore) -> None:
    while True:
        try:
            await store.delete_expired()
        except Exception:
            log.warning("could not delete expired sessions", exc_info=True)
        await asyncio.sleep(EXPIRED_SESSIONS_SWEEP_SECONDS)
