from services.identity.app import MIGRATIONS, SERVICE, create_app
from services.identity.bootstrap import create_admin_command
from services.identity.settings import IdentitySettings
from shared.service import main

main(SERVICE, IdentitySettings, create_app, MIGRATIONS, {"create-admin": create_admin_command})
