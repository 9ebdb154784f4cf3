from services.tickets.app import MIGRATIONS, SERVICE, create_app
from shared.service import main
from shared.settings import ServiceSettings

main(SERVICE, ServiceSettings, create_app, MIGRATIONS)
