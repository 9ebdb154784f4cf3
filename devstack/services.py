"""Every service of the portal, how to start it, and where it listens."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from devstack.supervisor import Managed, Supervisor

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Service:
    name: str
    port_offset: int

    @property
    def module(self) -> str:
        return f"services.{self.name}"

    @property
    def migrations(self) -> Path:
        return ROOT / "services" / self.name / "migrations"


SERVICES = (
    Service("gateway", 0),  # the portal's API: the one public entry, at the base port
    Service("identity", 1),
    Service("tickets", 3),
    Service("billing", 4),
    Service("fleet", 5),
    Service("orders", 6),
    Service("notifications", 7),
    Service("web", 9),  # the portal's pages, reached through the gateway's address
)


@dataclass(frozen=True)
class Ports:
    """Every port of the stack, from one base so that several stacks can run side by side."""

    base: int

    def service(self, service: Service) -> int:
        return self.base + service.port_offset

    @property
    def postgres(self) -> int:
        return self.base + 32

    @property
    def kafka(self) -> int:
        return self.base + 92

    @property
    def smtp(self) -> int:
        return self.base + 25

    @property
    def mail_web(self) -> int:
        return self.base + 80


def upstreams(ports: Ports) -> dict[str, str]:
    """Where the gateway finds every other service (GUICHET_UPSTREAMS)."""
    return {
        service.name: f"http://127.0.0.1:{ports.service(service)}"
        for service in SERVICES
        if service.name != "gateway"
    }


async def ready(url: str) -> bool:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status == 200


async def start(
    supervisor: Supervisor, service: Service, port: int, env: dict[str, str]
) -> Managed:
    return await supervisor.start(
        service.name,
        [sys.executable, "-m", service.module, "serve"],
        env={**env, "GUICHET_HTTP_PORT": str(port)},
        ready=lambda: ready(f"http://127.0.0.1:{port}/readyz"),
        timeout=90,
    )
