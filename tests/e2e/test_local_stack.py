"""The portal as a newcomer starts it: `./guichet start`, then a ticket, an email, an event."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from devstack import demo
from devstack.services import SERVICES, Ports
from tests.support import MailCatcher, eventually, free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def free_port_base() -> int:
    """A base whose whole block of ports is free (the stack uses base … base + 99)."""
    for _ in range(50):
        base = free_port() // 100 * 100
        if base < 20000 or base > 60000:
            continue
        ports = Ports(base)
        wanted = [ports.postgres, ports.kafka, ports.smtp, ports.mail_web]
        wanted += [ports.service(service) for service in SERVICES]
        if all(_free(port) for port in wanted):
            return base
    raise RuntimeError("no free block of ports")


def _free(port: int) -> bool:
    import socket  # noqa: PLC0415

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


class Stack:
    def __init__(self, data_dir: Path, port_base: int) -> None:
        self.data_dir = data_dir
        self.ports = Ports(port_base)
        self.process: asyncio.subprocess.Process | None = None
        self.output: list[str] = []

    @property
    def api_url(self) -> str:
        """The gateway: the portal's one public entry."""
        return f"http://127.0.0.1:{self.ports.base}/api"

    async def start(self, **external: str) -> None:
        """`./guichet start`; `external` GUICHET_* settings name infrastructure to use."""
        self.output.clear()
        env = {k: v for k, v in os.environ.items() if not k.startswith("GUICHET_")}
        env.update(GUICHET_DATA_DIR=str(self.data_dir), GUICHET_LOG_FORMAT="json", **external)
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


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    stack = Stack(tmp_path / "data", free_port_base())
    yield stack
    if stack.process is not None and stack.process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(stack.process.pid, signal.SIGKILL)


def read_ticket_events(bootstrap: str) -> list:
    """What another team would do: read the topic with a standard Kafka client."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"e2e-{uuid.uuid4()}",
            "enable.auto.commit": False,
        }
    )
    try:
        metadata = consumer.list_topics("guichet.tickets", timeout=10)
        partitions = metadata.topics["guichet.tickets"].partitions
        consumer.assign(
            [TopicPartition("guichet.tickets", p, OFFSET_BEGINNING) for p in partitions]
        )
        messages = []
        while batch := consumer.consume(num_messages=100, timeout=2):
            messages.extend(m for m in batch if m.error() is None)
        return messages
    finally:
        consumer.close()


async def sign_in(session: aiohttp.ClientSession, api_url: str, login: str, password: str) -> str:
    async with session.post(
        f"{api_url}/auth/sign-in", json={"login": login, "password": password}
    ) as response:
        assert response.status == 200, await response.text()
        return (await response.json())["access_token"]


async def test_a_ticket_opened_on_the_started_portal_emails_its_requester_and_is_published(
    stack: Stack,
) -> None:
    await stack.start()
    assert any(demo.ADMIN_EMAIL in line for line in stack.output)  # the demo accounts
    inbox = MailCatcher(f"http://127.0.0.1:{stack.ports.mail_web}")
    claire = "claire.martin@imprimerie-martin.example"

    async def demo_ticket_emails() -> list:
        return [m for m in await inbox.to(claire) if "est enregistrée" in m["subject"]]

    await eventually(lambda: _count(demo_ticket_emails, 3), timeout=30)

    trace_id = uuid.uuid4().hex
    requester = f"e2e-{uuid.uuid4().hex[:8]}@client.example"
    async with aiohttp.ClientSession() as session:
        token = await sign_in(session, stack.api_url, claire, demo.CUSTOMER_PASSWORD)
        async with session.post(
            f"{stack.api_url}/tickets",
            json={
                "title": "Imprimante bloquée",
                "description": "Erreur E-42 affichée.",
                "priority": "high",
                "requester_email": requester,
            },
            headers={
                "Authorization": f"Bearer {token}",
                "traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01",
            },
        ) as response:
            assert response.status == 201, await response.text()
            ticket = await response.json()

    [mail] = await inbox.wait_for(requester)
    assert mail["subject"] == (
        f"[#{ticket['number']}] Votre demande « Imprimante bloquée » est enregistrée"
    )

    messages = await asyncio.to_thread(read_ticket_events, f"127.0.0.1:{stack.ports.kafka}")
    [message] = [m for m in messages if m.key() == ticket["ticket_id"].encode()]
    envelope = json.loads(message.value())
    headers = dict(message.headers())
    assert envelope["specversion"] == "1.0"
    assert envelope["type"] == "guichet.tickets.TicketOpened"
    assert envelope["source"] == "/guichet/tickets"
    assert envelope["subject"] == ticket["ticket_id"]
    assert envelope["data"]["requester_email"] == requester
    assert headers["content-type"] == b"application/cloudevents+json"
    assert headers["traceparent"].decode().split("-")[1] == trace_id
    assert envelope["traceparent"] == headers["traceparent"].decode()

    assert await stack.stop() == 0
    assert any(line.startswith("Stopped.") for line in stack.output)

    # Started again: the data is still there, and a fresh broker re-sends nothing to anyone.
    await stack.start()
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{stack.api_url}/tickets/{ticket['ticket_id']}") as response:
            assert response.status == 401  # no token, no ticket
        token = await sign_in(session, stack.api_url, claire, demo.CUSTOMER_PASSWORD)
        async with session.get(
            f"{stack.api_url}/tickets/{ticket['ticket_id']}",
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            assert response.status == 200
    await eventually(
        lambda: asyncio.to_thread(read_ticket_events, f"127.0.0.1:{stack.ports.kafka}"),
        timeout=30,
    )  # the relay republished the event store to the new broker
    await asyncio.sleep(3)
    assert len(await inbox.to(requester)) == 1
    assert len(await demo_ticket_emails()) == 3
    assert await stack.stop() == 0


async def _count(emails: Callable[[], Awaitable[list]], expected: int) -> bool:
    return len(await emails()) >= expected


def test_reset_clears_the_local_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "postgres").mkdir(parents=True)
    env = {**os.environ, "GUICHET_DATA_DIR": str(data)}
    result = subprocess.run(
        [str(ROOT / "guichet"), "reset"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert not data.exists()
