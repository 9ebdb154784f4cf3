"""The portal's pages, one module per part of the portal."""

from __future__ import annotations

from aiohttp import web

from services.web.pages import (
    account,
    agent_ticket,
    back_office,
    fleet,
    fleet_back_office,
    home,
    interventions,
    invoices,
    live,
    orders,
    orders_back_office,
    organisation,
    personal_data,
    profile,
    queue,
    ticket,
    ticket_new,
    tickets,
)

routes: list[web.RouteDef] = [
    *account.routes,
    *home.routes,
    *organisation.routes,
    *personal_data.routes,
    *profile.routes,
    *tickets.routes,
    *ticket_new.routes,
    *ticket.routes,
    *invoices.routes,
    *back_office.routes,
    *queue.routes,
    *agent_ticket.routes,
    *live.routes,
    *fleet.routes,
    *interventions.routes,
    *fleet_back_office.routes,
    *orders.routes,
    *orders_back_office.routes,
]
