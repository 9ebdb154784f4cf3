"""Wiring of the tickets service."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from services.tickets import api
from services.tickets.events import registry
from shared.http.app import create_service_app
from shared.settings import ServiceSettings

SERVICE = "tickets"
MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: ServiceSettings) -> web.Application:
    app = create_service_app(
        settings,
        service=SERVICE,
        migrations=MIGRATIONS,
        registry=registry,
        authenticated=True,  # every route needs a token: no key source, no start
    )
    app.add_routes(api.routes)
    return app
