"""HTTP routes of the tickets service."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, EmailStr, StringConstraints

from services.tickets import handlers, queries
from services.tickets.domain_types import Priority
from shared.auth.claims import Module
from shared.eventstore import EventContext
from shared.http.keys import DB_POOL, EVENT_STORE
from shared.http.middleware import REQUEST_ID
from shared.http.openapi import operation
from shared.http.principal import acting_principal, require_module
from shared.http.problems import Problem, path_id, read_json

routes = web.RouteTableDef()

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)
]


class OpenTicketRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description
    priority: Priority = Priority.NORMAL
    requester_email: EmailStr


@routes.post("/tickets")
@operation(
    "Open a ticket",
    request=OpenTicketRequest,
    responses={201: queries.TicketView},
    tags=("tickets",),
)
async def open_ticket(request: web.Request) -> web.Response:
    principal = acting_principal(request)
    require_module(principal, Module.TICKETS)
    organisation_id = principal.acting_organisation()
    body = await read_json(request, OpenTicketRequest)
    context = EventContext(
        correlation_id=request[REQUEST_ID],
        organisation_id=organisation_id,
        actor_id=principal.user_id,
    )
    ticket_id = await handlers.open_ticket(
        request.app[DB_POOL],
        request.app[EVENT_STORE],
        handlers.OpenTicket(
            title=body.title,
            description=body.description,
            priority=body.priority,
            requester_email=body.requester_email,
        ),
        context,
    )
    ticket = await queries.ticket_of_organisation(request.app[DB_POOL], organisation_id, ticket_id)
    assert ticket is not None
    return web.json_response(
        ticket.model_dump(mode="json"),
        status=201,
        headers={"Location": f"/tickets/{ticket_id}"},
    )


@routes.get("/tickets/{ticket_id}")
@operation("Read a ticket", responses={200: queries.TicketView, 404: None}, tags=("tickets",))
async def get_ticket(request: web.Request) -> web.Response:
    principal = acting_principal(request)
    require_module(principal, Module.TICKETS)
    organisation_id = principal.acting_organisation()
    ticket = await queries.ticket_of_organisation(
        request.app[DB_POOL], organisation_id, path_id(request, "ticket_id", "ticket")
    )
    if ticket is None:
        raise Problem(404, "Not found", "There is no such ticket.")
    return web.json_response(ticket.model_dump(mode="json"))
