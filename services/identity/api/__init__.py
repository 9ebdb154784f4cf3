"""Identity's HTTP routes, one module per audience."""

from __future__ import annotations

from aiohttp import web

from services.identity.api import auth, me, memberships, oauth, organisations, public, staff

route_tables: tuple[web.RouteTableDef, ...] = (
    public.routes,
    auth.routes,
    me.routes,
    memberships.routes,
    organisations.routes,
    staff.routes,
    oauth.routes,
)
