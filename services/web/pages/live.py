"""Live updates for the pages' script (static/app.js): the API's server-sent events of the
tickets the user may see, or of one (`?ticket_id=`), relayed under the user's session. The
browser never holds the bearer token an EventSource would have to send. The same stream for
customers and vendor staff: the API scopes it (a customer's carries only their
organisation's tickets, never an internal note)."""

from __future__ import annotations

from aiohttp import web

from services.web.pages.ticket_access import as_id
from services.web.portal import acting, api
from services.web.relay import relay
from shared.auth.claims import Module

routes = web.RouteTableDef()


@routes.get("/tickets/live")
async def live(request: web.Request) -> web.StreamResponse:
    """The script only learns that something changed, and fetches its page again."""
    if not (await acting(request)).has(Module.TICKETS):  # staff have every module
        raise web.HTTPForbidden
    params = {}
    if "ticket_id" in request.query:
        params["ticket_id"] = as_id(request.query["ticket_id"])
    async with api(request).stream("/api/tickets/live", params) as upstream:
        return await relay(
            request,
            upstream,
            headers=("Content-Type",),
            extra={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
