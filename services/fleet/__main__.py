from services.fleet.app import MIGRATIONS, SERVICE, create_app
from services.fleet.commands import COMMANDS
from services.fleet.settings import FleetSettings
from shared.service import main

main(SERVICE, FleetSettings, create_app, MIGRATIONS, COMMANDS)
