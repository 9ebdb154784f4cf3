"""Wiring of the orders service."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.orders import api, subscriptions
from services.orders.api.common import ORDERS_SETTINGS, VENDOR
from services.orders.events import registry
from services.orders.settings import OrdersSettings
from shared.http.app import create_service_app
from shared.pdf import Vendor, load_logo

SERVICE = "orders"
MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: OrdersSettings) -> web.Application:
    app = create_service_app(
        settings,
        service=SERVICE,
        migrations=MIGRATIONS,
        registry=registry,
        subscriptions=lambda _app: subscriptions.subscriptions(settings.kafka_namespace),
        authenticated=True,  # every route needs a token: no key source, no start
    )
    app[ORDERS_SETTINGS] = settings
    app[VENDOR] = Vendor(settings.vendor_name, load_logo(settings.vendor_logo_path))
    for routes in api.route_tables:
        app.add_routes(routes)
    return app
