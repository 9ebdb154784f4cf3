"""Who may use the customer's pages: a customer user with the module they belong to (vendor
staff work tickets and interventions in the back office), and ids of the address."""

from __future__ import annotations

import uuid

from aiohttp import web

from services.web.portal import Acting, acting
from shared.auth.claims import Module


async def customer(request: web.Request, module: Module = Module.TICKETS) -> Acting:
    """A customer user with `module` (tickets by default; the fleet's pages ask for fleet)."""
    who = await acting(request)
    if who.staff or not who.has(module):
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
