"""The ERP's bulk import, for the vendor's ERP with service credentials (client credentials
with the `fleet:import` scope) and for the back office."""

from __future__ import annotations

from aiohttp import web

from services.fleet.api.common import VALIDATION, domain_refusals, importer
from services.fleet.handlers.common import unit_of_work
from services.fleet.handlers.erp_import import BatchRefused, ImportBatch, ImportReport, run_import
from shared.http.keys import DB_POOL, EVENT_STORE
from shared.http.openapi import operation
from shared.http.problems import Problem, read_json

routes = web.RouteTableDef()


@routes.post("/import/fleet")
@operation(
    "Import models, sites, contracts and assets from the ERP",
    request=ImportBatch,
    responses={200: ImportReport, 403: None, 409: None, 422: None},
    tags=("import",),
    description="Idempotent by the ERP's references (a model's by its code): new items are"
    " registered, known ones brought up to date, unchanged ones left alone, so a batch sent"
    " twice changes nothing the second time. All or nothing: a 422 names every refused item"
    " (`assets.3.site_reference`) and applies none. Up to 1,000 items of each kind.",
)
async def import_fleet(request: web.Request) -> web.Response:
    actor = importer(request)
    batch = await read_json(request, ImportBatch)
    try:
        async with domain_refusals(), unit_of_work(request.app[DB_POOL]) as connection:
            report = await run_import(
                connection, request.app[EVENT_STORE], actor.context(request, None), batch
            )
    except BatchRefused as refused:
        raise Problem(
            422,
            "Invalid request",
            f"{len(refused.errors)} item(s) refused; nothing was imported.",
            type_=VALIDATION,
            errors=refused.errors,
        ) from None
    return web.json_response(report.model_dump(mode="json"))
