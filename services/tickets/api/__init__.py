"""The tickets service's HTTP routes, one module per audience. Fixed paths come before
`/tickets/{ticket_id}`, which would otherwise take them."""

from __future__ import annotations

from aiohttp import web

from services.tickets.api import agent, attachments, choices, customer, listing, live

route_tables: tuple[web.RouteTableDef, ...] = (
    listing.routes,
    choices.routes,
    live.routes,
    attachments.routes,
    customer.routes,
    agent.routes,
)
