"""Wiring of the notifications service."""

from __future__ import annotations

from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from aiohttp import web

from services.notifications import api
from services.notifications.events import registry
from services.notifications.mailer import Mailer
from services.notifications.outgoing import MailDispatcher
from services.notifications.rendering import EmailRenderer
from services.notifications.settings import NotificationsSettings
from services.notifications.smtp import SmtpServer
from services.notifications.subscriptions import subscriptions
from services.notifications.webhooks.dispatcher import WebhookDispatcher
from shared.http.app import create_service_app
from shared.http.keys import DB_POOL

SERVICE = "notifications"
MIGRATIONS = Path(__file__).parent / "migrations"
DISPATCHER = web.AppKey("mail_dispatcher", MailDispatcher)
WEBHOOKS = web.AppKey("webhook_dispatcher", WebhookDispatcher)


def create_app(settings: NotificationsSettings) -> web.Application:
    renderer = EmailRenderer(settings.vendor_name, timezone=settings.timezone)

    def dispatch_mail(app: web.Application) -> Coroutine[Any, Any, None]:
        dispatcher = MailDispatcher(
            app[DB_POOL],
            SmtpServer.from_url(settings.smtp_url),
            settings.mail_from,
            settings.mail_max_attempts,
        )
        app[DISPATCHER] = dispatcher
        return dispatcher.run()

    def deliver_webhooks(app: web.Application) -> Coroutine[Any, Any, None]:
        dispatcher = WebhookDispatcher(
            app[DB_POOL],
            Mailer(settings, renderer),
            timeout=settings.webhook_timeout,
            max_attempts=settings.webhook_max_attempts,
            disable_after=settings.webhook_disable_after,
            first_backoff=settings.webhook_first_backoff,
            allow_insecure=settings.webhooks_allow_insecure,
        )
        app[WEBHOOKS] = dispatcher
        return dispatcher.run()

    app = create_service_app(
        settings,
        service=SERVICE,
        migrations=MIGRATIONS,
        registry=registry,
        subscriptions=lambda _app: subscriptions(settings, renderer),
        background=(dispatch_mail, deliver_webhooks),
        authenticated=True,  # its routes need a token: no key source, no start
    )
    api.add_routes(app)
    return app
