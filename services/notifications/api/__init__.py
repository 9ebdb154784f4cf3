"""Notifications' HTTP routes, one module per resource."""

from __future__ import annotations

from aiohttp import web

from services.notifications.api import email_log, preferences, webhooks


def add_routes(app: web.Application) -> None:
    app.add_routes(preferences.routes)
    app.add_routes(email_log.routes)
    app.add_routes(webhooks.routes)
