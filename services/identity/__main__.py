from services.identity.app import MIGRATIONS, SERVICE, create_app
from services.identity.settings import IdentitySettings
from shared.service import main

main(SERVICE, IdentitySettings, create_app, MIGRATIONS)
