from services.web.app import MIGRATIONS, SERVICE, create_app
from services.web.settings import WebSettings
from shared.service import main

main(SERVICE, WebSettings, create_app, MIGRATIONS)
