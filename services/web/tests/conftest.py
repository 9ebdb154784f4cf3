"""One real portal for the browser tests: identity, tickets, billing, fleet, orders, notifications,
the gateway and the web portal in this process, on the session's PostgreSQL, broker and mail
catcher; one Chromium (Debian's) for the whole session, a fresh context per test."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from conftest import Infrastructure
from devstack import browser, postgres
from services.billing.app import create_app as create_billing
from services.billing.settings import BillingSettings
from services.fleet.app import create_app as create_fleet
from services.fleet.settings import FleetSettings
from services.gateway.app import create_app as create_gateway
from services.gateway.settings import GatewaySettings
from services.identity.app import create_app as create_identity
from services.identity.bootstrap import create_admin
from services.identity.settings import IdentitySettings
from services.notifications.app import create_app as create_notifications
from services.notifications.settings import NotificationsSettings
from services.orders.app import create_app as create_orders
from services.orders.settings import OrdersSettings
from services.tickets.app import create_app as create_tickets
from services.tickets.settings import TicketsSettings
from services.web.app import create_app as create_web
from services.web.settings import WebSettings
from shared.sealing import new_sealing_key
from tests.support import KAFKA_SESSION_TIMEOUT_MS, MailCatcher, free_port

ADMIN_EMAIL = "admin@vendor.example"
ADMIN_PASSWORD = "Comptoir&Vendeur77"
GOOD_PASSWORD = "Copieur&Toner42"
ARTEFACTS = Path(__file__).resolve().parents[3] / ".guichet" / "artefacts" / "web"


@contextlib.asynccontextmanager
async def serving_on(app: web.Application, port: int) -> AsyncIterator[str]:
    server = TestServer(app, host="127.0.0.1", port=port)
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.close()


@dataclass
class Portal:
    """The running portal: its address (the gateway's, as users open it), the mail catcher,
    and the public API for setting up what a test starts from."""

    url: str
    mail: MailCatcher
    http: aiohttp.ClientSession
    database_url: str

    async def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.request(
            method, f"{self.url}{path}", headers=headers, **kwargs
        ) as response:
            body = await response.json(content_type=None) if response.status != 204 else None
            assert response.status < 400, (method, path, response.status, body)
            return body

    async def sign_in(self, login: str, password: str) -> str:
        tokens = await self.call(
            "POST", "/api/auth/sign-in", json={"login": login, "password": password}
        )
        return tokens["access_token"]

    async def choose_language(self, token: str, language: str) -> None:
        """The user's own setting, as they would change it on their profile."""
        me = await self.call("GET", "/api/me", token)
        await self.call(
            "PUT",
            "/api/me",
            token,
            json={
                "first_name": me["first_name"],
                "last_name": me["last_name"],
                "function": me.get("function") or "",
                "phone": me.get("phone") or "",
                "language": language,
            },
        )

    async def staff_token(self) -> str:
        return await self.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)

    async def organisation(self, staff: str, name: str = "Imprimerie Martin") -> dict[str, Any]:
        code = f"T{uuid.uuid4().hex[:8].upper()}"
        return await self.call(
            "POST",
            "/api/organisations",
            staff,
            json={
                "code": code,
                "language": "fr",
                "details": {
                    "legal_name": f"{name} {code}",
                    "billing_address": {
                        "line1": "14 rue des Presses",
                        "postal_code": "54000",
                        "city": "Nancy",
                        "country": "FR",
                    },
                },
            },
        )

    async def contact(
        self, staff: str, organisation_id: str, first_name: str = "Claire"
    ) -> dict[str, Any]:
        email = f"{first_name.lower()}.{uuid.uuid4().hex[:8]}@imprimerie.example"
        return await self.call(
            "POST",
            f"/api/organisations/{organisation_id}/contacts",
            staff,
            json={
                "first_name": first_name,
                "last_name": "Martin",
                "title": "Directrice administrative",
                "email": email,
            },
        )

    async def link(self, email: str, path: str, count: int = 1) -> str:
        """The link to `path` in the latest email to `email` (waiting for the count-th)."""
        mails = await self.mail.wait_for(email, count)
        text = mails[-1].get("text") or ""
        start = text.index(f"{self.url}/{path}?token=")
        return text[start:].split()[0]

    async def invitation_link(self, email: str) -> str:
        return await self.link(email, "password/set")

    async def sql(self, query: str, *args: Any) -> Any:
        """For what no API does: making a password old enough to have expired."""
        connection = await asyncpg.connect(self.database_url)
        try:
            return await connection.execute(query, *args)
        finally:
            await connection.close()

    async def invite(
        self,
        staff: str,
        organisation_id: str,
        *,
        first_name: str = "Claire",
        modules: tuple[str, ...] = ("tickets", "personal_data"),
    ) -> dict[str, Any]:
        """Portal access granted to a new contact: {email, user_id, user_code}."""
        contact = await self.contact(staff, organisation_id, first_name)
        granted = await self.call(
            "POST",
            f"/api/contacts/{contact['contact_id']}/portal-access",
            staff,
            json={"modules": list(modules)},
        )
        return {**granted, "email": contact["email"]}

    async def customer(
        self,
        staff: str,
        organisation_id: str,
        *,
        first_name: str = "Claire",
        modules: tuple[str, ...] = ("tickets", "personal_data"),
        admin: bool = False,
    ) -> dict[str, Any]:
        """A customer user who has set their password from the invitation: {email, user_id,
        user_code, password}."""
        granted = await self.invite(staff, organisation_id, first_name=first_name, modules=modules)
        link = await self.invitation_link(granted["email"])
        token = link.split("token=", 1)[1]
        await self.call(
            "POST",
            "/api/auth/password/reset",
            json={"token": token, "new_password": GOOD_PASSWORD},
        )
        if admin:
            await self.call(
                "POST",
                f"/api/organisations/{organisation_id}/users/{granted['user_id']}/administrator",
                staff,
            )
        return {**granted, "password": GOOD_PASSWORD}


@pytest.fixture(scope="session")
async def portal(
    infrastructure: Infrastructure, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Portal]:
    database = f"web_{uuid.uuid4().hex[:12]}"
    await postgres.ensure_database(infrastructure.database_url("postgres"), database)
    gateway_port, web_port = free_port(), free_port()
    public_url = f"http://127.0.0.1:{gateway_port}/"
    key = new_sealing_key()
    common: dict[str, Any] = {
        "database_url": infrastructure.database_url(database),
        "kafka_bootstrap": infrastructure.kafka_bootstrap,
        "kafka_session_timeout_ms": KAFKA_SESSION_TIMEOUT_MS,
        "kafka_namespace": f"w{uuid.uuid4().hex[:12]}",
        "public_url": public_url,
    }
    identity_settings = IdentitySettings(
        **common,
        sealing_key=key,
        vendor_name="Imprimantes Dupuis",
        password_policy={"max_age_days": 90},
    )
    await create_admin(identity_settings, ADMIN_EMAIL, ADMIN_PASSWORD)
    async with contextlib.AsyncExitStack() as stack:
        server = TestServer(create_identity(identity_settings), host="127.0.0.1")
        await server.start_server()
        stack.push_async_callback(server.close)
        identity_url = str(server.make_url("")).rstrip("/")
        notifications = TestServer(
            create_notifications(
                NotificationsSettings(
                    **common,
                    identity_url=identity_url,
                    sealing_key=key,
                    smtp_url=infrastructure.smtp_url,
                )
            ),
            host="127.0.0.1",
        )
        await notifications.start_server()
        stack.push_async_callback(notifications.close)
        fleet = TestServer(
            create_fleet(FleetSettings(**common, identity_url=identity_url)), host="127.0.0.1"
        )
        await fleet.start_server()
        stack.push_async_callback(fleet.close)
        tickets = TestServer(
            create_tickets(
                TicketsSettings(
                    **common,
                    identity_url=identity_url,
                    attachments_dir=tmp_path_factory.mktemp("attachments"),
                )
            ),
            host="127.0.0.1",
        )
        await tickets.start_server()
        stack.push_async_callback(tickets.close)
        billing = TestServer(
            create_billing(
                BillingSettings(
                    **common,
                    identity_url=identity_url,
                    attachments_dir=tmp_path_factory.mktemp("invoices"),
                    vendor_name="Imprimantes Dupuis",
                    # Invoices issued past due become overdue within a second, not a day.
                    overdue_check_minutes=0.02,
                )
            ),
            host="127.0.0.1",
        )
        await billing.start_server()
        stack.push_async_callback(billing.close)
        orders = TestServer(
            create_orders(
                OrdersSettings(
                    **common, identity_url=identity_url, vendor_name="Imprimantes Dupuis"
                )
            ),
            host="127.0.0.1",
        )
        await orders.start_server()
        stack.push_async_callback(orders.close)
        await stack.enter_async_context(
            serving_on(
                create_web(
                    WebSettings(
                        **common,
                        gateway_url=public_url,
                        session_key=new_sealing_key(),
                        secure_cookies=False,
                    )
                ),
                web_port,
            )
        )
        url = await stack.enter_async_context(
            serving_on(
                create_gateway(
                    GatewaySettings(
                        **common,
                        identity_url=identity_url,
                        upstreams={
                            "identity": identity_url,
                            "fleet": str(fleet.make_url("")).rstrip("/"),
                            "tickets": str(tickets.make_url("")).rstrip("/"),
                            "billing": str(billing.make_url("")).rstrip("/"),
                            "orders": str(orders.make_url("")).rstrip("/"),
                            "web": f"http://127.0.0.1:{web_port}",
                        },
                        trusted_proxies=["127.0.0.1/32"],
                        # One browser signs in many times from one address in these tests.
                        sign_in_per_minute_per_ip=6000,
                        sign_in_burst_per_ip=1000,
                        rate_per_ip=1000,
                        burst_per_ip=5000,
                    )
                ),
                gateway_port,
            )
        )
        http = await stack.enter_async_context(aiohttp.ClientSession())
        yield Portal(url, infrastructure.mail, http, common["database_url"])


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    browser.install()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=browser.chromium(), args=["--no-sandbox"]
        )
        yield launched
        await launched.close()


@pytest.fixture
async def context(chromium: Browser) -> AsyncIterator[BrowserContext]:
    created = await chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    # Injected through the browser's debugging protocol, which the page's CSP does not govern.
    await created.add_init_script(path=str(browser.AXE))
    yield created
    await created.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


async def accessibility_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    results = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} —"
        f" {[node['target'] for node in violation['nodes']][:3]}"
        for violation in results
        if violation["impact"] in {"serious", "critical"}
    ]


PHONE = {"width": 360, "height": 740}


async def check_page(page: Page, name: str) -> None:
    """What every page must pass, on the desktop and on a 360-px-wide phone: no serious or
    critical accessibility violation, no horizontal scroll; screenshots of both are kept as
    artefacts of the run (.guichet/artefacts/web/)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    desktop = page.viewport_size
    assert await accessibility_violations(page) == []
    await page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)
    await page.set_viewport_size(PHONE)
    try:
        assert await accessibility_violations(page) == []
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} scrolls sideways on a phone ({width} px)"
        await page.screenshot(path=str(ARTEFACTS / f"{name}-phone.png"), full_page=True)
    finally:
        if desktop is not None:
            await page.set_viewport_size(desktop)
