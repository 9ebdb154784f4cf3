from services.notifications.app import MIGRATIONS, SERVICE, create_app
from services.notifications.settings import NotificationsSettings
from shared.service import main

main(SERVICE, NotificationsSettings, create_app, MIGRATIONS)
