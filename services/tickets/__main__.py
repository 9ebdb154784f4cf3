from services.tickets.app import MIGRATIONS, SERVICE, create_app
from services.tickets.settings import TicketsSettings
from shared.service import main

main(SERVICE, TicketsSettings, create_app, MIGRATIONS)
