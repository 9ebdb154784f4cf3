"""Live delivery latency: from an agent's reply being answered to the customer's open stream
receiving it (`GET /api/tickets/live`, server-sent events).

The portal runs as in production (`bench.portal`). The load generator, a process of its own,
signs in as the demo customer and as the vendor admin (an agent) through the gateway; the
customer opens a ticket and then the live stream, through the gateway, as the portal's page
does. The agent then replies to the ticket (`POST /api/agent/tickets/{id}/messages`), one
reply at a time, each waiting for its event on the customer's stream, with a pause of
50 to 150 ms between replies (a random one, so that replies do not fall in step with the
consumers' polling). Each reply carries a number in its body, which is how its event is
recognised on the stream.

The way there: the reply's transaction commits the event and its outbox row; the relay,
woken by the commit's notification, publishes it to the broker; each tickets replica reads
the topic (no consumer group, fetches waiting at most `GUICHET_KAFKA_FETCH_MAX_WAIT_MS`) and
hands the event to the streams that may see it; the gateway forwards the frame.

Latency is measured from the reply's answer being read (what the agent sees) to the frame
being read by the customer's client, and also from the reply being sent. Goal (issue 4, "live
updates"): within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from dataclasses import dataclass

import aiohttp

from bench.portal import Portal, SignedIn, measure_apart, running_portal, serve_order
from bench.stats import Summary

GOAL_MS = 1000.0
EVENT = "TicketMessagePosted"
TIMEOUT = 10.0


@dataclass(frozen=True)
class DeliveryResult:
    after_answer: Summary
    """From the reply's answer read to the frame read by the customer."""
    after_send: Summary
    """From the reply sent to the frame read."""
    reply: Summary
    """The reply request itself, through the gateway."""
    before_answer: int
    """Frames that reached the customer before the agent had the reply's answer."""


class Stream:
    """Reads an event stream; hands each frame's arrival time to whoever waits for its body."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.connected = asyncio.Event()

    def expect(self, body: str) -> asyncio.Future[float]:
        future = asyncio.get_running_loop().create_future()
        self.waiting[body] = future
        return future

    async def read(self, response: aiohttp.ClientResponse) -> None:
        name = ""
        async for raw in response.content:
            arrived = time.perf_counter()
            line = raw.decode().rstrip("\n")
            if line == ": connected":
                self.connected.set()
            elif line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: ") and name == EVENT:
                body = json.loads(line.removeprefix("data: "))["data"]["body"]
                future = self.waiting.pop(body, None)
                if future is not None:
                    future.set_result(arrived)
            elif not line:
                name = ""


async def measure(portal: Portal, quick: bool) -> DeliveryResult:
    """The load generator's work (in a process of its own, see `run`)."""
    count = 100 if quick else 400
    rng = random.Random(4)
    after_answer, after_send, reply_times = [], [], []
    early = 0
    async with (
        aiohttp.ClientSession() as customer_session,
        aiohttp.ClientSession() as agent_session,
    ):
        customer = SignedIn.customer(customer_session, portal)
        agent = SignedIn.vendor_admin(agent_session, portal)
        ticket = {"title": "Écran noir au démarrage", "description": "Depuis ce matin."}
        async with customer_session.post(
            f"{portal.api}/tickets", json=ticket, headers=await customer.headers()
        ) as response:
            if response.status != 201:
                raise RuntimeError(f"open a ticket: {response.status} {await response.text()}")
            ticket_id = (await response.json())["ticket_id"]
        reply_url = f"{portal.api}/agent/tickets/{ticket_id}/messages"
        stream = Stream()
        async with customer_session.get(
            f"{portal.api}/tickets/live",
            headers=await customer.headers(),
            timeout=aiohttp.ClientTimeout(total=None, sock_read=None),
        ) as response:
            if response.status != 200:
                raise RuntimeError(f"live: {response.status} {await response.text()}")
            reading = asyncio.create_task(stream.read(response))
            try:
                await asyncio.wait_for(stream.connected.wait(), TIMEOUT)
                for number in range(-5, count):  # the first five warm the way up
                    body = f"Réponse {number} : un technicien passe demain."
                    arrival = stream.expect(body)
                    headers = await agent.headers()
                    sent = time.perf_counter()
                    async with agent_session.post(
                        reply_url, json={"body": body}, headers=headers
                    ) as answer:
                        await answer.read()
                        answered = time.perf_counter()
                        if answer.status != 200:
                            raise RuntimeError(f"reply: {answer.status} {await answer.text()}")
                    received = await asyncio.wait_for(arrival, TIMEOUT)
                    if number >= 0:
                        after_answer.append(received - answered)
                        after_send.append(received - sent)
                        reply_times.append(answered - sent)
                        early += received < answered
                    await asyncio.sleep(rng.uniform(0.05, 0.15))
            finally:
                reading.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reading
    return DeliveryResult(
        after_answer=Summary.of_seconds(after_answer),
        after_send=Summary.of_seconds(after_send),
        reply=Summary.of_seconds(reply_times),
        before_answer=early,
    )


async def run(database_url: str, kafka_bootstrap: str, *, quick: bool) -> DeliveryResult:
    """Start the portal, print (and return) the figures."""
    async with running_portal(database_url, kafka_bootstrap) as portal:
        result = await measure_apart(
            "bench.live_delivery", portal, quick=quick, result=DeliveryResult
        )
    _print_result(result)
    return result


def _print_result(result: DeliveryResult) -> None:
    print("agent replies one at a time through the gateway; the customer's stream through it")
    print()
    print("| from | count | mean ms | p50 ms | p99 ms | max ms |")
    print("|:--|--:|--:|--:|--:|--:|")
    for name, summary in (
        ("reply answered → frame read (customer)", result.after_answer),
        ("reply sent → frame read", result.after_send),
        ("the reply request itself", result.reply),
    ):
        print(
            f"| {name} | {summary.count} | {summary.mean_ms:.1f} | {summary.p50_ms:.1f}"
            f" | {summary.p99_ms:.1f} | {summary.max_ms:.1f} |"
        )
    verdict = "met" if result.after_send.p99_ms <= GOAL_MS else "NOT met"
    print(
        f"frames read before the reply's answer: {result.before_answer};"
        f" goal within {GOAL_MS:.0f} ms (reply sent → frame, p99): {verdict}"
    )


if __name__ == "__main__":
    serve_order(measure, DeliveryResult)  # the load generator, started by `run`
