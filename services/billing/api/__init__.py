"""The billing service's HTTP routes: what customers and staff read, and what the ERP
sends. Fixed paths come before `/invoices/{invoice_id}`, which would otherwise take them."""

from __future__ import annotations

from aiohttp import web

from services.billing.api import erp, invoices

route_tables: tuple[web.RouteTableDef, ...] = (invoices.routes, erp.routes)
