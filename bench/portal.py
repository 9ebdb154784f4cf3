"""The portal as production runs it, for the benchmarks that measure requests end to end.

Each service is its own process (`python -m services.<name> serve`), started by devstack's
code on free ports, against a database of its own on the benchmark's PostgreSQL and a Kafka
namespace of its own on its broker. The demo data is loaded the way `./guichet start` loads
it (`devstack.demo`): a vendor admin by command, then through the gateway an organisation,
its contacts and a customer whose password is set from the invitation email the
notifications service sends to the mail catcher, and the demo invoices sent as the ERP. Once
that is done, the notifications service and the mail catcher are stopped: nothing measured
needs them, and they would take CPU on the measured requests' cores (every ticket opened
sends an email).

The load generator runs in a process of its own (`measure_apart`), as a user's client would:
the benchmark's main process supervises the servers and reads their logs (a line per request
each), and doing that on the client's event loop would add to the latencies it measures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from pydantic import TypeAdapter

from devstack import demo, mailcatcher, postgres, services
from devstack.services import ROOT
from devstack.supervisor import Supervisor
from shared.sealing import new_sealing_key

Result = TypeVar("Result")
MEASURED = ("identity", "tickets", "billing", "orders", "gateway")
"""Started in this order: the gateway last, once the services it routes to answer."""
SETUP_ONLY = ("notifications", "fleet")
"""Started for the demo data (its emails, its equipment), stopped before measuring."""


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on right now (all held open together, so they differ)."""
    with contextlib.ExitStack() as stack:
        sockets = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]


@dataclass(frozen=True)
class Portal:
    urls: Mapping[str, str]
    """Base URL of each running service (the gateway's is the public one)."""
    pids: Mapping[str, int]
    accounts: demo.DemoAccounts
    database_url: str
    """The services' database (a schema each, named after the service)."""

    @property
    def api(self) -> str:
        """The public API, through the gateway."""
        return f"{self.urls['gateway']}/api"


@dataclass(frozen=True)
class Order:
    """What the load generator is told: where the portal is, and how long to measure."""

    portal: Portal
    quick: bool


async def measure_apart(
    module: str, portal: Portal, *, quick: bool, result: type[Result]
) -> Result:
    """Run `python -m <module>` as the load generator: it reads an `Order` on its standard
    input and writes its result, as JSON, on its standard output (see `serve_order`)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    output, _ = await process.communicate(TypeAdapter(Order).dump_json(Order(portal, quick)))
    if process.returncode != 0:
        raise RuntimeError(f"the load generator {module} exited with code {process.returncode}")
    return TypeAdapter(result).validate_json(output)


def serve_order(measure: Callable[[Portal, bool], Awaitable[Any]], result: type[Any]) -> None:
    """The load generator's side of `measure_apart`."""
    order = TypeAdapter(Order).validate_json(sys.stdin.buffer.read())
    figures = asyncio.run(measure(order.portal, order.quick))
    sys.stdout.buffer.write(TypeAdapter(result).dump_json(figures))


def one_connection() -> aiohttp.ClientSession:
    """A client that keeps one connection open and reuses it (keep-alive), as one user's
    browser does for one origin."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))


class SignedIn:
    """A user signed in through the gateway, whose access token is renewed before it expires
    (they live 5 minutes), so that a long measurement never sends an expired one."""

    RENEW_AFTER = 240.0

    def __init__(
        self, session: aiohttp.ClientSession, portal: Portal, login: str, password: str
    ) -> None:
        self.session = session
        self.portal = portal
        self.credentials = {"login": login, "password": password}
        self.token = ""
        self.signed_in_at = -self.RENEW_AFTER

    @classmethod
    def customer(cls, session: aiohttp.ClientSession, portal: Portal) -> SignedIn:
        accounts = portal.accounts
        return cls(session, portal, accounts.customer_login, accounts.customer_password)

    @classmethod
    def vendor_admin(cls, session: aiohttp.ClientSession, portal: Portal) -> SignedIn:
        accounts = portal.accounts
        return cls(session, portal, accounts.admin_email, accounts.admin_password)

    async def headers(self) -> dict[str, str]:
        if time.monotonic() - self.signed_in_at >= self.RENEW_AFTER:
            async with self.session.post(
                f"{self.portal.api}/auth/sign-in", json=self.credentials
            ) as response:
                if response.status != 200:
                    raise RuntimeError(f"sign-in: {response.status} {await response.text()}")
                self.token = str((await response.json())["access_token"])
            self.signed_in_at = time.monotonic()
        return {"Authorization": f"Bearer {self.token}"}


def _database_url(server_url: str, database: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _service(name: str) -> services.Service:
    return next(service for service in services.SERVICES if service.name == name)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    # After the command name: state is field 3 of proc(5), utime 14 and stime 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.asynccontextmanager
async def running_portal(
    database_url: str, kafka_bootstrap: str, settings: Mapping[str, str] | None = None
) -> AsyncIterator[Portal]:
    """The portal's services as separate processes, with demo data loaded; `settings` are
    extra GUICHET_* variables for every service (each reads its own)."""
    token = secrets.token_hex(4)
    database = f"bench_portal_{token}"
    await postgres.ensure_database(_database_url(database_url, "postgres"), database)
    workdir = Path(tempfile.mkdtemp(prefix="guichet-bench-portal-"))
    supervisor = Supervisor(log_dir=workdir / "logs", echo=False)
    names = (*MEASURED, *SETUP_ONLY)
    smtp_port, mail_web_port, *ports = free_ports(2 + len(names))
    urls = {name: f"http://127.0.0.1:{port}" for name, port in zip(names, ports, strict=True)}
    env = {
        "GUICHET_DATABASE_URL": _database_url(database_url, database),
        "GUICHET_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "GUICHET_KAFKA_NAMESPACE": f"bench-{token}",
        "GUICHET_PUBLIC_URL": f"{urls['gateway']}/",
        "GUICHET_IDENTITY_URL": urls["identity"],
        "GUICHET_SEALING_KEY": new_sealing_key(),
        "GUICHET_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "GUICHET_UPSTREAMS": json.dumps({n: u for n, u in urls.items() if n != "gateway"}),
        "GUICHET_ATTACHMENTS_DIR": str(workdir / "files"),
        **(settings or {}),
    }
    try:
        await mailcatcher.start(supervisor, workdir / "mail", smtp_port, mail_web_port)
        managed = {}
        for name in (*SETUP_ONLY, *MEASURED):
            port = ports[names.index(name)]
            managed[name] = await services.start(supervisor, _service(name), port, env)
        accounts = await demo.load(
            f"{urls['gateway']}/api", f"http://127.0.0.1:{mail_web_port}", env
        )
        assert accounts is not None  # the mail catcher was given: the customer exists
        for name in (*SETUP_ONLY, "mail"):
            await supervisor.stop(name)
        yield Portal(
            urls={name: urls[name] for name in MEASURED},
            pids={name: managed[name].process.pid for name in MEASURED},
            accounts=accounts,
            database_url=env["GUICHET_DATABASE_URL"],
        )
    finally:
        await supervisor.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
