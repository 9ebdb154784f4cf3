"""The portal as a newcomer starts it: `./guichet start`, then a ticket, an email, an event."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from devstack import demo
from tests.e2e.portal import ROOT, Portal, Stack
from tests.support import eventually

pytestmark = pytest.mark.e2e


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


async def test_a_ticket_opened_on_the_started_portal_emails_its_requester_and_is_published(
    stack: Stack,
) -> None:
    await stack.start()
    assert any(demo.ADMIN_EMAIL in line for line in stack.output)  # the demo accounts
    inbox = stack.mail
    claire = "claire.martin@imprimerie-martin.example"

    async def demo_ticket_emails() -> list:
        return [m for m in await inbox.to(claire) if "est enregistrée" in m["subject"]]

    await eventually(lambda: _count(demo_ticket_emails, 3), timeout=30)

    # The demo's equipment came in through the ERP import; Claire's reading was confirmed.
    async def reading_emails() -> list:
        return [m for m in await inbox.to(claire) if "Relevé de compteurs" in m["subject"]]

    [reading_email] = await eventually(reading_emails, timeout=30)
    assert "2XK07412" in reading_email["subject"]

    trace_id = uuid.uuid4().hex
    requester = f"e2e-{uuid.uuid4().hex[:8]}@client.example"
    async with aiohttp.ClientSession() as session:
        token = await Portal(stack, session).token(claire, demo.CUSTOMER_PASSWORD)
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
        async with session.get(
            f"{stack.api_url}/fleet/assets", headers={"Authorization": f"Bearer {token}"}
        ) as response:
            fleet = await response.json()
        assert sorted(asset["serial_number"] for asset in fleet["assets"]) == [
            "2XK07412",
            "2XK07598",
            "AAJ01877",
        ]

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
        token = await Portal(stack, session).token(claire, demo.CUSTOMER_PASSWORD)
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
