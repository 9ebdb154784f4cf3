"""Uploading files to attach to a message, and downloading a ticket's attachments."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import BodyPartReader, web

from services.tickets.api.common import STORAGE, TICKETS_SETTINGS, anyone, visible_ticket
from services.tickets.attachments import uploads
from services.tickets.events import AttachmentRef
from shared.files.download import serve_download
from shared.files.sniffing import safe_filename
from shared.files.storage import CHUNK, TooLarge
from shared.http.keys import DB_POOL
from shared.http.openapi import operation
from shared.http.problems import Problem, path_id

routes = web.RouteTableDef()
TAGS = ("tickets",)


async def _file_part(request: web.Request) -> BodyPartReader:
    if request.content_type != "multipart/form-data":
        raise Problem(415, "Unsupported media type", "Send the file as multipart/form-data.")
    try:
        reader = await request.multipart()
        async for part in reader:
            if isinstance(part, BodyPartReader) and part.name == "file":
                return part
    except (ValueError, AssertionError, RuntimeError):
        raise Problem(400, "Malformed body", "The multipart body cannot be read.") from None
    raise Problem(400, "No file", "Send the file in a form field named `file`.")


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(CHUNK):
        yield chunk


@routes.post("/tickets/uploads")
@operation(
    "Upload a file to attach",
    responses={201: AttachmentRef, 400: None, 413: None, 415: None},
    tags=TAGS,
    description="multipart/form-data with one `file` field. The type is read from the"
    " content (images, PDF, office documents, plain text, zip); the answer's"
    " `attachment_id` goes in a message's `attachment_ids`. Unattached uploads are deleted"
    " after a day.",
)
async def upload(request: web.Request) -> web.Response:
    actor = anyone(request)
    settings = request.app[TICKETS_SETTINGS]
    part = await _file_part(request)
    try:
        ref = await uploads.upload(
            request.app[DB_POOL],
            request.app[STORAGE],
            uploaded_by=actor.user_id,
            organisation_id=actor.organisation_id,
            filename=safe_filename(part.filename),
            chunks=_chunks(part),
            max_bytes=settings.attachment_max_bytes,
        )
    except TooLarge:
        raise Problem(
            413,
            "File too large",
            f"A file may be at most {settings.attachment_max_bytes:,} bytes.",
        ) from None
    except uploads.UploadRefused:
        raise Problem(
            415,
            "File type not accepted",
            "Attach images, PDF, office documents, plain text or zip archives.",
        ) from None
    return web.json_response(ref.model_dump(mode="json"), status=201)


@routes.get("/tickets/{ticket_id}/attachments/{attachment_id}")
@operation(
    "Download an attachment",
    responses={200: None, 404: None},
    tags=TAGS,
    description="Always as a download (`Content-Disposition: attachment`), never rendered.",
)
async def download(request: web.Request) -> web.StreamResponse:
    actor = anyone(request)
    ticket_id = path_id(request, "ticket_id", "ticket")
    attachment_id = path_id(request, "attachment_id", "attachment")
    await visible_ticket(request, actor, ticket_id)
    stored = await uploads.for_download(
        request.app[DB_POOL],
        ticket_id,
        attachment_id,
        include_internal=actor.organisation_id is None,
    )
    if stored is None:
        raise Problem(404, "Not found", "There is no such attachment.")
    return await serve_download(
        request,
        request.app[STORAGE],
        key=stored.storage_key,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        missing=Problem(404, "Not found", "There is no such attachment."),
    )
