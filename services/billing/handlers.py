"""One function per command: load, decide, append with the expected version, project, in
one transaction. A PDF is stored before the transaction that names it; when that
transaction does not commit, the file is deleted again."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from decimal import Decimal

import asyncpg
import structlog

from services.billing import directory, projections
from services.billing.domain import (
    BillingRuleBroken,
    DeliveredOrder,
    InvalidDocument,
    Invoice,
    InvoiceRequest,
    NewDocument,
    check_figures,
    invoice_id_for,
)
from services.billing.domain_types import DocumentKind, InvoiceLine, PdfRef, PdfSource
from services.billing.pdf import InvoiceDocument, Vendor, render
from shared.events import DomainEvent
from shared.eventstore import ConcurrencyConflict, EventContext, EventStore
from shared.files.storage import FileStorage

# Each round of a race has a winner, so N payments of one invoice sent at once need at most N
# rounds; an ERP sends a day's payments a few at a time.
PAYMENT_ATTEMPTS = 10
log = structlog.get_logger(__name__)
OVERDUE_BATCH = 500


class NumberReused(Exception):
    """The ERP sent a number already issued, with other content (answered 409)."""


class UnknownInvoice(Exception):
    """No invoice has this number (answered 404)."""


@dataclass(frozen=True)
class StoredPdf:
    """A PDF already in storage, under a key no row names yet."""

    storage_key: str
    size: int
    sha256: str


@dataclass(frozen=True)
class IncomingDocument:
    """A document as the ERP sent it; `fingerprint` is what it sent, hashed (the same number
    sent again must hash the same)."""

    customer_code: str
    kind: DocumentKind
    number: str
    issue_date: dt.date
    due_date: dt.date | None
    currency: str
    lines: tuple[InvoiceLine, ...]
    total_excl_tax: Decimal
    total_tax: Decimal
    total_incl_tax: Decimal
    fingerprint: str
    order_reference: str | None = None
    credited_invoice_number: str | None = None

    def document(self, organisation: directory.Organisation, pdf: PdfRef | None) -> NewDocument:
        return NewDocument(
            kind=self.kind,
            organisation_id=organisation.organisation_id,
            number=self.number,
            issue_date=self.issue_date,
            due_date=self.due_date,
            currency=self.currency,
            lines=self.lines,
            total_excl_tax=self.total_excl_tax,
            total_tax=self.total_tax,
            total_incl_tax=self.total_incl_tax,
            customer_name=organisation.legal_name,
            billing_address=organisation.billing_address,
            pdf=pdf,
            order_reference=self.order_reference,
            credited_invoice_number=self.credited_invoice_number,
        )


@dataclass(frozen=True)
class Outcome:
    invoice_id: uuid.UUID
    created: bool


async def single(content: bytes) -> AsyncIterator[bytes]:
    yield content


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


async def _known(
    connection: asyncpg.Connection | asyncpg.Pool, number: str, fingerprint: str
) -> Outcome | None:
    row = await connection.fetchrow(
        "SELECT i.invoice_id, f.fingerprint FROM invoices i"
        " JOIN invoice_files f USING (invoice_id) WHERE i.number = $1",
        number,
    )
    if row is None:
        return None
    if row["fingerprint"] != fingerprint:
        raise NumberReused(number)
    return Outcome(row["invoice_id"], created=False)


async def import_document(
    pool: asyncpg.Pool,
    store: EventStore,
    storage: FileStorage,
    vendor: Vendor,
    incoming: IncomingDocument,
    context: EventContext,
    uploaded: StoredPdf | None = None,
) -> Outcome:
    """Issue the document once: the same number with the same content again is the same
    document (created False); with other content, NumberReused. Without an uploaded PDF,
    Guichet renders one."""
    stored: list[StoredPdf] = [uploaded] if uploaded else []
    try:
        return await _import(pool, store, storage, vendor, incoming, context, stored)
    except (ConcurrencyConflict, BillingRuleBroken):
        # Another request issued this number first: the same document, or a reuse.
        await _forget(storage, stored)
        known = await _known(pool, incoming.number, incoming.fingerprint)
        if known is None:
            raise
        return known
    except BaseException:
        await _forget(storage, stored)
        raise


async def _import(
    pool: asyncpg.Pool,
    store: EventStore,
    storage: FileStorage,
    vendor: Vendor,
    incoming: IncomingDocument,
    context: EventContext,
    stored: list[StoredPdf],
) -> Outcome:
    """`stored`: the PDF uploaded, or rendered here; the caller deletes it on failure."""
    if (known := await _known(pool, incoming.number, incoming.fingerprint)) is not None:
        await _forget(storage, stored)
        return known
    organisation = await directory.organisation_by_code(pool, incoming.customer_code)
    if organisation is None:
        raise InvalidDocument("customer_code", "No organisation has this code in the portal.")
    document = incoming.document(organisation, pdf=None)
    check_figures(document)
    source = PdfSource.ERP if stored else PdfSource.RENDERED
    if not stored:
        stored.append(await _render_and_store(storage, vendor, document, organisation.language))
    pdf = PdfRef(source=source, size=stored[0].size, sha256=stored[0].sha256)
    context = replace(context, organisation_id=organisation.organisation_id)
    invoice_id = await _issue(pool, store, replace(document, pdf=pdf), stored[0], incoming, context)
    return Outcome(invoice_id, created=True)


async def _issue(
    pool: asyncpg.Pool,
    store: EventStore,
    document: NewDocument,
    stored: StoredPdf,
    incoming: IncomingDocument,
    context: EventContext,
) -> uuid.UUID:
    invoice_id = invoice_id_for(document.number)
    async with pool.acquire() as connection, connection.transaction():
        invoice = await _load(connection, store, invoice_id)
        await _append(connection, store, invoice, invoice.issue(document), context)
        await connection.execute(
            "INSERT INTO invoice_files (invoice_id, storage_key, fingerprint) VALUES ($1, $2, $3)",
            invoice_id,
            stored.storage_key,
            incoming.fingerprint,
        )
    return invoice_id


async def _render_and_store(
    storage: FileStorage, vendor: Vendor, document: NewDocument, language: str
) -> StoredPdf:
    content = await asyncio.to_thread(render, printed(document, language), vendor)
    key = uuid.uuid4().hex
    size = await storage.save(key, single(content), max_bytes=len(content))
    return StoredPdf(key, size, sha256_of(content))


def printed(document: NewDocument, language: str) -> InvoiceDocument:
    return InvoiceDocument(
        kind=document.kind,
        number=document.number,
        issue_date=document.issue_date,
        due_date=document.due_date,
        currency=document.currency,
        customer_name=document.customer_name,
        billing_address=document.billing_address,
        lines=document.lines,
        total_excl_tax=document.total_excl_tax,
        total_tax=document.total_tax,
        total_incl_tax=document.total_incl_tax,
        order_reference=document.order_reference,
        credited_invoice_number=document.credited_invoice_number,
        language=language,
    )


async def _forget(storage: FileStorage, stored: list[StoredPdf]) -> None:
    for pdf in stored:
        await storage.delete(pdf.storage_key)
    stored.clear()


async def _load(
    connection: asyncpg.Connection, store: EventStore, invoice_id: uuid.UUID
) -> Invoice:
    events, _version = await store.load(connection, str(invoice_id))
    return Invoice.from_history(invoice_id, events)


async def _append(
    connection: asyncpg.Connection,
    store: EventStore,
    invoice: Invoice,
    events: list[DomainEvent],
    context: EventContext,
) -> None:
    recorded = await store.append(
        connection,
        stream_id=str(invoice.invoice_id),
        stream_type=Invoice.STREAM_TYPE,
        expected_version=invoice.version,
        events=events,
        context=context,
    )
    await projections.project(connection, store, recorded)


async def record_payment(
    pool: asyncpg.Pool,
    store: EventStore,
    context: EventContext,
    *,
    number: str,
    reference: str,
    amount: Decimal,
    paid_on: dt.date,
) -> Outcome:
    """A payment the ERP recorded; the same reference again is the same payment. A race
    with the overdue check or another payment of the same invoice is decided again on the
    fresh invoice (the ERP is not asked to retry what Guichet can settle itself)."""
    for attempt in range(1, PAYMENT_ATTEMPTS):
        with contextlib.suppress(ConcurrencyConflict):
            return await _record_payment(pool, store, context, number, reference, amount, paid_on)
        log.info("payment raced another change; deciding again", number=number, attempt=attempt)
        await asyncio.sleep(random.uniform(0, 0.005 * attempt))  # noqa: S311 - spreads racers
    return await _record_payment(pool, store, context, number, reference, amount, paid_on)


async def _record_payment(
    pool: asyncpg.Pool,
    store: EventStore,
    context: EventContext,
    number: str,
    reference: str,
    amount: Decimal,
    paid_on: dt.date,
) -> Outcome:
    async with pool.acquire() as connection, connection.transaction():
        invoice_id = await connection.fetchval(
            "SELECT invoice_id FROM invoices WHERE number = $1", number
        )
        if invoice_id is None:
            raise UnknownInvoice(number)
        invoice = await _load(connection, store, invoice_id)
        events = invoice.record_payment(reference=reference, amount=amount, paid_on=paid_on)
        assert invoice.issued is not None
        context = replace(context, organisation_id=invoice.issued.organisation_id)
        await _append(connection, store, invoice, events, context)
    return Outcome(invoice_id, created=bool(events))


async def mark_overdue(pool: asyncpg.Pool, store: EventStore, today: dt.date) -> int:
    """The daily check: every invoice past its due date with something owed becomes overdue,
    once. Safe to run any number of times a day, on any number of replicas (a lost race is
    skipped: the winner marked it). The number marked now."""
    marked = 0
    after = uuid.UUID(int=0)
    while True:
        rows = await pool.fetch(
            "SELECT invoice_id, organisation_id FROM invoices WHERE kind = 'invoice'"
            " AND status IN ('issued', 'partially_paid') AND due_date < $1 AND invoice_id > $2"
            f" ORDER BY invoice_id LIMIT {OVERDUE_BATCH}",
            today,
            after,
        )
        for row in rows:
            context = EventContext.new(organisation_id=row["organisation_id"], actor_id="billing")
            try:
                async with pool.acquire() as connection, connection.transaction():
                    invoice = await _load(connection, store, row["invoice_id"])
                    events = invoice.mark_overdue(today)
                    await _append(connection, store, invoice, events, context)
            except ConcurrencyConflict:
                continue
            marked += bool(events)
        if len(rows) < OVERDUE_BATCH:
            break
        after = rows[-1]["invoice_id"]
    if marked:
        log.info("invoices marked overdue", count=marked, day=today.isoformat())
    return marked


async def request_invoice(
    connection: asyncpg.Connection,
    store: EventStore,
    order: DeliveredOrder,
    context: EventContext,
) -> bool:
    """Ask the ERP to invoice an order delivered in full, once per order, in the caller's
    transaction (billing's subscription to orders' `OrderShipped`, with its inbox row).
    Whether it was asked now."""
    request_id = InvoiceRequest.id_for(order.order_id)
    events, version = await store.load(connection, str(request_id))
    request = InvoiceRequest.from_history(request_id, events)
    new = request.request(order)
    await store.append(
        connection,
        stream_id=str(request_id),
        stream_type=InvoiceRequest.STREAM_TYPE,
        expected_version=version,
        events=new,
        context=replace(context, organisation_id=order.organisation_id),
    )
    return bool(new)
