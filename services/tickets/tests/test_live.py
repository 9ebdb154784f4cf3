"""Live updates through the gateway: the stream of a customer delivers an agent's reply, never
an internal note, never another organisation's events; staff see everything."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp

from services.gateway.app import create_app as create_gateway
from services.gateway.settings import GatewaySettings
from services.tickets.tests.conftest import Client, TicketsUnderTest
from tests.support import eventually, serving


class Stream:
    """The events an EventSource would get, read in the background."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.connected = asyncio.Event()

    async def read(self, response: aiohttp.ClientResponse) -> None:
        name, data = "", ""
        async for raw in response.content:
            line = raw.decode().rstrip("\n")
            if line == ": connected":
                self.connected.set()
            elif line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = line.removeprefix("data: ")
            elif not line and name:
                self.events.append((name, json.loads(data)))
                name, data = "", ""

    def names(self) -> list[str]:
        return [name for name, _ in self.events]


@contextlib.asynccontextmanager
async def streaming(
    session: aiohttp.ClientSession, url: str, client: Client
) -> AsyncIterator[Stream]:
    stream = Stream()
    async with session.get(url, headers=client.headers) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"] == "text/event-stream"
        task = asyncio.create_task(stream.read(response))
        await asyncio.wait_for(stream.connected.wait(), timeout=15)
        try:
            yield stream
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_a_customer_stream_delivers_an_agent_reply_but_no_note_and_no_other_organisation(
    tickets: TicketsUnderTest, service_env: Callable[..., dict[str, Any]]
) -> None:
    settings = GatewaySettings(
        **service_env(upstreams={"identity": tickets.url, "tickets": tickets.url})
    )
    async with serving(create_gateway(settings)) as gateway, aiohttp.ClientSession() as session:
        api = f"{gateway}/api"
        alice = tickets.customer(uuid.uuid4())
        bob = tickets.customer(uuid.uuid4())
        agent = tickets.agent()
        for client in (alice, bob, agent):
            client.base_url = api
        ticket = await alice.open()
        live = f"{api}/tickets/live"
        async with (
            streaming(session, live, alice) as alice_stream,
            streaming(session, live, bob) as bob_stream,
            streaming(session, live, agent) as agent_stream,
            streaming(session, f"{live}?ticket_id={ticket['ticket_id']}", alice) as one_ticket,
        ):
            path = f"/agent/tickets/{ticket['ticket_id']}"
            await agent.ok("POST", f"{path}/notes", json={"body": "Secret interne"})
            await agent.ok("POST", f"{path}/messages", json={"body": "Technicien demain 9h"})

            async def alice_got_the_reply() -> bool:
                return "TicketMessagePosted" in alice_stream.names()

            await eventually(alice_got_the_reply, timeout=10)
            [(_, posted)] = [e for e in alice_stream.events if e[0] == "TicketMessagePosted"]
            assert posted["ticket_id"] == ticket["ticket_id"]
            assert posted["data"]["body"] == "Technicien demain 9h"
            # The note came first on the same partition: had it been sent, it would be here.
            # (The opening may be here too: under load it can be relayed after the stream
            # started reading the topic's end.)
            assert "InternalNoteAdded" not in alice_stream.names()
            assert set(alice_stream.names()) <= {"TicketOpened", "TicketMessagePosted"}
            await eventually(lambda: _has(one_ticket, "TicketMessagePosted"), timeout=10)
            assert "InternalNoteAdded" not in one_ticket.names()

            # Bob's own ticket reaches his stream, and nothing of Alice's came before it.
            await bob.open(title="Le ticket de Bob")
            await eventually(lambda: _has(bob_stream, "TicketOpened"), timeout=10)
            assert bob_stream.names() == ["TicketOpened"]

            await eventually(lambda: _has(agent_stream, "TicketOpened"), timeout=10)
            assert {"InternalNoteAdded", "TicketMessagePosted"} <= set(agent_stream.names())

        other = await bob.call("GET", f"/tickets/live?ticket_id={ticket['ticket_id']}")
        assert other.status == 404
        agents_only = await alice.call("GET", "/agent/tickets")
        assert agents_only.status == 403


async def _has(stream: Stream, name: str) -> bool:
    return name in stream.names()
