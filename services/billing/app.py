"""Wiring of the billing service."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import structlog
from aiohttp import web

from services.billing import api, handlers, subscriptions
from services.billing.api.common import BILLING_SETTINGS, STORAGE, VENDOR
from services.billing.events import registry
from services.billing.pdf import Vendor, load_logo
from services.billing.settings import BillingSettings
from shared.files.wiring import install_storage
from shared.http.app import create_service_app
from shared.http.keys import DB_POOL, EVENT_STORE

SERVICE = "billing"
MIGRATIONS = Path(__file__).parent / "migrations"
log = structlog.get_logger(__name__)


def create_app(settings: BillingSettings) -> web.Application:
    async def overdue_check(app: web.Application) -> None:
        # Idempotent (each invoice is marked once), so running it hourly is the daily check
        # done promptly after midnight, on any number of replicas.
        while True:
            try:
                today = dt.datetime.now(settings.zone).date()
                await handlers.mark_overdue(app[DB_POOL], app[EVENT_STORE], today)
            except Exception:  # the next round tries again
                log.exception("the overdue check failed")
            await asyncio.sleep(settings.overdue_check_minutes * 60)

    app = create_service_app(
        settings,
        service=SERVICE,
        migrations=MIGRATIONS,
        registry=registry,
        subscriptions=lambda app: subscriptions.subscriptions(
            settings.kafka_namespace, app[EVENT_STORE], settings.zone
        ),
        background=(overdue_check,),
        authenticated=True,  # every route needs a token: no key source, no start
    )
    app[BILLING_SETTINGS] = settings
    app[VENDOR] = Vendor(settings.vendor_name, load_logo(settings.vendor_logo_path))
    install_storage(app, STORAGE, settings)
    for routes in api.route_tables:
        app.add_routes(routes)
    return app
