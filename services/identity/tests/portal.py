"""Identity served for tests, and the people its tests need: the vendor's first admin, and
customers whose access the back office granted and who have set their password."""

from __future__ import annotations

import json as json_module
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg

from shared.sealing import Sealer

ADMIN_EMAIL = "admin@vendor.example"
ADMIN_PASSWORD = "Comptoir&Vendeur77"
GOOD_PASSWORD = "Copieur&Toner42"

# Where each event keeps its emailed link (the others: `invitation`).
LINK_FIELDS = {"PasswordResetRequested": "reset", "EmailChangeRequested": "confirmation"}


@dataclass
class Portal:
    url: str
    database_url: str
    sealer: Sealer
    session: aiohttp.ClientSession

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        ip: str | None = None,
    ) -> tuple[int, Any]:
        """The status and the decoded body (None for a 204) of one call."""
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if ip:
            headers["X-Forwarded-For"] = ip
        async with self.session.request(
            method, f"{self.url}{path}", json=json, headers=headers
        ) as response:
            body = await response.json(content_type=None) if response.status != 204 else None
            return response.status, body

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        ip: str | None = None,
        expect: int | None = None,
    ) -> Any:
        status, body = await self.request(method, path, token=token, json=json, ip=ip)
        if expect is not None:
            assert status == expect, (status, body)
        return body

    async def sign_in(self, login: str, password: str, **extra: Any) -> dict[str, Any]:
        ip = extra.pop("ip", None)
        return await self.call(
            "POST",
            "/auth/sign-in",
            json={"login": login, "password": password, **extra},
            ip=ip,
            expect=200,
        )

    async def link_token(self, user_id: str, event_type: str) -> str:
        """The one-time token of the latest email link of this kind, as notifications opens
        it from the published event."""
        connection = await asyncpg.connect(self.database_url)
        try:
            data = await connection.fetchval(
                "SELECT data FROM identity.events WHERE stream_id = $1 AND type = $2"
                " ORDER BY version DESC LIMIT 1",
                user_id,
                f"guichet.identity.{event_type}",
            )
        finally:
            await connection.close()
        data = json_module.loads(data) if isinstance(data, str) else data
        link = data[LINK_FIELDS.get(event_type, "invitation")]
        return self.sealer.unseal(link["sealed_token"], subject=user_id)

    async def sql(self, query: str, *args: Any) -> Any:
        connection = await asyncpg.connect(self.database_url)
        try:
            return await connection.fetchval(query, *args)
        finally:
            await connection.close()


ORGANISATION = {
    "code": "8005551",
    "status": "active",
    "language": "fr",
    "currency": "CAD",
    "details": {
        "legal_name": "Hervé David",
        "billing_address": {
            "line1": "12 rue du Port",
            "postal_code": "H2X 1Y4",
            "city": "Montréal",
            "country": "CA",
        },
        "phone_lines": [{"label": "Standard", "number": "521 1224 6321"}],
        "branches": [{"branch_id": str(uuid.uuid4()), "name": "ACT BL Solutions - Montréal"}],
    },
}
CONTACT = {
    "first_name": "Mireille",
    "last_name": "Couture",
    "title": "Responsable stock",
    "department": "Logistique",
    "contact_type": "Opérations",
    "email": "Mireille.Couture@HerveDavid.com",
    "phone": "521 1224 6321",
    "mobile": "524 1478 1263",
    "fax": "521 1582 1132",
}


async def back_office(portal: Portal) -> str:
    return (await portal.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD))["access_token"]


async def contact_with_access(
    portal: Portal,
    staff: str,
    organisation_id: str,
    contact: dict[str, Any],
    *,
    modules: tuple[str, ...] = ("tickets", "personal_data"),
    networks: tuple[str, ...] = (),
    password: str | None = GOOD_PASSWORD,
) -> tuple[str, str, str]:
    """(contact id, user id, user code) of a new contact of the organisation given access by
    the back office, who has set `password` with the invitation's link (unless it is None)."""
    added = await portal.call(
        "POST",
        f"/organisations/{organisation_id}/contacts",
        token=staff,
        json=contact,
        expect=201,
    )
    granted = await portal.call(
        "POST",
        f"/contacts/{added['contact_id']}/portal-access",
        token=staff,
        json={"modules": list(modules), "allowed_networks": list(networks)},
        expect=201,
    )
    if password is not None:
        token = await portal.link_token(granted["user_id"], "PortalAccessGranted")
        await portal.call(
            "POST",
            "/auth/password/reset",
            json={"token": token, "new_password": password},
            expect=204,
        )
    return added["contact_id"], granted["user_id"], granted["user_code"]


async def customer_with_access(
    portal: Portal,
    staff: str,
    *,
    code: str = "8005551",
    email: str = "mireille.couture@hervedavid.com",
    modules: tuple[str, ...] = ("tickets", "personal_data"),
    networks: tuple[str, ...] = (),
) -> tuple[str, str, str]:
    """(organisation id, user id, user code) of a customer who has set their password."""
    organisation = await portal.call(
        "POST", "/organisations", token=staff, json={**ORGANISATION, "code": code}, expect=201
    )
    _, user_id, user_code = await contact_with_access(
        portal,
        staff,
        organisation["organisation_id"],
        {**CONTACT, "email": email},
        modules=modules,
        networks=networks,
    )
    return organisation["organisation_id"], user_id, user_code


async def staff_member(
    portal: Portal,
    admin: str,
    *,
    role: str,
    email: str,
    first_name: str = "Paul",
    last_name: str = "Marchand",
    password: str = GOOD_PASSWORD,
) -> tuple[str, str, str]:
    """(user id, user code, access token) of a staff account the vendor admin created, whose
    holder chose `password` with the invitation's link and signed in."""
    created = await portal.call(
        "POST",
        "/staff",
        token=admin,
        json={"email": email, "first_name": first_name, "last_name": last_name, "role": role},
        expect=201,
    )
    token = await portal.link_token(created["user_id"], "StaffAccountCreated")
    await portal.call(
        "POST", "/auth/password/reset", json={"token": token, "new_password": password}, expect=204
    )
    signed_in = await portal.sign_in(email, password)
    return created["user_id"], created["user_code"], signed_in["access_token"]
