"""What the ticket forms share: reading a posted form with its files, sending the files to
the API as attachments, and the API's field errors in the reader's words."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from services.web.api_client import Api, ApiError
from services.web.i18n import Translate

MAX_TEXT = 20_000  # the API's longest text (a description, a message)
MAX_FILES = 20  # the API's most attachments per message
ATTACHMENTS = "attachments"


@dataclass
class TicketForm:
    """A posted ticket form: its text fields, the files chosen now, and the files already
    sent with an earlier attempt of the same form (kept, so a refused form does not ask
    for them again)."""

    fields: MultiDictProxy[str]
    files: list[web.FileField]
    kept: list[dict[str, str]] = field(default_factory=list)

    def text(self, name: str) -> str:
        return self.fields.get(name, "").strip()


async def read(request: web.Request) -> TicketForm:
    posted = await request.post()
    texts: MultiDict[str] = MultiDict()
    files: list[web.FileField] = []
    for key, value in posted.items():
        if isinstance(value, str):
            texts.add(key, value[:MAX_TEXT])
        elif key == ATTACHMENTS and isinstance(value, web.FileField) and value.filename:
            files.append(value)  # (an empty file input arrives as bytes without a name)
    kept = []
    for attachment_id, name in zip(
        texts.getall("kept_id", []), texts.getall("kept_name", []), strict=False
    ):
        try:
            kept.append({"attachment_id": str(uuid.UUID(attachment_id)), "filename": name[:255]})
        except ValueError:
            continue
    return TicketForm(MultiDictProxy(texts), files, kept[:MAX_FILES])


def _upload_body(upload: web.FileField) -> aiohttp.FormData:
    upload.file.seek(0)
    body = aiohttp.FormData()
    body.add_field(
        "file",
        upload.file,
        filename=upload.filename,
        content_type=upload.content_type or "application/octet-stream",
    )
    return body


async def upload_files(api: Api, posted: TicketForm, t: Translate) -> dict[str, str]:
    """Sends the chosen files to the API; the ones it takes join `posted.kept`. Returns the
    error to show on the files field, if any file was refused."""
    refused: list[str] = []
    if len(posted.kept) + len(posted.files) > MAX_FILES:
        return {ATTACHMENTS: t("tickets.error.too_many_files", count=str(MAX_FILES))}
    for upload in posted.files:
        try:
            answer = await api.call(
                "POST", "/api/tickets/uploads", form=lambda upload=upload: _upload_body(upload)
            )
        except ApiError as error:
            if error.status not in {400, 413, 415}:
                raise
            reason = {413: "too_large", 415: "file_type"}.get(error.status, "file_unreadable")
            refused.append(t(f"tickets.error.{reason}", name=upload.filename))
            continue
        posted.kept.append(
            {"attachment_id": answer.body["attachment_id"], "filename": answer.body["filename"]}
        )
    return {ATTACHMENTS: " ".join(refused)} if refused else {}


def attachment_ids(posted: TicketForm) -> list[str]:
    return [kept["attachment_id"] for kept in posted.kept]


def field_errors(error: ApiError, t: Translate) -> dict[str, str]:
    """The API's 422, one message per form field, in the reader's language when the kind of
    error is known (else the API's words)."""
    messages = {}
    codes = error.field_codes
    for name, message in error.field_errors.items():
        field_name = ATTACHMENTS if name.startswith("attachment_ids") else name.split(".")[0]
        messages[field_name] = t(f"tickets.error.{codes.get(name, '')}", default=message)
    return messages or {"": str(error)}


def optional(posted: TicketForm, names: tuple[str, ...]) -> dict[str, Any]:
    """The fields filled in, for the API (an empty field is not sent: it is not "")."""
    return {name: value for name in names if (value := posted.text(name))}
