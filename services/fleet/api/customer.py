"""The customer's side: the organisation's fleet, an asset's page and history, its
consumables, the organisation's sites and contracts."""

from __future__ import annotations

import uuid

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from services.fleet.api.common import Actor, customer, today, visible_asset
from services.fleet.queries import assets as asset_queries
from services.fleet.queries import registry
from services.fleet.queries.assets import FleetFilters, Paging
from services.fleet.queries.views import (
    AssetList,
    AssetPage,
    ConsumableView,
    ContractList,
    ReadingList,
    SiteList,
    Timeline,
)
from shared.http.keys import DB_POOL
from shared.http.openapi import operation
from shared.http.paging import BadCursor, bad_cursor
from shared.http.problems import Problem, path_id, read_query

routes = web.RouteTableDef()
TAGS = ("fleet",)


class HistoryQuery(Paging):
    model_config = ConfigDict(extra="forbid")


class Consumables(BaseModel):
    consumables: list[ConsumableView]


def asset_id(request: web.Request) -> uuid.UUID:
    return path_id(request, "asset_id", "asset")


@routes.get("/fleet/assets")
@operation(
    "List the organisation's assets",
    query=FleetFilters,
    responses={200: AssetList, 422: None},
    tags=TAGS,
    description="By serial number. Pass `next_cursor` back as `cursor` for the next page.",
)
async def list_fleet(request: web.Request) -> web.Response:
    actor = customer(request)
    filters = read_query(request, FleetFilters)
    async with request.app[DB_POOL].acquire() as connection:
        try:
            assets, next_cursor = await asset_queries.list_assets(
                connection,
                today=today(),
                organisation_id=actor.organisation_id,
                filters=filters,
                branch_id=actor.branch_id,
            )
        except BadCursor:
            raise bad_cursor() from None
    return web.json_response(
        AssetList(assets=assets, next_cursor=next_cursor).model_dump(mode="json")
    )


@routes.get("/fleet/assets/{asset_id}")
@operation("An asset's page", responses={200: AssetPage, 404: None}, tags=TAGS)
async def get_asset(request: web.Request) -> web.Response:
    actor = customer(request)
    async with request.app[DB_POOL].acquire() as connection:
        page = await asset_queries.asset_page(
            connection,
            asset_id(request),
            today=today(),
            organisation_id=actor.organisation_id,
            branch_id=actor.branch_id,
        )
    if page is None:
        raise Problem(404, "Not found", "There is no such asset.")
    return web.json_response(page.model_dump(mode="json"))


@routes.get("/fleet/assets/{asset_id}/history")
@operation(
    "An asset's history, newest first",
    query=HistoryQuery,
    responses={200: Timeline, 404: None, 422: None},
    tags=TAGS,
    description="Every event that concerns the asset: its registration, moves, contracts,"
    " meter readings, and the tickets, interventions and orders about it.",
)
async def get_history(request: web.Request) -> web.Response:
    actor = customer(request)
    return await history(request, actor)


async def history(request: web.Request, actor: Actor) -> web.Response:
    """The history of an asset the actor may see (staff also see staff-only entries)."""
    query = read_query(request, HistoryQuery)
    async with request.app[DB_POOL].acquire() as connection:
        await visible_asset(connection, actor, asset_id(request))
        try:
            entries, next_cursor = await asset_queries.timeline(
                connection,
                asset_id(request),
                staff=actor.organisation_id is None,
                cursor=query.cursor,
                limit=query.limit,
            )
        except BadCursor:
            raise bad_cursor() from None
    return web.json_response(
        Timeline(entries=entries, next_cursor=next_cursor).model_dump(mode="json")
    )


@routes.get("/fleet/assets/{asset_id}/consumables")
@operation(
    "The consumables that can be ordered for an asset",
    responses={200: Consumables, 404: None},
    tags=TAGS,
    description="Its model's catalogue: references, descriptions, most per order.",
)
async def get_consumables(request: web.Request) -> web.Response:
    actor = customer(request)
    async with request.app[DB_POOL].acquire() as connection:
        await visible_asset(connection, actor, asset_id(request))
        items = await registry.consumables_of_asset(connection, asset_id(request))
    return web.json_response(Consumables(consumables=items).model_dump(mode="json"))


@routes.get("/fleet/sites")
@operation("The organisation's sites", responses={200: SiteList}, tags=TAGS)
async def list_sites(request: web.Request) -> web.Response:
    actor = customer(request)
    async with request.app[DB_POOL].acquire() as connection:
        sites = await registry.sites(connection, actor.organisation_id, actor.branch_id)
    return web.json_response(SiteList(sites=sites).model_dump(mode="json"))


@routes.get("/fleet/contracts")
@operation("The organisation's contracts", responses={200: ContractList}, tags=TAGS)
async def list_contracts(request: web.Request) -> web.Response:
    actor = customer(request)
    async with request.app[DB_POOL].acquire() as connection:
        contracts = await registry.contracts(
            connection, actor.organisation_id, today=today(), branch_id=actor.branch_id
        )
    return web.json_response(ContractList(contracts=contracts).model_dump(mode="json"))


async def past_readings(
    request: web.Request, actor: Actor, asset_id: uuid.UUID, query: Paging
) -> web.Response:
    async with request.app[DB_POOL].acquire() as connection:
        await visible_asset(connection, actor, asset_id)
        try:
            views, next_cursor = await asset_queries.readings(
                connection, asset_id, cursor=query.cursor, limit=query.limit
            )
        except BadCursor:
            raise bad_cursor() from None
    return web.json_response(
        ReadingList(readings=views, next_cursor=next_cursor).model_dump(mode="json")
    )


@routes.get("/fleet/assets/{asset_id}/readings")
@operation(
    "An asset's meter readings, newest first",
    query=HistoryQuery,
    responses={200: ReadingList, 404: None, 422: None},
    tags=TAGS,
    description="Each with the values, the previous ones and the usage since.",
)
async def list_readings(request: web.Request) -> web.Response:
    actor = customer(request)
    query = read_query(request, HistoryQuery)
    return await past_readings(request, actor, asset_id(request), query)
