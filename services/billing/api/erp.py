"""What the vendor's ERP sends, with its OAuth client-credentials token (role `service`,
scope `billing:write`): invoices and credit notes, idempotent by their number, and the
payments it records, idempotent by their reference."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from aiohttp import BodyPartReader, web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from services.billing import handlers, queries
from services.billing.api.common import (
    BILLING_SETTINGS,
    STORAGE,
    VENDOR,
    domain_refusals,
    invalid,
)
from services.billing.domain_types import (
    Amount,
    Currency,
    DocumentKind,
    DocumentNumber,
    InvoiceLine,
    ShortText,
)
from services.billing.queries import InvoiceView
from shared.auth.claims import Scope
from shared.eventstore import EventContext
from shared.files.sniffing import NotAccepted, save_sniffed
from shared.files.storage import CHUNK, TooLarge
from shared.http.keys import DB_POOL, EVENT_STORE
from shared.http.middleware import REQUEST_ID
from shared.http.openapi import operation
from shared.http.principal import acting_principal, require_scope
from shared.http.problems import Problem, read_json, validation_problem

routes = web.RouteTableDef()
TAGS = ("erp",)
PDF = frozenset({"application/pdf"})
MAX_JSON_PART = 1024 * 1024
CustomerCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class ErpDocument(BaseModel):
    """An invoice or a credit note as the ERP issued it."""

    model_config = ConfigDict(extra="forbid")

    kind: DocumentKind = DocumentKind.INVOICE
    number: DocumentNumber = Field(description="The ERP's number: sending it again is harmless")
    customer_code: CustomerCode = Field(description="The organisation's code in the portal")
    issue_date: dt.date
    due_date: dt.date | None = Field(
        default=None, description="For an invoice; none for a credit note"
    )
    currency: Currency = "EUR"
    lines: Annotated[list[InvoiceLine], Field(min_length=1, max_length=500)]
    total_excl_tax: Amount
    total_tax: Amount
    total_incl_tax: Amount
    order_reference: ShortText | None = Field(
        default=None, description="The order invoiced (an InvoiceRequested's order_number)"
    )
    credited_invoice_number: DocumentNumber | None = Field(
        default=None, description="For a credit note: the invoice it credits"
    )


class ErpPayment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_number: DocumentNumber
    payment_reference: ShortText = Field(
        description="The ERP's reference of the payment: sending it again is harmless"
    )
    amount: Annotated[Amount, Field(gt=0)]
    paid_on: dt.date


def _context(request: web.Request) -> EventContext:
    principal = acting_principal(request)
    require_scope(principal, Scope.BILLING_WRITE)
    return EventContext(correlation_id=request[REQUEST_ID], actor_id=principal.user_id)


def _incoming(document: ErpDocument, pdf_sha256: str | None) -> handlers.IncomingDocument:
    # What the ERP sent, in one canonical form, with its PDF's hash: the same document sent
    # again hashes the same, whatever the order of its keys.
    canonical = json.dumps(document.model_dump(mode="json"), sort_keys=True)
    fingerprint = hashlib.sha256(f"{canonical}|{pdf_sha256 or ''}".encode()).hexdigest()
    return handlers.IncomingDocument(
        customer_code=document.customer_code,
        kind=document.kind,
        number=document.number,
        issue_date=document.issue_date,
        due_date=document.due_date,
        currency=document.currency,
        lines=tuple(document.lines),
        total_excl_tax=document.total_excl_tax,
        total_tax=document.total_tax,
        total_incl_tax=document.total_incl_tax,
        fingerprint=fingerprint,
        order_reference=document.order_reference,
        credited_invoice_number=document.credited_invoice_number,
    )


async def _answer(request: web.Request, outcome: handlers.Outcome) -> web.Response:
    view = await queries.invoice(request.app[DB_POOL], outcome.invoice_id, None)
    assert view is not None
    return web.json_response(
        view.model_dump(mode="json"),
        status=201 if outcome.created else 200,
        headers={"Location": f"/invoices/{outcome.invoice_id}"},
    )


@routes.post("/erp/invoices")
@operation(
    "Issue an invoice or a credit note (the ERP)",
    request=ErpDocument,
    responses={201: InvoiceView, 200: InvoiceView, 403: None, 409: None, 413: None, 415: None},
    tags=TAGS,
    description="As JSON, Guichet renders the PDF from the data. As multipart/form-data, a"
    " part `document` holds the same JSON and a part `pdf` the ERP's own PDF (its type is"
    " read from its content; at most GUICHET_INVOICE_PDF_MAX_BYTES). 201 when issued now;"
    " the same number with the same content again is 200 with the same invoice; with other"
    " content, 409. The customer is named by the organisation's code.",
)
async def issue_document(request: web.Request) -> web.Response:
    context = _context(request)
    stored: handlers.StoredPdf | None = None
    if request.content_type == "multipart/form-data":
        document, stored = await _read_multipart(request)
    else:
        document = await read_json(request, ErpDocument)
    async with domain_refusals():
        outcome = await handlers.import_document(
            request.app[DB_POOL],
            request.app[EVENT_STORE],
            request.app[STORAGE],
            request.app[VENDOR],
            _incoming(document, stored.sha256 if stored else None),
            context,
            uploaded=stored,
        )
    return await _answer(request, outcome)


async def _read_multipart(request: web.Request) -> tuple[ErpDocument, handlers.StoredPdf]:
    """The `document` part and the `pdf` part, stored; nothing stays stored on a refusal."""
    document: ErpDocument | None = None
    stored: handlers.StoredPdf | None = None
    storage = request.app[STORAGE]
    try:
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "document" and document is None:
                document = await _document_part(part)
            elif part.name == "pdf" and stored is None:
                stored = await _store_pdf(request, part)
    except (ValueError, AssertionError, RuntimeError) as error:
        if stored is not None:
            await storage.delete(stored.storage_key)
        if isinstance(error, ValidationError):
            raise validation_problem(error) from None
        raise Problem(400, "Malformed body", "The multipart body cannot be read.") from None
    except BaseException:
        if stored is not None:
            await storage.delete(stored.storage_key)
        raise
    if document is None or stored is None:
        if stored is not None:
            await storage.delete(stored.storage_key)
        missing = "document" if document is None else "pdf"
        raise invalid(missing, "Send the part: `document` (JSON) and `pdf` (the file).", "missing")
    return document, stored


async def _document_part(part: BodyPartReader) -> ErpDocument:
    raw = await part.read(decode=False)
    if len(raw) > MAX_JSON_PART:
        raise Problem(413, "Document too large", "The document part may be at most 1 MiB.")
    try:
        return ErpDocument.model_validate_json(raw)
    except ValidationError as error:
        if any(problem["type"] == "json_invalid" for problem in error.errors()):
            raise Problem(400, "Malformed JSON", "The document part is not valid JSON.") from None
        raise validation_problem(error) from None


async def _store_pdf(request: web.Request, part: BodyPartReader) -> handlers.StoredPdf:
    limit = request.app[BILLING_SETTINGS].invoice_pdf_max_bytes
    digest = hashlib.sha256()

    async def chunks() -> AsyncIterator[bytes]:
        while chunk := await part.read_chunk(CHUNK):
            digest.update(chunk)
            yield chunk

    key = uuid.uuid4().hex
    try:
        size, _type = await save_sniffed(
            request.app[STORAGE], key, chunks(), max_bytes=limit, accepted=PDF
        )
    except TooLarge:
        raise Problem(413, "File too large", f"A PDF may be at most {limit:,} bytes.") from None
    except NotAccepted:
        raise Problem(415, "Not a PDF", "The `pdf` part must be a PDF file.") from None
    return handlers.StoredPdf(key, size, digest.hexdigest())


@routes.post("/erp/payments")
@operation(
    "Report a payment of an invoice (the ERP)",
    request=ErpPayment,
    responses={201: InvoiceView, 200: InvoiceView, 403: None, 404: None, 409: None},
    tags=TAGS,
    description="In full or in part. 201 when recorded now; the same payment_reference with"
    " the same amount again is 200; with another amount, or more than is owed, 409.",
)
async def report_payment(request: web.Request) -> web.Response:
    context = _context(request)
    payment = await read_json(request, ErpPayment)
    async with domain_refusals():
        outcome = await handlers.record_payment(
            request.app[DB_POOL],
            request.app[EVENT_STORE],
            context,
            number=payment.invoice_number,
            reference=payment.payment_reference,
            amount=payment.amount,
            paid_on=payment.paid_on,
        )
    return await _answer(request, outcome)
