"""The vendor staff's side: the queue of every organisation's tickets and the work on them."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

import asyncpg
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.tickets import handlers
from services.tickets.api.common import domain_refusals, staff, visible_ticket
from services.tickets.api.customer import MessageRequest
from services.tickets.domain import allowed_from
from services.tickets.domain_types import AuthorSide, Department, TicketStatus
from services.tickets.queries import page
from services.tickets.queries.listing import AgentListQuery, list_tickets
from services.tickets.queries.views import AgentTicketPage, TicketList, TicketView
from shared.eventstore import EventContext, EventStore
from shared.http.keys import DB_POOL, EVENT_STORE
from shared.http.openapi import operation
from shared.http.paging import BadCursor, bad_cursor
from shared.http.problems import Problem, path_id, read_json, read_query

routes = web.RouteTableDef()
Body = TypeVar("Body", bound=BaseModel)
TAGS = ("tickets (agents)",)


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department: Department
    assignee_id: uuid.UUID | None = Field(
        default=None, description="A member of staff; none: the department's queue"
    )


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: TicketStatus
    reason: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
        | None
    ) = Field(default=None, description="Required to wait for the customer: what to give")


async def _view(request: web.Request, reader: uuid.UUID, ticket_id: uuid.UUID) -> TicketView:
    view = await page.ticket(request.app[DB_POOL], ticket_id, reader=reader, organisation_id=None)
    if view is None:
        raise Problem(404, "Not found", "There is no such ticket.")
    return view


@routes.get("/agent/tickets")
@operation(
    "The queue of every organisation's tickets",
    query=AgentListQuery,
    responses={200: TicketList},
    tags=TAGS,
)
async def queue(request: web.Request) -> web.Response:
    actor = staff(request)
    query = read_query(request, AgentListQuery)
    try:
        result = await list_tickets(
            request.app[DB_POOL],
            reader=actor.user_id,
            organisation_id=None,
            filters=query,
            cursor=query.cursor,
            limit=query.limit,
        )
    except BadCursor:
        raise bad_cursor() from None
    return web.json_response(result.model_dump(mode="json"))


@routes.get("/agent/tickets/{ticket_id}")
@operation(
    "A ticket's page, with internal notes",
    responses={200: AgentTicketPage, 404: None},
    tags=TAGS,
)
async def agent_ticket(request: web.Request) -> web.Response:
    actor = staff(request)
    ticket_id = path_id(request, "ticket_id", "ticket")
    pool = request.app[DB_POOL]
    await visible_ticket(request, actor, ticket_id)
    await page.mark_read(pool, ticket_id, actor.user_id)
    view = await _view(request, actor.user_id, ticket_id)
    result = AgentTicketPage(
        ticket=view,
        conversation=await page.conversation(pool, ticket_id),
        timeline=await page.timeline(pool, ticket_id),
        allowed_statuses=list(allowed_from(view.status)),
        internal_notes=await page.internal_notes(pool, ticket_id),
    )
    return web.json_response(result.model_dump(mode="json"))


async def _command(
    request: web.Request,
    body_model: type[Body],
    run: Callable[[CommandTarget, Body], Awaitable[None]],
) -> web.Response:
    """An agent's command on one ticket: the ticket must exist, the body be valid, the domain
    agree; the answer is the ticket as it is now."""
    actor = staff(request)
    ticket_id = path_id(request, "ticket_id", "ticket")
    organisation = await visible_ticket(request, actor, ticket_id)
    body = await read_json(request, body_model)
    target = CommandTarget(
        request.app[DB_POOL],
        request.app[EVENT_STORE],
        ticket_id,
        actor.context(request, organisation),
        actor.user_id,
    )
    async with domain_refusals():
        await run(target, body)
    return web.json_response(
        (await _view(request, actor.user_id, ticket_id)).model_dump(mode="json")
    )


@dataclass(frozen=True)
class CommandTarget:
    """What every handler of an agent's command is given first, and who acts."""

    pool: asyncpg.Pool
    store: EventStore
    ticket_id: uuid.UUID
    context: EventContext
    agent_id: uuid.UUID

    @property
    def handler_args(self) -> tuple[asyncpg.Pool, EventStore, uuid.UUID, EventContext]:
        return self.pool, self.store, self.ticket_id, self.context


@routes.post("/agent/tickets/{ticket_id}/messages")
@operation(
    "Reply to the customer",
    request=MessageRequest,
    responses={200: TicketView, 404: None, 409: None},
    tags=TAGS,
)
async def agent_reply(request: web.Request) -> web.Response:
    return await _command(
        request,
        MessageRequest,
        lambda target, body: handlers.post_message(
            *target.handler_args,
            author_id=target.agent_id,
            side=AuthorSide.AGENT,
            body=body.body,
            attachment_ids=body.attachment_ids,
        ),
    )


@routes.post("/agent/tickets/{ticket_id}/notes")
@operation(
    "Add an internal note (never shown to the customer)",
    request=MessageRequest,
    responses={200: TicketView, 404: None, 409: None},
    tags=TAGS,
)
async def add_note(request: web.Request) -> web.Response:
    return await _command(
        request,
        MessageRequest,
        lambda target, body: handlers.add_internal_note(
            *target.handler_args,
            author_id=target.agent_id,
            body=body.body,
            attachment_ids=body.attachment_ids,
        ),
    )


@routes.put("/agent/tickets/{ticket_id}/assignment")
@operation(
    "Assign a ticket to a department and an agent",
    request=Assignment,
    responses={200: TicketView, 404: None, 409: None},
    tags=TAGS,
)
async def assign(request: web.Request) -> web.Response:
    return await _command(
        request,
        Assignment,
        lambda target, body: handlers.assign(
            *target.handler_args,
            department=body.department,
            assignee_id=body.assignee_id,
            by=target.agent_id,
        ),
    )


@routes.post("/agent/tickets/{ticket_id}/status")
@operation(
    "Move a ticket along its state machine",
    request=StatusChange,
    responses={200: TicketView, 404: None, 409: None},
    tags=TAGS,
    description="new → open → in_progress ⇄ waiting_for_customer → resolved → closed; any"
    " active status → resolved; resolved → open. Anything else is a 409 naming the allowed"
    " statuses.",
)
async def change_status(request: web.Request) -> web.Response:
    return await _command(
        request,
        StatusChange,
        lambda target, body: handlers.change_status(
            *target.handler_args,
            target=body.status,
            by=target.agent_id,
            side=AuthorSide.AGENT,
            reason=body.reason,
        ),
    )
