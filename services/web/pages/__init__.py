"""The portal's pages, one module per part of the portal."""

from __future__ import annotations

from aiohttp import web

from services.web.pages import (
    account,
    back_office,
    home,
    organisation,
    personal_data,
    profile,
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
    *back_office.routes,
]
