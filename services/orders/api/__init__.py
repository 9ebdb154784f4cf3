"""The orders service's HTTP routes. Fixed paths come before `/orders/{order_id}`, which
would otherwise take them."""

from __future__ import annotations

from aiohttp import web

from services.orders.api import agent, cart, orders

route_tables: tuple[web.RouteTableDef, ...] = (cart.routes, orders.routes, agent.routes)
