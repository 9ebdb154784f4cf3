"""Who may use the ticket pages: a customer user with the tickets module (vendor staff
work tickets in the back office's queue)."""

from __future__ import annotations

import uuid

from aiohttp import web

from services.web.portal import Acting, acting
from shared.auth.claims import Module


async def customer(request: web.Request) -> Acting:
    who = await acting(request)
    if who.staff or not who.has(Module.TICKETS):
        raise web.HTTPForbidden
    return who


def as_id(value: str) -> str:
    """An id of the address, in its one spelling; anything else names nothing (404)."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise web.HTTPNotFound from None


def ticket_id(request: web.Request, name: str = "ticket_id") -> str:
    return as_id(request.match_info[name])
