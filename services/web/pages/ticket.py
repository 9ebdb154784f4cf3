"""A ticket's page (seed 004's "Suivi de la demande"): the conversation with its files, the
timeline, and what the customer can do — reply, complete the information a waiting ticket
asks for (resume), mark resolved, close, start a closed ticket again (duplicate)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from services.web import ticket_forms
from services.web.api_client import ApiError
from services.web.i18n import translator
from services.web.pages.ticket_access import customer, ticket_id
from services.web.portal import api, flash, language, page, redirect
from services.web.relay import relay

routes = web.RouteTableDef()
UUID = "{ticket_id:[0-9a-fA-F-]{36}}"
TICKET = "/tickets/" + UUID


async def ticket_page(
    request: web.Request,
    ticket: str,
    *,
    status: int = 200,
    reply_errors: dict[str, str] | None = None,
    posted: ticket_forms.TicketForm | None = None,
) -> web.Response:
    shown = await api(request).get(f"/api/tickets/{ticket}")
    return await page(
        request,
        "tickets/ticket.html",
        status=status,
        shown=shown,
        ticket=shown["ticket"],
        errors=reply_errors or {},
        reply_body=posted.text("body") if posted else "",
        kept=posted.kept if posted else [],
    )


@routes.get(TICKET)
async def show(request: web.Request) -> web.Response:
    await customer(request)
    return await ticket_page(request, ticket_id(request))


async def _refused(request: web.Request, ticket: str, error: ApiError) -> web.Response:
    """A conflict (the ticket moved on meanwhile, e.g. closed by a colleague): said on the
    page, which shows its status now (the API's words are not in the reader's language)."""
    if error.status != 409:
        raise error
    await flash(request, "tickets.refused")
    raise redirect(f"/tickets/{ticket}")


async def _post_message(request: web.Request, action: str) -> web.Response:
    await customer(request)
    ticket = ticket_id(request)
    t = translator(await language(request))
    posted = await ticket_forms.read(request)
    errors = await ticket_forms.upload_files(api(request), posted, t)
    if not errors:
        body: dict[str, Any] = {
            "body": posted.text("body"),
            "attachment_ids": ticket_forms.attachment_ids(posted),
        }
        try:
            await api(request).call("POST", f"/api/tickets/{ticket}/{action}", json=body)
        except ApiError as error:
            if error.status != 422:
                return await _refused(request, ticket, error)
            errors = ticket_forms.field_errors(error, t)
    if errors:
        return await ticket_page(request, ticket, status=422, reply_errors=errors, posted=posted)
    await flash(request, "tickets.resumed" if action == "resume" else "tickets.replied")
    raise redirect(f"/tickets/{ticket}")


@routes.post(TICKET + "/reply")
async def reply(request: web.Request) -> web.Response:
    return await _post_message(request, "messages")


@routes.post(TICKET + "/resume")
async def resume(request: web.Request) -> web.Response:
    return await _post_message(request, "resume")


async def _act(request: web.Request, action: str, done: str) -> web.Response:
    await customer(request)
    ticket = ticket_id(request)
    try:
        answer = await api(request).call("POST", f"/api/tickets/{ticket}/{action}")
    except ApiError as error:
        return await _refused(request, ticket, error)
    await flash(request, done, number=str(answer.body["number"]))
    raise redirect(f"/tickets/{answer.body['ticket_id']}")


@routes.post(TICKET + "/resolve")
async def resolve(request: web.Request) -> web.Response:
    return await _act(request, "resolve", "tickets.resolved")


@routes.post(TICKET + "/close")
async def close(request: web.Request) -> web.Response:
    return await _act(request, "close", "tickets.closed")


@routes.post(TICKET + "/duplicate")
async def duplicate(request: web.Request) -> web.Response:
    return await _act(request, "duplicate", "tickets.duplicated")


@routes.get(TICKET + "/attachments/{attachment_id:[0-9a-fA-F-]{36}}")
async def download(request: web.Request) -> web.StreamResponse:
    await customer(request)
    ticket, attachment = ticket_id(request), ticket_id(request, "attachment_id")
    async with api(request).stream(f"/api/tickets/{ticket}/attachments/{attachment}") as upstream:
        return await relay(request, upstream)
