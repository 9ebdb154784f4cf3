"""Meter readings, for customers with the `meter_readings` module: what is due, and entering
a reading. An asset's past readings are part of the fleet (`/fleet/assets/{id}/readings`);
vendor staff enter readings at /agent/fleet."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.fleet.api.common import (
    Actor,
    customer,
    domain_refusals,
    settings,
    today,
    visible_asset,
)
from services.fleet.domain import Reading
from services.fleet.domain_types import Counter, ReadingSource
from services.fleet.handlers import assets
from services.fleet.handlers.common import unit_of_work
from services.fleet.queries import assets as asset_queries
from services.fleet.queries.views import DueReadings, ReadingView
from shared.auth.claims import Module
from shared.http.keys import DB_POOL, EVENT_STORE
from shared.http.openapi import operation
from shared.http.problems import read_json

routes = web.RouteTableDef()
TAGS = ("meter readings",)
MeterValue = Annotated[int, Field(ge=0, le=10**12)]


class ReadingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    asset_id: uuid.UUID
    read_on: dt.date | None = Field(default=None, description="Default: today")
    counters: dict[Counter, MeterValue] = Field(
        description='Every meter of the asset\'s model, e.g. {"black_and_white": 120345,'
        ' "colour": 40210}'
    )


class AssetReadingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    read_on: dt.date | None = Field(default=None, description="Default: today")
    counters: dict[Counter, MeterValue]


def reader(request: web.Request) -> Actor:
    return customer(request, Module.METER_READINGS)


async def record(
    request: web.Request,
    actor: Actor,
    asset_id: uuid.UUID,
    body: AssetReadingRequest | ReadingRequest,
    source: ReadingSource,
) -> web.Response:
    """Record a reading of an asset the actor may see; 201 with the reading."""
    reading_id = uuid.uuid4()
    day = today()
    async with domain_refusals(), unit_of_work(request.app[DB_POOL]) as connection:
        organisation = await visible_asset(connection, actor, asset_id)
        await assets.record_reading(
            connection,
            request.app[EVENT_STORE],
            actor.context(request, organisation),
            asset_id,
            Reading(
                reading_id=reading_id,
                read_on=body.read_on or day,
                counters=body.counters,
                source=source,
                recorded_by=actor.user_id,
            ),
            today=day,
        )
        [view], _ = await asset_queries.readings(connection, asset_id, cursor=None, limit=1)
    return web.json_response(view.model_dump(mode="json"), status=201)


@routes.get("/meter-readings/due")
@operation(
    "The organisation's readings due",
    responses={200: DueReadings},
    tags=TAGS,
    description="Assets whose meters are due to be read within the notice period, or"
    " overdue, soonest first, with their last values.",
)
async def list_due(request: web.Request) -> web.Response:
    actor = reader(request)
    assert actor.organisation_id is not None
    async with request.app[DB_POOL].acquire() as connection:
        due = await asset_queries.due_readings(
            connection,
            today=today(),
            notice_days=settings(request).reading_notice_days,
            organisation_id=actor.organisation_id,
            branch_id=actor.branch_id,
        )
    return web.json_response(DueReadings(readings=due).model_dump(mode="json"))


@routes.post("/meter-readings")
@operation(
    "Enter a meter reading",
    request=ReadingRequest,
    responses={201: ReadingView, 404: None, 409: None, 422: None},
    tags=TAGS,
    description="Every meter of the asset, each at least its last accepted value: a lower"
    " one is refused (422, `…/problems/meter-reading-lower-than-last`, naming each counter"
    " and its last value). A confirmation email follows.",
)
async def enter_reading(request: web.Request) -> web.Response:
    actor = reader(request)
    body = await read_json(request, ReadingRequest)
    return await record(request, actor, body.asset_id, body, ReadingSource.CUSTOMER)
