"""What the customer's list filters and creation form offer to choose from: the colleagues
of the organisation and its support contracts in force."""

from __future__ import annotations

import datetime as dt
import uuid

from aiohttp import web
from pydantic import BaseModel

from services.tickets import directory
from services.tickets.api.common import customer
from shared.http.keys import DB_POOL
from shared.http.openapi import operation

routes = web.RouteTableDef()
TAGS = ("tickets",)


class Colleague(BaseModel):
    user_id: uuid.UUID
    first_name: str
    last_name: str


class Contract(BaseModel):
    contract_id: uuid.UUID
    number: str
    starts_on: dt.date
    ends_on: dt.date | None


class Choices(BaseModel):
    colleagues: list[Colleague]
    """Active users of the organisation: the list's requester filter, `on_behalf_of`."""
    contracts: list[Contract]
    """Support contracts in force: a new ticket's `contract_id`."""


@routes.get("/tickets/choices")
@operation(
    "What the list's filters and the creation form offer",
    responses={200: Choices},
    tags=TAGS,
    description="The organisation's active users (requesters; colleagues a ticket can be"
    " opened for) and its support contracts in force.",
)
async def choices(request: web.Request) -> web.Response:
    actor = customer(request)
    assert actor.organisation_id is not None
    pool = request.app[DB_POOL]
    result = Choices.model_validate(
        {
            "colleagues": await directory.active_colleagues(pool, actor.organisation_id),
            "contracts": await directory.contracts_in_force(pool, actor.organisation_id),
        }
    )
    return web.json_response(result.model_dump(mode="json"))
