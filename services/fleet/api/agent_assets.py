"""The back office's side of assets: every organisation's fleet, registering an asset,
changing where it is, its status and contract, its history, and readings taken for the
customer (on the phone, on a visit)."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg
from aiohttp import web
from pydantic import Field

from services.fleet.api.agent_registry import found
from services.fleet.api.common import back_office, domain_refusals, staff, today
from services.fleet.api.customer import asset_id, history, past_readings
from services.fleet.api.readings import AssetReadingRequest, record
from services.fleet.bodies import Strict
from services.fleet.domain_types import AssetStatus, OptionalText, ReadingSource, ShortText
from services.fleet.handlers import assets
from services.fleet.handlers.common import unit_of_work
from services.fleet.queries import assets as asset_queries
from services.fleet.queries.assets import AgentFleetFilters, Paging
from services.fleet.queries.views import AssetList, AssetPage, ReadingList, ReadingView, Timeline
from shared.http.keys import DB_POOL, EVENT_STORE
from shared.http.openapi import operation
from shared.http.paging import BadCursor, bad_cursor
from shared.http.problems import read_json, read_query

routes = web.RouteTableDef()
TAGS = ("fleet (back office)",)


class PlacementBody(Strict):
    site_id: uuid.UUID
    location: OptionalText = Field(default="", description="Where on the site")
    status: AssetStatus = AssetStatus.IN_SERVICE
    contract_id: uuid.UUID | None = Field(
        default=None, description="The contract covering it; none: no contract"
    )
    reason: OptionalText | None = Field(default=None, description="Why the status changes")


class NewAsset(Strict):
    organisation_id: uuid.UUID
    model_id: uuid.UUID
    product_reference: ShortText | None = None
    serial_number: ShortText
    site_id: uuid.UUID
    location: OptionalText = ""
    status: AssetStatus = AssetStatus.IN_SERVICE
    installed_on: dt.date | None = None
    contract_id: uuid.UUID | None = None


class ReadingsPage(Paging, Strict):
    pass


async def _page(connection: asyncpg.Connection, id_: uuid.UUID) -> AssetPage:
    page = await asset_queries.asset_page(connection, id_, today=today(), organisation_id=None)
    return found(page, "asset")


@routes.get("/agent/fleet/assets")
@operation(
    "Every organisation's assets",
    query=AgentFleetFilters,
    responses={200: AssetList, 422: None},
    tags=TAGS,
    description="The customers' filters, plus `organisation_id`.",
)
async def agent_list_fleet(request: web.Request) -> web.Response:
    staff(request)
    filters = read_query(request, AgentFleetFilters)
    async with request.app[DB_POOL].acquire() as connection:
        try:
            rows, next_cursor = await asset_queries.list_assets(
                connection, today=today(), organisation_id=None, filters=filters
            )
        except BadCursor:
            raise bad_cursor() from None
    return web.json_response(
        AssetList(assets=rows, next_cursor=next_cursor).model_dump(mode="json")
    )


@routes.post("/agent/fleet/assets")
@operation(
    "Register an asset",
    request=NewAsset,
    responses={201: AssetPage, 403: None, 409: None, 422: None},
    tags=TAGS,
    description="Its model from the catalogue; its site and contract of the same organisation.",
)
async def register_asset(request: web.Request) -> web.Response:
    actor = back_office(request)
    body = await read_json(request, NewAsset)
    async with domain_refusals(), unit_of_work(request.app[DB_POOL]) as connection:
        new_id = await assets.register_asset(
            connection,
            request.app[EVENT_STORE],
            actor.context(request, body.organisation_id),
            organisation_id=body.organisation_id,
            fields=assets.AssetFields(
                model_id=body.model_id,
                product_reference=body.product_reference,
                serial_number=body.serial_number,
                site_id=body.site_id,
                location=body.location,
                status=body.status,
                installed_on=body.installed_on,
                contract_id=body.contract_id,
            ),
        )
        page = await _page(connection, new_id)
    return web.json_response(page.model_dump(mode="json"), status=201)


@routes.get("/agent/fleet/assets/{asset_id}")
@operation("An asset's page", responses={200: AssetPage, 404: None}, tags=TAGS)
async def agent_get_asset(request: web.Request) -> web.Response:
    staff(request)
    async with request.app[DB_POOL].acquire() as connection:
        page = await _page(connection, asset_id(request))
    return web.json_response(page.model_dump(mode="json"))


@routes.put("/agent/fleet/assets/{asset_id}/placement")
@operation(
    "Change an asset's site, location, status or contract",
    request=PlacementBody,
    responses={200: AssetPage, 404: None, 409: None, 422: None},
    tags=TAGS,
    description="The asset as it is now: `AssetRelocated`, `ContractAttached` or"
    " `ContractDetached`, `AssetStatusChanged` for what changed. A withdrawn asset changes no"
    " more.",
)
async def place_asset(request: web.Request) -> web.Response:
    actor = back_office(request)
    id_ = asset_id(request)
    body = await read_json(request, PlacementBody)
    async with domain_refusals(), unit_of_work(request.app[DB_POOL]) as connection:
        current = await _page(connection, id_)
        await assets.place(
            connection,
            request.app[EVENT_STORE],
            actor.context(request, current.asset.organisation_id),
            id_,
            assets.Placement(
                body.site_id, body.location, body.status, body.contract_id, body.reason
            ),
        )
        page = await _page(connection, id_)
    return web.json_response(page.model_dump(mode="json"))


@routes.get("/agent/fleet/assets/{asset_id}/history")
@operation(
    "An asset's history, newest first",
    query=ReadingsPage,
    responses={200: Timeline, 404: None, 422: None},
    tags=TAGS,
    operation_id="agent_get_history",
)
async def agent_get_history(request: web.Request) -> web.Response:
    return await history(request, staff(request))


@routes.get("/agent/fleet/assets/{asset_id}/readings")
@operation(
    "An asset's readings, newest first",
    query=ReadingsPage,
    responses={200: ReadingList, 404: None, 422: None},
    tags=TAGS,
)
async def agent_list_readings(request: web.Request) -> web.Response:
    actor = staff(request)
    query = read_query(request, ReadingsPage)
    return await past_readings(request, actor, asset_id(request), query)


@routes.post("/agent/fleet/assets/{asset_id}/readings")
@operation(
    "Enter a reading for the customer",
    request=AssetReadingRequest,
    responses={201: ReadingView, 404: None, 409: None, 422: None},
    tags=TAGS,
    description="The same rules as the customer's; no confirmation email (staff entered it).",
)
async def agent_enter_reading(request: web.Request) -> web.Response:
    actor = staff(request)
    body = await read_json(request, AssetReadingRequest)
    return await record(request, actor, asset_id(request), body, ReadingSource.BACK_OFFICE)
