from services.orders.app import MIGRATIONS, SERVICE, create_app
from services.orders.settings import OrdersSettings
from shared.service import main

main(SERVICE, OrdersSettings, create_app, MIGRATIONS)
