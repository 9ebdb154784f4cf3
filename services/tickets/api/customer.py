"""The customer's side: the organisation's tickets, opening one, its page, and what the
customer can do on it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from services.tickets import handlers
from services.tickets.api.common import (
    Actor,
    customer,
    domain_refusals,
    support_rules,
    visible_ticket,
)
from services.tickets.domain import allowed_from
from services.tickets.domain_types import (
    AuthorSide,
    Department,
    Nature,
    Priority,
    Severity,
    TicketStatus,
    TicketType,
)
from services.tickets.queries import page
from services.tickets.queries.listing import CustomerListQuery, list_tickets
from services.tickets.queries.views import TicketList, TicketPage, TicketView
from shared.http.keys import DB_POOL, EVENT_STORE
from shared.http.openapi import operation
from shared.http.paging import BadCursor, bad_cursor
from shared.http.problems import Problem, path_id, read_json, read_query

routes = web.RouteTableDef()
TAGS = ("tickets",)

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
AttachmentIds = Annotated[list[uuid.UUID], Field(max_length=20)]


class OpenTicketRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Text
    ticket_type: TicketType = TicketType.INCIDENT
    priority: Priority = Priority.NORMAL
    requester_email: EmailStr | None = Field(
        default=None, description="Where replies go; by default the requester's own address"
    )
    on_behalf_of: uuid.UUID | None = Field(
        default=None, description="A colleague of the same organisation the ticket is for"
    )
    contract_id: uuid.UUID | None = None
    product: Short | None = None
    site: Short | None = None
    product_version: Short | None = None
    nature: Nature | None = None
    severity: Severity | None = None
    wished_delivery_date: dt.date | None = None
    reference_1: Short | None = None
    reference_2: Short | None = None
    attachment_ids: AttachmentIds = Field(default_factory=list)


class ContactRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department: Department
    subject: Title
    message: Text
    requester_email: EmailStr | None = Field(
        default=None, description="Where replies go; by default the user's own address"
    )
    attachment_ids: AttachmentIds = Field(default_factory=list)


class MessageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Text
    attachment_ids: AttachmentIds = Field(default_factory=list)


def _ticket_ticket_id(request: web.Request) -> uuid.UUID:
    return path_id(request, "ticket_id", "ticket")


async def _view(request: web.Request, actor: Actor, ticket_id: uuid.UUID) -> TicketView:
    view = await page.ticket(
        request.app[DB_POOL], ticket_id, reader=actor.user_id, organisation_id=actor.organisation_id
    )
    if view is None:
        raise Problem(404, "Not found", "There is no such ticket.")
    return view


async def _open(request: web.Request, actor: Actor, command: handlers.OpenTicket) -> web.Response:
    assert actor.organisation_id is not None
    async with domain_refusals():
        ticket_id = await handlers.open_ticket(
            request.app[DB_POOL],
            request.app[EVENT_STORE],
            support_rules(request),
            command,
            actor.context(request, actor.organisation_id),
        )
    view = await _view(request, actor, ticket_id)
    return web.json_response(
        view.model_dump(mode="json"), status=201, headers={"Location": f"/tickets/{ticket_id}"}
    )


@routes.get("/tickets")
@operation(
    "List the organisation's tickets",
    query=CustomerListQuery,
    responses={200: TicketList},
    tags=TAGS,
    description="Most recently changed first. Pass `next_cursor` back as `cursor` for the"
    " next page.",
)
async def list_organisation_tickets(request: web.Request) -> web.Response:
    actor = customer(request)
    query = read_query(request, CustomerListQuery)
    try:
        result = await list_tickets(
            request.app[DB_POOL],
            reader=actor.user_id,
            organisation_id=actor.organisation_id,
            filters=query,
            cursor=query.cursor,
            limit=query.limit,
        )
    except BadCursor:
        raise bad_cursor() from None
    return web.json_response(result.model_dump(mode="json"))


@routes.post("/tickets")
@operation(
    "Open a ticket",
    request=OpenTicketRequest,
    responses={201: TicketView, 403: None},
    tags=TAGS,
)
async def open_ticket(request: web.Request) -> web.Response:
    actor = customer(request)
    body = await read_json(request, OpenTicketRequest)
    assert actor.organisation_id is not None
    fields = body.model_dump(exclude={"attachment_ids"})
    return await _open(
        request,
        actor,
        handlers.OpenTicket(
            organisation_id=actor.organisation_id,
            opened_by=actor.user_id,
            attachment_ids=body.attachment_ids,
            **{
                **fields,
                "requester_email": str(body.requester_email) if body.requester_email else None,
            },
        ),
    )


@routes.post("/tickets/contact")
@operation(
    "Write to a department",
    request=ContactRequest,
    responses={201: TicketView, 403: None},
    tags=TAGS,
    description="The message lands in the department's queue, as a ticket of type contact.",
)
async def contact_department(request: web.Request) -> web.Response:
    actor = customer(request)
    body = await read_json(request, ContactRequest)
    assert actor.organisation_id is not None
    return await _open(
        request,
        actor,
        handlers.OpenTicket(
            organisation_id=actor.organisation_id,
            opened_by=actor.user_id,
            title=body.subject,
            description=body.message,
            priority=Priority.NORMAL,
            ticket_type=TicketType.CONTACT,
            department=body.department,
            requester_email=str(body.requester_email) if body.requester_email else None,
            attachment_ids=body.attachment_ids,
        ),
    )


@routes.get("/tickets/{ticket_id}")
@operation(
    "Read a ticket's page",
    responses={200: TicketPage, 404: None},
    tags=TAGS,
    description="The ticket, its conversation (never internal notes) and timeline. Reading"
    " it marks its messages read for the user.",
)
async def get_ticket(request: web.Request) -> web.Response:
    actor = customer(request)
    ticket_id = _ticket_ticket_id(request)
    pool = request.app[DB_POOL]
    await visible_ticket(request, actor, ticket_id)
    await page.mark_read(pool, ticket_id, actor.user_id)
    view = await _view(request, actor, ticket_id)
    result = TicketPage(
        ticket=view,
        conversation=await page.conversation(pool, ticket_id),
        timeline=await page.timeline(pool, ticket_id),
        allowed_statuses=list(allowed_from(view.status)),
    )
    return web.json_response(result.model_dump(mode="json"))


async def _post(request: web.Request, *, resume: bool) -> web.Response:
    actor = customer(request)
    ticket_id = _ticket_ticket_id(request)
    organisation = await visible_ticket(request, actor, ticket_id)
    body = await read_json(request, MessageRequest)
    async with domain_refusals():
        await handlers.post_message(
            request.app[DB_POOL],
            request.app[EVENT_STORE],
            ticket_id,
            actor.context(request, organisation),
            author_id=actor.user_id,
            side=AuthorSide.CUSTOMER,
            body=body.body,
            attachment_ids=body.attachment_ids,
            resume=resume,
        )
    return web.json_response((await _view(request, actor, ticket_id)).model_dump(mode="json"))


@routes.post("/tickets/{ticket_id}/messages")
@operation(
    "Reply on a ticket",
    request=MessageRequest,
    responses={200: TicketView, 404: None, 409: None},
    tags=TAGS,
)
async def reply(request: web.Request) -> web.Response:
    return await _post(request, resume=False)


@routes.post("/tickets/{ticket_id}/resume")
@operation(
    "Complete the information a waiting ticket asks for",
    request=MessageRequest,
    responses={200: TicketView, 404: None, 409: None},
    tags=TAGS,
    description="Posts the message and puts the ticket back in progress.",
)
async def resume(request: web.Request) -> web.Response:
    return await _post(request, resume=True)


async def _change(request: web.Request, target: TicketStatus) -> web.Response:
    actor = customer(request)
    ticket_id = _ticket_ticket_id(request)
    organisation = await visible_ticket(request, actor, ticket_id)
    async with domain_refusals():
        await handlers.change_status(
            request.app[DB_POOL],
            request.app[EVENT_STORE],
            ticket_id,
            actor.context(request, organisation),
            target=target,
            by=actor.user_id,
            side=AuthorSide.CUSTOMER,
        )
    return web.json_response((await _view(request, actor, ticket_id)).model_dump(mode="json"))


@routes.post("/tickets/{ticket_id}/resolve")
@operation(
    "Mark a ticket resolved",
    responses={200: TicketView, 404: None, 409: None},
    tags=TAGS,
)
async def resolve(request: web.Request) -> web.Response:
    return await _change(request, TicketStatus.RESOLVED)


@routes.post("/tickets/{ticket_id}/close")
@operation(
    "Close a resolved ticket",
    responses={200: TicketView, 404: None, 409: None},
    tags=TAGS,
)
async def close(request: web.Request) -> web.Response:
    return await _change(request, TicketStatus.CLOSED)


@routes.post("/tickets/{ticket_id}/duplicate")
@operation(
    "Start a closed ticket again",
    responses={201: TicketView, 403: None, 404: None, 409: None},
    tags=TAGS,
    description="A new ticket with the same request, linked to the closed one.",
)
async def duplicate(request: web.Request) -> web.Response:
    actor = customer(request)
    ticket_id = _ticket_ticket_id(request)
    organisation = await visible_ticket(request, actor, ticket_id)
    async with domain_refusals():
        copy_id = await handlers.duplicate(
            request.app[DB_POOL],
            request.app[EVENT_STORE],
            support_rules(request),
            ticket_id,
            actor.context(request, organisation),
            by=actor.user_id,
        )
    view = await _view(request, actor, copy_id)
    return web.json_response(
        view.model_dump(mode="json"), status=201, headers={"Location": f"/tickets/{copy_id}"}
    )
