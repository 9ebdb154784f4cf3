"""The whole portal as `./guichet start` runs it, for end-to-end tests: `Stack` starts and
stops it; `Portal` uses it as people do, through the gateway, reading the emails it sends
from the stack's mail catcher."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import socket
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from devstack import demo, demo_invoices, postgres
from devstack.services import SERVICES, Ports
from tests.support import MailCatcher, eventually

ROOT = Path(__file__).resolve().parents[2]
# A link carrying a one-time token, as the invitation and reset emails write it.
LINK = re.compile(r"https?://[^\s\"<>]+[?&]token=([A-Za-z0-9_\-]+)")
CUSTOMER_PASSWORD = "Agrafeuse&Ruban58"
EPHEMERAL_PORTS = Path("/proc/sys/net/ipv4/ip_local_port_range")


def free_port_base() -> int:
    """A base whose whole block of ports is free (the stack uses base … base + 99), below
    the range the system picks client sockets' ports from: a port there that is free now
    may be any connection's own a moment later (each test opens hundreds)."""
    below = _ephemeral_ports_start()
    for _ in range(50):
        base = random.randrange(10_000, below - 100, 100)
        ports = Ports(base)
        wanted = [ports.postgres, ports.kafka, ports.smtp, ports.mail_web]
        wanted += [ports.service(service) for service in SERVICES]
        if all(_free(port) for port in wanted):
            return base
    raise RuntimeError("no free block of ports")


def _ephemeral_ports_start() -> int:
    try:
        return int(EPHEMERAL_PORTS.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768  # Linux's default, and within the IANA dynamic range elsewhere


def _free(port: int) -> bool:
    """Nothing listens there nor has it as its own address (a bind would succeed)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass(frozen=True)
class Given:
    """PostgreSQL, Kafka and SMTP the user already runs, for `./guichet start` to use instead
    of starting its own (the GUICHET_* settings the README documents)."""

    database_url: str
    kafka_bootstrap: str
    kafka_namespace: str
    smtp_url: str
    mail: MailCatcher

    @property
    def settings(self) -> dict[str, str]:
        return {
            "GUICHET_DATABASE_URL": self.database_url,
            "GUICHET_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "GUICHET_KAFKA_NAMESPACE": self.kafka_namespace,
            "GUICHET_SMTP_URL": self.smtp_url,
        }


class Stack:
    """`./guichet start` in a subprocess, on its own block of ports and data folder."""

    def __init__(self, data_dir: Path, port_base: int, infrastructure: Given | None = None) -> None:
        self.data_dir = data_dir
        self.ports = Ports(port_base)
        self.given = infrastructure
        self.process: asyncio.subprocess.Process | None = None
        self.output: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports.base}"

    @property
    def api_url(self) -> str:
        """The gateway: the portal's one public entry."""
        return f"{self.url}/api"

    @property
    def mail(self) -> MailCatcher:
        """Where the portal's emails are read: the given SMTP server's, else its own."""
        if self.given is not None:
            return self.given.mail
        return MailCatcher(f"http://127.0.0.1:{self.ports.mail_web}")

    @property
    def database_url(self) -> str:
        if self.given is not None:
            return self.given.database_url
        return postgres.url(self.ports.postgres)

    def service_url(self, name: str) -> str:
        """A service's own port, behind the gateway (to compare with what the gateway says)."""
        service = next(service for service in SERVICES if service.name == name)
        return f"http://127.0.0.1:{self.ports.service(service)}"

    async def start(self, **settings: str) -> None:
        """`./guichet start`; `settings` are GUICHET_* variables: infrastructure to use
        instead of the stack's own, or any service setting."""
        self.output.clear()
        env = {k: v for k, v in os.environ.items() if not k.startswith("GUICHET_")}
        env.update(GUICHET_DATA_DIR=str(self.data_dir), GUICHET_LOG_FORMAT="json")
        if self.given is not None:
            env.update(self.given.settings)
        env.update(settings)
        self.process = await asyncio.create_subprocess_exec(
            str(ROOT / "guichet"),
            "start",
            "--port-base",
            str(self.ports.base),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        self._pump = asyncio.create_task(self._read_output())

        async def running() -> bool:
            assert self.process is not None
            if self.process.returncode is not None:
                raise AssertionError("the stack stopped:\n" + "\n".join(self.output[-40:]))
            return any("Guichet is running" in line for line in self.output)

        await eventually(running, timeout=240, interval=0.5)

    async def _read_output(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.output.append(line.decode(errors="replace").rstrip())

    async def stop(self) -> int:
        """Ctrl-C, as a user would press it."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGINT)
        code = await asyncio.wait_for(self.process.wait(), 60)
        await self._pump
        return code

    async def kill(self) -> None:
        """After a test, whatever state it left the stack in."""
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            await self.process.wait()


async def start_on_free_ports(
    root: Path, infrastructure: Given | None = None, attempts: int = 3, **settings: str
) -> Stack:
    """A started stack with its data under `root`. Another program may take one of the ports
    between the check and the start (other stacks run side by side): then another block."""
    for attempt in range(1, attempts + 1):
        stack = Stack(root / f"data-{attempt}", free_port_base(), infrastructure)
        try:
            await stack.start(**settings)
        except AssertionError:
            await stack.kill()
            if attempt == attempts:
                raise
        else:
            return stack
    raise ValueError("attempts must be at least 1")


def unique_code(prefix: str = "E2E") -> str:
    """An organisation code no other test uses (user codes are made from it)."""
    return f"{prefix}{uuid.uuid4().hex[:8].upper()}"


def unique_email(name: str, domain: str) -> str:
    """An address no other test uses; ASCII, as most mailboxes are (Inès → ines)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return f"{ascii_name}.{uuid.uuid4().hex[:6]}@{domain}"


def link_token(mail: dict[str, Any]) -> str:
    """The token of the one-time link in an email's plain text."""
    match = LINK.search(mail["text"])
    assert match, f"no one-time link in: {mail['text']}"
    return match.group(1)


@dataclass(frozen=True)
class Customer:
    """A customer user who has followed their invitation and chosen a password."""

    organisation_id: str
    user_id: str
    user_code: str
    email: str
    password: str = CUSTOMER_PASSWORD


@dataclass(frozen=True)
class StaffMember:
    """A member of the vendor's staff who has followed their invitation and chosen a password."""

    user_id: str
    user_code: str
    email: str
    role: str
    password: str = CUSTOMER_PASSWORD


class Portal:
    """A client of the running portal: the gateway's `/api`, and the mail catcher."""

    def __init__(self, stack: Stack, session: aiohttp.ClientSession) -> None:
        self.stack = stack
        self.session = session
        self.mail = stack.mail

    async def call(
        self,
        method: str,
        path: str,
        *,
        expect: int,
        token: str | None = None,
        json: Any = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        """`path` under the gateway's `/api`; the JSON answer (None when there is no body),
        after checking its status is `expect`."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.request(
            method, f"{self.stack.api_url}{path}", json=json, params=params, headers=headers
        ) as response:
            text = await response.text()
            assert response.status == expect, f"{method} {path}: {response.status} {text}"
            return await response.json(content_type=None) if text else None

    async def status(self, method: str, path: str, *, token: str | None = None) -> int:
        """Only the status of a call, for polling until it changes."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.request(
            method, f"{self.stack.api_url}{path}", headers=headers
        ) as response:
            return response.status

    async def sign_in(self, login: str, password: str, **extra: Any) -> dict[str, Any]:
        return await self.call(
            "POST",
            "/auth/sign-in",
            json={"login": login, "password": password, **extra},
            expect=200,
        )

    async def token(self, login: str, password: str, **extra: Any) -> str:
        return (await self.sign_in(login, password, **extra))["access_token"]

    async def vendor_admin(self) -> str:
        """The demo's vendor administrator, signed in."""
        return await self.token(demo.ADMIN_EMAIL, demo.ADMIN_PASSWORD)

    async def internal_system(self, name: str, scopes: tuple[str, ...]) -> str:
        """An internal system's token: an OAuth client the vendor admin registered with
        these scopes, taking its token with client credentials, as the ERP does."""
        return await demo_invoices.internal_system_token(
            self.session,
            self.stack.api_url,
            await self.vendor_admin(),
            name=name,
            scopes=scopes,
        )

    async def emails_to(
        self, address: str, *, subject: str = "", count: int = 1
    ) -> list[dict[str, Any]]:
        """The emails to `address` whose subject contains `subject`, once `count` arrived."""

        async def arrived() -> list[dict[str, Any]]:
            mails = [m for m in await self.mail.to(address) if subject in m["subject"]]
            return mails if len(mails) >= count else []

        return await eventually(arrived, timeout=30, interval=0.2)

    # --- what the back office does for most tests --------------------------------------------

    async def create_organisation(
        self, staff: str, *, language: str = "fr", **details: Any
    ) -> dict[str, Any]:
        """A new organisation of its own code, answered as the back office reads it back."""
        return await self.call(
            "POST",
            "/organisations",
            token=staff,
            json={
                "code": unique_code(),
                "language": language,
                "details": {"legal_name": f"Client {uuid.uuid4().hex[:6]}", **details},
            },
            expect=201,
        )

    async def add_contact(self, staff: str, organisation_id: str, **contact: Any) -> dict[str, Any]:
        return await self.call(
            "POST",
            f"/organisations/{organisation_id}/contacts",
            token=staff,
            json=contact,
            expect=201,
        )

    async def invite(
        self,
        staff: str,
        organisation_id: str,
        *,
        first_name: str,
        last_name: str,
        modules: tuple[str, ...] = ("personal_data", "tickets"),
        title: str = "",
        **access: Any,
    ) -> Customer:
        """A contact given portal access, who sets a password from the invitation email."""
        email = unique_email(first_name.lower(), "client.example")
        contact = await self.add_contact(
            staff,
            organisation_id,
            first_name=first_name,
            last_name=last_name,
            title=title,
            email=email,
        )
        granted = await self.call(
            "POST",
            f"/contacts/{contact['contact_id']}/portal-access",
            token=staff,
            json={"modules": list(modules), **access},
            expect=201,
        )
        [invitation] = await self.emails_to(email)
        await self.call(
            "POST",
            "/auth/password/reset",
            json={"token": link_token(invitation), "new_password": CUSTOMER_PASSWORD},
            expect=204,
        )
        return Customer(organisation_id, granted["user_id"], granted["user_code"], email)

    async def staff_member(
        self, admin: str, *, role: str, first_name: str, last_name: str
    ) -> tuple[StaffMember, str]:
        """A staff account the vendor admin created, whose holder chose a password from the
        invitation email; and their access token."""
        email = unique_email(first_name.lower(), "vendor.example")
        created = await self.call(
            "POST",
            "/staff",
            token=admin,
            json={
                "email": email,
                "first_name": first_name,
                "last_name": last_name,
                "role": role,
            },
            expect=201,
        )
        [invitation] = await self.emails_to(email)
        await self.call(
            "POST",
            "/auth/password/reset",
            json={"token": link_token(invitation), "new_password": CUSTOMER_PASSWORD},
            expect=204,
        )
        member = StaffMember(created["user_id"], created["user_code"], email, role)
        return member, await self.token(member.user_code, member.password)

    async def customer_admin(
        self, staff: str, organisation_id: str, **access: Any
    ) -> tuple[Customer, str]:
        """An administrator of the organisation, and their access token."""
        admin = await self.invite(
            staff, organisation_id, first_name="Claire", last_name="Admin", **access
        )
        await self.call(
            "POST",
            f"/organisations/{organisation_id}/users/{admin.user_id}/administrator",
            token=staff,
            expect=204,
        )
        return admin, await self.token(admin.user_code, admin.password)


# Addresses the flows give organisations and branches.
NANCY = {"line1": "14 rue des Presses", "postal_code": "54000", "city": "Nancy", "country": "FR"}
METZ = {
    "label": "Entrepôt",
    "line1": "3 allée des Tilleuls",
    "line2": "Bâtiment B",
    "postal_code": "57000",
    "city": "Metz",
    "country": "FR",
}
