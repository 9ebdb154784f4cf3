"""What notifications does with other services' events: queue the emails they promise. One
module per source service."""

from __future__ import annotations

from services.notifications.mailer import Mailer
from services.notifications.rendering import EmailRenderer
from services.notifications.settings import NotificationsSettings
from services.notifications.subscriptions.identity import identity_subscription
from services.notifications.subscriptions.tickets import tickets_subscription
from shared.consumer import Subscription


def subscriptions(settings: NotificationsSettings, renderer: EmailRenderer) -> list[Subscription]:
    mailer = Mailer(settings, renderer)
    return [tickets_subscription(mailer), identity_subscription(mailer)]
