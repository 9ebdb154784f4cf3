"""The fleet service's HTTP routes, one module per audience."""

from __future__ import annotations

from aiohttp import web

from services.fleet.api import agent_assets, agent_registry, customer, erp, readings

route_tables: tuple[web.RouteTableDef, ...] = (
    customer.routes,
    readings.routes,
    agent_registry.routes,
    agent_assets.routes,
    erp.routes,
)
