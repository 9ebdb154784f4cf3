"""Wiring of the tickets service."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import structlog
from aiohttp import web

from services.tickets import api, subscriptions
from services.tickets.api.common import STORAGE, TICKETS_SETTINGS
from services.tickets.api.live import LIVE_FEED
from services.tickets.attachments import uploads
from services.tickets.events import registry
from services.tickets.live import LiveFeed
from services.tickets.settings import TicketsSettings
from shared.files.wiring import install_storage
from shared.http.app import create_service_app
from shared.http.keys import DB_POOL
from shared.kafka import service_topic

SERVICE = "tickets"
MIGRATIONS = Path(__file__).parent / "migrations"
CLEANUP_EVERY = 600.0
log = structlog.get_logger(__name__)


def create_app(settings: TicketsSettings) -> web.Application:
    async def clean_abandoned_uploads(app: web.Application) -> None:
        while True:
            await asyncio.sleep(CLEANUP_EVERY)
            try:
                await uploads.delete_abandoned(
                    app[DB_POOL],
                    app[STORAGE],
                    dt.timedelta(hours=settings.unattached_upload_hours),
                )
            except Exception:  # the next round tries again
                log.exception("cleaning abandoned uploads failed")

    feed = LiveFeed(
        settings.kafka_bootstrap,
        service_topic(settings.kafka_namespace, SERVICE),
        partitions=settings.kafka_partitions,
        replication_factor=settings.kafka_replication_factor,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
    )

    async def live_updates(_app: web.Application) -> None:
        await feed.run()

    app = create_service_app(
        settings,
        service=SERVICE,
        migrations=MIGRATIONS,
        registry=registry,
        subscriptions=lambda _app: subscriptions.subscriptions(settings.kafka_namespace),
        background=(clean_abandoned_uploads, live_updates),
        authenticated=True,  # every route needs a token: no key source, no start
    )
    app[TICKETS_SETTINGS] = settings
    install_storage(app, STORAGE, settings)
    app[LIVE_FEED] = feed
    for routes in api.route_tables:
        app.add_routes(routes)
    return app
