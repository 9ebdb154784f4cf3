from services.billing import commands
from services.billing.app import MIGRATIONS, SERVICE, create_app
from services.billing.settings import BillingSettings
from shared.service import main

main(SERVICE, BillingSettings, create_app, MIGRATIONS, {"mark-overdue": commands.mark_overdue})
