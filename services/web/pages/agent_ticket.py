"""An agent's ticket page: the conversation with the internal notes between its messages
(marked, and never shown to the customer), the timeline and attachments; assigning, replying,
adding a note and moving the ticket along its state machine, offering only what the API
allows. Live: static/app.js refreshes the page's parts as the ticket's events arrive."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
from aiohttp import web

from services.web.api_client import Api, ApiError
from services.web.forms import form, text
from services.web.i18n import translator
from services.web.pages.queue import (
    BASE,
    DEPARTMENTS,
    full_name,
    staff_members,
    staff_required,
)
from services.web.portal import api, flash, language, page, redirect
from services.web.relay import relay

routes = web.RouteTableDef()
MAX_FILES = 5
FORMS = ("assign", "reply", "note", "status")


def _id(request: web.Request, name: str) -> str:
    try:
        return str(uuid.UUID(request.match_info[name]))
    except ValueError:
        raise web.HTTPNotFound from None


def thread(found: dict[str, Any]) -> list[dict[str, Any]]:
    """The customer conversation and the internal notes, in the order they were written."""
    items = [
        {**message, "kind": "message", "at": message["posted_at"]}
        for message in found["conversation"]
    ]
    items += [
        {**note, "kind": "note", "at": note["added_at"], "author_side": "agent"}
        for note in found["internal_notes"]
    ]
    return sorted(items, key=lambda item: item["at"])


async def _ticket_page(
    request: web.Request,
    ticket_id: str,
    *,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
) -> web.Response:
    me = await staff_required(request)
    client = api(request)
    found = await client.get(f"/api/agent/tickets/{ticket_id}")
    ticket = found["ticket"]
    organisation, staff = await asyncio.gather(
        client.get(f"/api/organisations/{ticket['organisation_id']}"), staff_members(client)
    )
    return await page(
        request,
        "back_office/agent_ticket.html",
        status=status,
        ticket=ticket,
        thread=thread(found),
        timeline=found["timeline"],
        allowed=found["allowed_statuses"],
        organisation=organisation,
        staff=staff,
        staff_names={member["user_id"]: full_name(member) for member in staff},
        departments=DEPARTMENTS,
        me=me,
        errors={name: (errors or {}).get(name, []) for name in FORMS},
        values=values or {},
    )


@routes.get(BASE + "/{ticket_id}")
async def agent_ticket(request: web.Request) -> web.Response:
    return await _ticket_page(request, _id(request, "ticket_id"))


async def _refusal(request: web.Request, refused: ApiError) -> list[str]:
    """The API's refusal in the agent's words: a 409 on a status change names the statuses
    the ticket can go to now."""
    t = translator(await language(request))
    problem = refused.problem
    if refused.status == 409 and "allowed" in problem:
        allowed = [t(f"queue.status_{status}") for status in problem["allowed"]]
        return [
            t(
                "queue.transition_refused",
                now=t(f"queue.status_{problem.get('status_now', '')}"),
                allowed=", ".join(allowed) if allowed else t("queue.none"),
            )
        ]
    if refused.status == 409:
        return [t("queue.conflict", detail=str(refused))]
    if refused.status == 413:
        return [t("queue.attachment_too_large")]
    if refused.status == 415:
        return [t("queue.attachment_type_refused")]
    if refused.field_errors:
        return [
            f"{t(f'queue.field_{field}', field)} : {message}"
            for field, message in refused.field_errors.items()
        ]
    return [str(refused)]


@dataclass(frozen=True)
class Command:
    """One of the page's forms, as the API command it sends."""

    form: str  # which form shows a refusal: assign, reply, note or status
    method: str
    action: str  # after /api/agent/tickets/{id}/
    json: dict[str, Any]
    done: str  # the message once done
    files: tuple[web.FileField, ...] = ()


async def _act(request: web.Request, command: Command, typed: dict[str, str]) -> web.Response:
    """Send a form's command to the API (its files uploaded first): success flashes and shows
    the page again; a refusal shows it with the reason beside the form, what was typed kept."""
    await staff_required(request)
    ticket_id = _id(request, "ticket_id")
    client = api(request)
    try:
        body = dict(command.json)
        if command.files:
            body["attachment_ids"] = [await _upload(client, file) for file in command.files]
        await client.call(
            command.method, f"/api/agent/tickets/{ticket_id}/{command.action}", json=body
        )
    except ApiError as refused:
        if refused.status not in {409, 413, 415, 422}:
            raise
        return await _ticket_page(
            request,
            ticket_id,
            status=refused.status,
            errors={command.form: await _refusal(request, refused)},
            values=typed,
        )
    await flash(request, command.done)
    raise redirect(f"{BASE}/{ticket_id}")


async def _files(request: web.Request) -> tuple[web.FileField, ...]:
    posted = await request.post()
    # A file input left empty still posts a part, without a file name.
    return tuple(
        field
        for field in posted.getall("files", [])
        if isinstance(field, web.FileField) and field.filename
    )[:MAX_FILES]


async def _upload(client: Api, file: web.FileField) -> str:
    """A file for a message or a note, sent to the API: its attachment id."""
    content = file.file.read()

    def multipart() -> aiohttp.FormData:
        data = aiohttp.FormData()
        data.add_field("file", content, filename=file.filename, content_type=file.content_type)
        return data

    return (await client.call("POST", "/api/tickets/uploads", form=multipart)).body["attachment_id"]


@routes.post(BASE + "/{ticket_id}/reply")
async def reply(request: web.Request) -> web.Response:
    body = text(await form(request), "body")
    command = Command("reply", "POST", "messages", {"body": body}, "queue.replied")
    return await _act(request, replace(command, files=await _files(request)), {"reply": body})


@routes.post(BASE + "/{ticket_id}/note")
async def note(request: web.Request) -> web.Response:
    body = text(await form(request), "body")
    command = Command("note", "POST", "notes", {"body": body}, "queue.noted")
    return await _act(request, replace(command, files=await _files(request)), {"note": body})


@routes.post(BASE + "/{ticket_id}/assignment")
async def assign(request: web.Request) -> web.Response:
    me = await staff_required(request)
    fields = await form(request)
    assignee = text(fields, "assignee")
    if assignee == "me":
        assignee = str(me["user_id"])
    body = {"department": text(fields, "department"), "assignee_id": assignee or None}
    return await _act(request, Command("assign", "PUT", "assignment", body, "queue.assigned"), {})


@routes.post(BASE + "/{ticket_id}/status")
async def change_status(request: web.Request) -> web.Response:
    fields = await form(request)
    target, reason = text(fields, "status"), text(fields, "reason")
    body = {"status": target, "reason": reason or None}
    command = Command("status", "POST", "status", body, "queue.status_changed")
    return await _act(request, command, {"status": target, "reason": reason})


@routes.get(BASE + "/{ticket_id}/attachments/{attachment_id}")
async def download(request: web.Request) -> web.StreamResponse:
    await staff_required(request)
    ticket_id = _id(request, "ticket_id")
    attachment_id = _id(request, "attachment_id")
    path = f"/api/tickets/{ticket_id}/attachments/{attachment_id}"
    async with api(request).stream(path) as upstream:
        return await relay(request, upstream)
