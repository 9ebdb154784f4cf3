from services.gateway.app import MIGRATIONS, SERVICE, create_app
from services.gateway.settings import GatewaySettings
from shared.service import main

main(SERVICE, GatewaySettings, create_app, MIGRATIONS)
