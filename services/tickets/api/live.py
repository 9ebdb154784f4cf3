"""GET /tickets/live: server-sent events of the tickets the user may see.

Not in the OpenAPI document: a stream that never ends is not an operation a generic client
(or a fuzzer) can call; docs/api.md describes it.
"""

from __future__ import annotations

import asyncio
import json
import uuid

from aiohttp import web

from services.tickets.api.common import anyone, visible_ticket
from services.tickets.live import LiveFeed
from shared.cloudevents import CloudEvent
from shared.http.problems import Problem

routes = web.RouteTableDef()
LIVE_FEED = web.AppKey("live_feed", LiveFeed)
# Below every proxy's idle timeout (the gateway's is 60 s): a comment line keeps it open.
HEARTBEAT = 15.0
SHORT_TYPE_PREFIX = "guichet.tickets."


def _frame(event: CloudEvent) -> bytes:
    payload = {
        "type": event.type,
        "ticket_id": event.subject,
        "time": event.time.isoformat(),
        "data": event.data,
    }
    name = event.type.removeprefix(SHORT_TYPE_PREFIX)
    return f"id: {event.id}\nevent: {name}\ndata: {json.dumps(payload)}\n\n".encode()


@routes.get("/tickets/live")
async def live(request: web.Request) -> web.StreamResponse:
    actor = anyone(request)
    ticket_id: uuid.UUID | None = None
    if "ticket_id" in request.query:
        try:
            ticket_id = uuid.UUID(request.query["ticket_id"])
        except ValueError:
            raise Problem(404, "Not found", "There is no such ticket.") from None
        await visible_ticket(request, actor, ticket_id)
    feed = request.app[LIVE_FEED]
    try:
        await asyncio.wait_for(feed.ready.wait(), timeout=10)
    except TimeoutError:
        raise Problem(
            503, "Live updates unavailable", "Try again shortly.", headers={"Retry-After": "5"}
        ) from None
    async with feed.listen(actor.organisation_id, ticket_id) as listener:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",  # nginx-style proxies: do not hold the stream
            }
        )
        await response.prepare(request)
        await response.write(b": connected\n\n")
        while True:
            try:
                event = await asyncio.wait_for(listener.queue.get(), timeout=HEARTBEAT)
            except TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            if event is None:  # fell behind: end; the client reconnects
                break
            await response.write(_frame(event))
    return response
