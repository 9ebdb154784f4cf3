"""What notifications does with other services' events: queue the emails they promise (one
module per source service) and the webhook deliveries organisations asked for."""

from __future__ import annotations

from services.notifications.mailer import Mailer
from services.notifications.rendering import EmailRenderer
from services.notifications.settings import NotificationsSettings
from services.notifications.subscriptions.billing import billing_subscription
from services.notifications.subscriptions.fleet import fleet_subscription
from services.notifications.subscriptions.identity import identity_subscription
from services.notifications.subscriptions.orders import orders_subscription
from services.notifications.subscriptions.tickets import tickets_subscription
from services.notifications.webhooks.catalogue import WEBHOOK_EVENT_TYPES
from services.notifications.webhooks.endpoints import with_webhooks
from shared.consumer import Subscription


def subscriptions(settings: NotificationsSettings, renderer: EmailRenderer) -> list[Subscription]:
    # Emails first, then the webhook deliveries of the events webhooks offer, in one transaction.
    mailer = Mailer(settings, renderer)
    return [
        with_webhooks(subscription, set(WEBHOOK_EVENT_TYPES))
        for subscription in (
            tickets_subscription(mailer),
            identity_subscription(mailer),
            fleet_subscription(mailer),
            billing_subscription(mailer),
            orders_subscription(mailer),
        )
    ]
