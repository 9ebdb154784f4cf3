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

from devstack import demo_invoices

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
LINK_TOKEN = re.compile(r"token=([A-Za-z0-9_\-]+)")


@dataclass(frozen=True)
class DemoAccounts:
    admin_email: str
    admin_password: str
    customer_login: str
    customer_password: str
    tickets: int
    invoices: int


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
            {"modules": ["personal_data", "tickets", "invoices", "fleet", "orders"]},
        )
        await vendor.call(
            "POST", f"/organisations/{organisation_id}/users/{claire['user_id']}/administrator"
        )
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
        assert vendor.token is not None
        invoices = await demo_invoices.send(session, api_url, vendor.token, ORGANISATION["code"])
    return DemoAccounts(
        admin_email=ADMIN_EMAIL,
        admin_password=ADMIN_PASSWORD,
        customer_login=claire["user_code"],
        customer_password=CUSTOMER_PASSWORD,
        tickets=len(DEMO_TICKETS),
        invoices=invoices,
    )
