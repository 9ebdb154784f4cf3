"""Reading invoices: the organisation's list (newest first, filtered, with what is still
owed), one invoice, its PDF, and a selection of PDFs as one ZIP. A customer reads their own
organisation's (with the invoices module); the vendor's staff read any organisation's. An
invoice of another organisation is an invoice that does not exist: 404, its PDF too."""

from __future__ import annotations

import uuid
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from services.billing import archive, queries
from services.billing.api.common import STORAGE, no_such_invoice, reader_scope
from services.billing.queries import InvoiceList, InvoiceView, StaffListQuery
from shared.files.download import serve_download
from shared.http.keys import DB_POOL
from shared.http.openapi import operation
from shared.http.paging import BadCursor, bad_cursor
from shared.http.problems import path_id, read_json, read_query

routes = web.RouteTableDef()
TAGS = ("invoices",)
MAX_ARCHIVE = 100


class ArchiveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=MAX_ARCHIVE)] = Field(
        description="The invoices whose PDFs go in the ZIP (at most 100)"
    )


@routes.get("/invoices")
@operation(
    "List the organisation's invoices and credit notes",
    query=StaffListQuery,
    responses={200: InvoiceList},
    tags=TAGS,
    description="Newest first (by issue date). Pass `next_cursor` back as `cursor` for the"
    " next page. `outstanding` is what the organisation still owes, whatever the filters."
    " `organisation_id` is for the vendor's staff; a customer always reads their own"
    " organisation's.",
)
async def list_invoices(request: web.Request) -> web.Response:
    organisation = reader_scope(request)
    query = read_query(request, StaffListQuery)
    try:
        result = await queries.list_invoices(
            request.app[DB_POOL],
            organisation_id=organisation,
            filters=query,
            cursor=query.cursor,
            limit=query.limit,
        )
    except BadCursor:
        raise bad_cursor() from None
    return web.json_response(result.model_dump(mode="json"))


@routes.post("/invoices/archive")
@operation(
    "Download a selection of PDFs as one ZIP",
    request=ArchiveRequest,
    responses={200: None, 404: None},
    tags=TAGS,
    media_types={200: "application/zip"},
    description="One PDF per invoice, named by its number, streamed as it is read. 404 when"
    " any of them is not one the caller may read. A POST, so that a selection of a hundred"
    " ids never outgrows a URL; it changes nothing.",
)
async def download_archive(request: web.Request) -> web.StreamResponse:
    organisation = reader_scope(request)
    body = await read_json(request, ArchiveRequest)
    wanted = list(dict.fromkeys(body.invoice_ids))
    files = await queries.pdf_files(request.app[DB_POOL], wanted, organisation)
    if len(files) != len(wanted):
        raise no_such_invoice()
    return await archive.stream_zip(request, request.app[STORAGE], files, "invoices.zip")


@routes.get("/invoices/{invoice_id}")
@operation("An invoice or credit note", responses={200: InvoiceView, 404: None}, tags=TAGS)
async def get_invoice(request: web.Request) -> web.Response:
    organisation = reader_scope(request)
    invoice_id = path_id(request, "invoice_id", "invoice")
    view = await queries.invoice(request.app[DB_POOL], invoice_id, organisation)
    if view is None:
        raise no_such_invoice()
    return web.json_response(view.model_dump(mode="json"))


@routes.get("/invoices/{invoice_id}/pdf")
@operation(
    "Download the PDF",
    responses={200: None, 404: None},
    tags=TAGS,
    media_types={200: "application/pdf"},
    description="The ERP's own PDF when it sent one, else the one Guichet rendered; always as"
    " a download named by the number.",
)
async def download_pdf(request: web.Request) -> web.StreamResponse:
    organisation = reader_scope(request)
    invoice_id = path_id(request, "invoice_id", "invoice")
    [pdf] = await queries.pdf_files(request.app[DB_POOL], [invoice_id], organisation) or [None]
    if pdf is None:
        raise no_such_invoice()
    return await serve_download(
        request,
        request.app[STORAGE],
        key=pdf.storage_key,
        filename=pdf.filename,
        content_type="application/pdf",
        size=pdf.size,
        missing=no_such_invoice(),
    )
