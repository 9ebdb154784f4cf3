"""Demo data, loaded once into a fresh local stack the way people would enter it: the first
vendor admin by command, everything else through the gateway's public API, and the invited
customer's password set from the link in the invitation email caught by the mail catcher."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from dataclasses import dataclass
from typing import Any

import aiohttp

from devstack import demo_invoices, demo_orders

ADMIN_EMAIL = "admin@guichet.example"
ADMIN_PASSWORD = "Comptoir&Vendeur77"  # noqa: S105 - the local demo's, printed at start
CUSTOMER_PASSWORD = "Presse&Rotative26"  # noqa: S105 - idem

ORGANISATION = {
    "code": "IMP001",
    "status": "active",
    "language": "fr",
    "currency": "EUR",
    "details": {
        "legal_name": "Imprimerie Martin",
        "billing_address": {
            "line1": "14 rue des Presses",
            "postal_code": "54000",
            "city": "Nancy",
            "country": "FR",
        },
        "phone_lines": [{"label": "Standard", "number": "03 83 90 10 00"}],
    },
}
CONTACTS = [
    {
        "first_name": "Claire",
        "last_name": "Martin",
        "title": "Directrice administrative",
        "department": "Direction",
        "email": "claire.martin@imprimerie-martin.example",
        "phone": "03 83 90 10 01",
    },
    {
        "first_name": "Julien",
        "last_name": "Petit",
        "title": "Comptable",
        "department": "Comptabilité",
        "email": "julien.petit@imprimerie-martin.example",
    },
]
DEMO_TICKETS = [
    {
        "title": "Bourrage papier récurrent sur le copieur du 2e étage",
        "description": "Le copieur se bloque à chaque impression recto-verso depuis lundi.",
        "priority": "high",
        "requester_email": "claire.martin@imprimerie-martin.example",
    },
    {
        "title": "Accès au portail pour un nouveau collaborateur",
        "description": "Merci de créer un accès pour Julien Petit, service comptabilité.",
        "priority": "normal",
        "requester_email": "claire.martin@imprimerie-martin.example",
    },
    {
        "title": "Invoice 2026-0412 shows the wrong VAT rate",
        "description": "The invoice applies 10% VAT instead of 20% on the maintenance line.",
        "priority": "low",
        "requester_email": "claire.martin@imprimerie-martin.example",
    },
]
# Imprimerie Martin's equipment, as the vendor's ERP would send it (POST /api/import/fleet):
# two sites, two copiers under a cost-per-page contract read monthly, a wide-format printer
# under maintenance only, and the consumables of each model.
DEMO_FLEET: dict[str, Any] = {
    "models": [
        {
            "code": "IR-C3226I",
            "name": "imageRUNNER ADVANCE C3226i",
            "manufacturer": "Canon",
            "counters": ["black_and_white", "colour", "scans"],
            "consumables": [
                {
                    "reference": "C-EXV54-BK",
                    "description": "Toner noir C-EXV54",
                    "max_quantity_per_order": 4,
                },
                {
                    "reference": "C-EXV54-C",
                    "description": "Toner cyan C-EXV54",
                    "max_quantity_per_order": 2,
                },
                {
                    "reference": "C-EXV54-M",
                    "description": "Toner magenta C-EXV54",
                    "max_quantity_per_order": 2,
                },
                {
                    "reference": "C-EXV54-Y",
                    "description": "Toner jaune C-EXV54",
                    "max_quantity_per_order": 2,
                },
                {
                    "reference": "FM1-T513",
                    "description": "Bac de récupération de toner",
                    "max_quantity_per_order": 1,
                },
            ],
        },
        {
            "code": "TM-300",
            "name": "imagePROGRAF TM-300",
            "manufacturer": "Canon",
            "counters": ["colour_large"],
            "consumables": [
                {
                    "reference": "PFI-120MBK",
                    "description": "Encre noir mat 130 ml",
                    "max_quantity_per_order": 6,
                },
                {
                    "reference": "MC-30",
                    "description": "Cartouche de maintenance",
                    "max_quantity_per_order": 1,
                },
            ],
        },
    ],
    "sites": [
        {
            "erp_reference": "IMP001-S1",
            "organisation_code": "IMP001",
            "name": "Siège, Nancy",
            "address": {"line1": "14 rue des Presses", "postal_code": "54000", "city": "Nancy"},
        },
        {
            "erp_reference": "IMP001-S2",
            "organisation_code": "IMP001",
            "name": "Atelier de Laxou",
            "address": {"line1": "2 allée des Techniques", "postal_code": "54520", "city": "Laxou"},
        },
    ],
    "contracts": [
        {
            "erp_reference": "IMP001-CP-2026-014",
            "organisation_code": "IMP001",
            "number": "CP-2026-014",
            "contract_type": "full_service",
            "starts_on": "2026-01-01",
            "ends_on": "2030-12-31",
            "service_level": "Intervention J+1",
            "covers_support": True,
            "covers_interventions": True,
            "reading_every_days": 30,
        },
        {
            "erp_reference": "IMP001-MA-2025-203",
            "organisation_code": "IMP001",
            "number": "MA-2025-203",
            "contract_type": "maintenance",
            "starts_on": "2025-06-01",
            "ends_on": "2028-05-31",
            "service_level": "Intervention sous 48 h",
            "covers_support": True,
            "covers_interventions": True,
        },
    ],
    "assets": [
        {
            "erp_reference": "IMP001-EQ-1",
            "organisation_code": "IMP001",
            "model_code": "IR-C3226I",
            "product_reference": "3101C005",
            "serial_number": "2XK07412",
            "site_reference": "IMP001-S1",
            "location": "2e étage, couloir B",
            "installed_on": "2026-01-15",
            "contract_reference": "IMP001-CP-2026-014",
        },
        {
            "erp_reference": "IMP001-EQ-2",
            "organisation_code": "IMP001",
            "model_code": "IR-C3226I",
            "product_reference": "3101C005",
            "serial_number": "2XK07598",
            "site_reference": "IMP001-S1",
            "location": "Accueil",
            "installed_on": "2026-01-15",
            "contract_reference": "IMP001-CP-2026-014",
        },
        {
            "erp_reference": "IMP001-EQ-3",
            "organisation_code": "IMP001",
            "model_code": "TM-300",
            "product_reference": "3058C003",
            "serial_number": "AAJ01877",
            "site_reference": "IMP001-S2",
            "location": "Atelier PAO",
            "installed_on": "2025-06-10",
            "contract_reference": "IMP001-MA-2025-203",
        },
    ],
}
DEMO_READING = {"black_and_white": 48210, "colour": 17344, "scans": 5120}
LINK_TOKEN = re.compile(r"token=([A-Za-z0-9_\-]+)")


@dataclass(frozen=True)
class DemoAccounts:
    admin_email: str
    admin_password: str
    customer_login: str
    customer_password: str
    tickets: int
    assets: int
    invoices: int
    orders: int


async def create_admin(env: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.identity",
        "create-admin",
        env={
            **os.environ,
            **env,
            "GUICHET_ADMIN_EMAIL": ADMIN_EMAIL,
            "GUICHET_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "GUICHET_ADMIN_FIRST_NAME": "Alice",
            "GUICHET_ADMIN_LAST_NAME": "Durand",
        },
    )
    if await process.wait() != 0:
        raise RuntimeError("could not create the demo administrator")


class Api:
    def __init__(self, session: aiohttp.ClientSession, api_url: str) -> None:
        self.session = session
        self.api_url = api_url
        self.token: str | None = None

    async def call(self, method: str, path: str, json: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with self.session.request(
            method, f"{self.api_url}{path}", json=json, headers=headers
        ) as response:
            if response.status >= 400:
                raise RuntimeError(f"{method} {path}: {response.status} {await response.text()}")
            return await response.json() if response.status != 204 else None

    async def sign_in(self, login: str, password: str) -> None:
        tokens = await self.call("POST", "/auth/sign-in", {"login": login, "password": password})
        self.token = tokens["access_token"]


async def invitation_token(session: aiohttp.ClientSession, mail_url: str, to: str) -> str:
    """The token of the link in the invitation email to `to`, once it has arrived."""
    for _ in range(120):
        async with session.get(f"{mail_url}/email") as response:
            emails = await response.json()
        for email in emails:
            recipients = {address["address"] for address in email.get("to", [])}
            match = LINK_TOKEN.search(email.get("text") or "")
            if to in recipients and match:
                return match.group(1)
        await asyncio.sleep(0.5)
    raise RuntimeError(f"no invitation email reached {to}")


async def load(api_url: str, mail_url: str | None, env: dict[str, str]) -> DemoAccounts | None:
    """Everything when the local mail catcher is there to read the invitation from; with an
    external SMTP server, the organisation and the invitation only (the invited person sets
    the password from the email, as in real life)."""
    await create_admin(env)
    async with aiohttp.ClientSession() as session:
        vendor = Api(session, api_url)
        await vendor.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        organisation = await vendor.call("POST", "/organisations", ORGANISATION)
        organisation_id = organisation["organisation_id"]
        contact_ids = [
            (await vendor.call("POST", f"/organisations/{organisation_id}/contacts", contact))[
                "contact_id"
            ]
            for contact in CONTACTS
        ]
        claire = await vendor.call(
            "POST",
            f"/contacts/{contact_ids[0]}/portal-access",
            {
                "modules": [
                    "personal_data",
                    "tickets",
                    "invoices",
                    "fleet",
                    "orders",
                    "meter_readings",
                ]
            },
        )
        await vendor.call(
            "POST", f"/organisations/{organisation_id}/users/{claire['user_id']}/administrator"
        )
        await import_fleet(vendor)
        if mail_url is None:
            return None
        token = await invitation_token(session, mail_url, CONTACTS[0]["email"])
        await vendor.call(
            "POST", "/auth/password/reset", {"token": token, "new_password": CUSTOMER_PASSWORD}
        )
        customer = Api(session, api_url)
        await customer.sign_in(claire["user_code"], CUSTOMER_PASSWORD)
        for ticket in DEMO_TICKETS:
            await customer.call("POST", "/tickets", ticket)
        # Claire reads the first copier's meters (its confirmation email is in the inbox).
        copiers = await customer.call("GET", "/fleet/assets?q=2XK07412")
        await customer.call(
            "POST",
            "/meter-readings",
            {"asset_id": copiers["assets"][0]["asset_id"], "counters": DEMO_READING},
        )
        assert vendor.token is not None
        invoices = await demo_invoices.send(session, api_url, vendor.token, ORGANISATION["code"])
        copiers = [
            (await customer.call("GET", f"/fleet/assets?q={serial}"))["assets"][0]["asset_id"]
            for serial in ("2XK07412", "2XK07598")
        ]
        orders = await demo_orders.place(customer, vendor, copiers)
    return DemoAccounts(
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        customer_login=claire["user_code"],
        customer_password=CUSTOMER_PASSWORD,
        tickets=len(DEMO_TICKETS),
        assets=len(DEMO_FLEET["assets"]),
        invoices=invoices,
        orders=orders,
    )


async def import_fleet(vendor: Api) -> None:
    """The equipment, imported as the ERP would; fleet learns of the new organisation from
    identity's event, so the import waits (a few seconds at most) until it knows the code."""
    for _ in range(60):
        try:
            await vendor.call("POST", "/import/fleet", DEMO_FLEET)
        except RuntimeError as refused:
            if "organisation_code" not in str(refused):
                raise
            await asyncio.sleep(0.5)
        else:
            return
    raise RuntimeError("the fleet service never learnt of Imprimerie Martin")
