"""Live updates for the browser: the API's server-sent events of the tickets the user may
see (`/api/tickets/live`), relayed under the user's session. The browser's EventSource
cannot send the bearer token, which never leaves the portal."""

from __future__ import annotations

import uuid

from aiohttp import web

from services.web.portal import api
from services.web.relay import relay

routes = web.RouteTableDef()


@routes.get("/live/tickets")
async def live_tickets(request: web.Request) -> web.StreamResponse:
    params: dict[str, str] = {}
    if "ticket_id" in request.query:
        try:
            params["ticket_id"] = str(uuid.UUID(request.query["ticket_id"]))
        except ValueError:
            raise web.HTTPNotFound from None
    async with api(request).stream("/api/tickets/live", params) as upstream:
        return await relay(
            request,
            upstream,
            headers=("Content-Type",),
            extra={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
