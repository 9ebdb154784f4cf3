"""Wiring of the fleet service."""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog
from aiohttp import web

from services.fleet import api, subscriptions
from services.fleet.api.common import FLEET_SETTINGS, today
from services.fleet.events import registry
from services.fleet.handlers.reminders import remind_due_readings
from services.fleet.settings import FleetSettings
from shared.http.app import create_service_app
from shared.http.keys import DB_POOL, EVENT_STORE

SERVICE = "fleet"
MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger(__name__)


def create_app(settings: FleetSettings) -> web.Application:
    async def remind_readings(app: web.Application) -> None:
        while True:
            await asyncio.sleep(settings.reading_reminder_every)
            try:
                await remind_due_readings(
                    app[DB_POOL],
                    app[EVENT_STORE],
                    today=today(),
                    notice_days=settings.reading_notice_days,
                )
            except Exception:  # the next round tries again
                log.exception("reminding readings due failed")

    app = create_service_app(
        settings,
        service=SERVICE,
        migrations=MIGRATIONS,
        registry=registry,
        subscriptions=lambda _app: subscriptions.subscriptions(settings.kafka_namespace),
        background=(remind_readings,),
        authenticated=True,  # every route needs a token: no key source, no start
    )
    app[FLEET_SETTINGS] = settings
    for routes in api.route_tables:
        app.add_routes(routes)
    return app
