"""Read models, updated in the same transaction as the events they come from."""

from __future__ import annotations

import asyncpg

from services.billing.domain_types import InvoiceStatus
from services.billing.events import (
    CreditNoteIssued,
    InvoiceIssued,
    InvoiceOverdue,
    InvoicePaid,
    IssuedDocument,
    document_kind,
)
from shared.eventstore import EventStore, RecordedEvent


async def project(
    connection: asyncpg.Connection, store: EventStore, recorded: list[RecordedEvent]
) -> None:
    for record in recorded:
        event = store.decode(record)
        at = record.recorded_at
        match event:
            case InvoiceIssued() | CreditNoteIssued():
                await _issued(connection, event, record)
            case InvoicePaid():
                await connection.execute(
                    "INSERT INTO invoice_payments"
                    " (invoice_id, payment_reference, amount, paid_on, recorded_at)"
                    " VALUES ($1, $2, $3, $4, $5)",
                    event.invoice_id,
                    event.payment_reference,
                    event.amount,
                    event.paid_on,
                    at,
                )
                await connection.execute(
                    "UPDATE invoices SET amount_paid = $2, balance = $3, status = $4,"
                    " updated_at = $5 WHERE invoice_id = $1",
                    event.invoice_id,
                    event.amount_paid,
                    event.balance,
                    event.status.value,
                    at,
                )
            case InvoiceOverdue():
                await connection.execute(
                    "UPDATE invoices SET status = $2, updated_at = $3 WHERE invoice_id = $1",
                    event.invoice_id,
                    InvoiceStatus.OVERDUE.value,
                    at,
                )


async def _issued(
    connection: asyncpg.Connection, event: IssuedDocument, record: RecordedEvent
) -> None:
    due_date = event.due_date if isinstance(event, InvoiceIssued) else None
    credited = event.credited_invoice_number if isinstance(event, CreditNoteIssued) else None
    # A credit note owes nothing: its balance is 0 and it stays `issued`.
    balance = event.total_incl_tax if isinstance(event, InvoiceIssued) else 0
    await connection.execute(
        "INSERT INTO invoices (invoice_id, organisation_id, number, kind, issue_date, due_date,"
        " currency, total_excl_tax, total_tax, total_incl_tax, balance, status, customer_name,"
        " billing_address, lines, order_reference, credited_invoice_number, pdf_source,"
        " pdf_size, pdf_sha256, issued_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'issued', $12, $13, $14, $15,"
        " $16, $17, $18, $19, $20, $20)",
        event.invoice_id,
        event.organisation_id,
        event.number,
        document_kind(event).value,
        event.issue_date,
        due_date,
        event.currency,
        event.total_excl_tax,
        event.total_tax,
        event.total_incl_tax,
        balance,
        event.customer_name,
        list(event.billing_address),
        [line.model_dump(mode="json") for line in event.lines],
        event.order_reference,
        credited,
        event.pdf.source.value,
        event.pdf.size,
        event.pdf.sha256,
        record.recorded_at,
    )
