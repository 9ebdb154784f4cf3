"""The billing service's published events: a public contract (see docs/events.md).

Amounts are decimal strings in the document's currency ("1234.50"). Every event names the
organisation the document is for (in its envelope too), so each organisation's webhooks and
emails see only its own.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from services.billing.domain_types import (
    Amount,
    DocumentKind,
    InvoiceLine,
    InvoiceStatus,
    PdfRef,
    Quantity,
)
from shared.events import DomainEvent, EventRegistry

registry = EventRegistry(source="billing")


class IssuedDocument(DomainEvent):
    """What an invoice and a credit note share, as the ERP issued them."""

    invoice_id: uuid.UUID
    organisation_id: uuid.UUID
    number: str
    issue_date: dt.date
    currency: str
    lines: tuple[InvoiceLine, ...]
    total_excl_tax: Amount
    total_tax: Amount
    total_incl_tax: Amount
    customer_name: str
    billing_address: tuple[str, ...] = ()
    pdf: PdfRef
    order_reference: str | None = None


@registry.register
class InvoiceIssued(IssuedDocument):
    """The ERP issued an invoice to the organisation; its PDF is ready to download."""

    type: ClassVar[str] = "guichet.billing.InvoiceIssued"
    version: ClassVar[int] = 1

    due_date: dt.date


@registry.register
class CreditNoteIssued(IssuedDocument):
    """The ERP issued a credit note to the organisation (`credited_invoice_number`: the
    invoice it cancels or reduces, when the ERP names one)."""

    type: ClassVar[str] = "guichet.billing.CreditNoteIssued"
    version: ClassVar[int] = 1

    credited_invoice_number: str | None = None


@registry.register
class InvoicePaid(DomainEvent):
    """The ERP recorded a payment of the invoice: in full (`fully_paid`) or in part."""

    type: ClassVar[str] = "guichet.billing.InvoicePaid"
    version: ClassVar[int] = 1

    invoice_id: uuid.UUID
    organisation_id: uuid.UUID
    number: str
    payment_reference: str
    amount: Amount
    paid_on: dt.date
    currency: str
    amount_paid: Amount
    """Every payment so far, this one included."""
    balance: Amount
    """What is still owed after this payment."""
    fully_paid: bool
    status: InvoiceStatus


@registry.register
class InvoiceOverdue(DomainEvent):
    """The invoice's due date passed with something still owed (found by the daily check)."""

    type: ClassVar[str] = "guichet.billing.InvoiceOverdue"
    version: ClassVar[int] = 1

    invoice_id: uuid.UUID
    organisation_id: uuid.UUID
    number: str
    due_date: dt.date
    currency: str
    balance: Amount
    total_incl_tax: Amount


class RequestedLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    reference: str | None = None
    description: str
    quantity: Quantity


@registry.register
class InvoiceRequested(DomainEvent):
    """An order was delivered in full: the ERP should invoice it (a draft request, so that no
    one enters it by hand). Published once per order; the ERP answers by issuing the invoice
    through the API with `order_reference` = `order_number`."""

    type: ClassVar[str] = "guichet.billing.InvoiceRequested"
    version: ClassVar[int] = 1

    request_id: uuid.UUID
    organisation_id: uuid.UUID
    order_id: uuid.UUID
    order_number: str
    customer_reference: str | None = None
    lines: tuple[RequestedLine, ...]
    delivered_on: dt.date


def document_kind(event: IssuedDocument) -> DocumentKind:
    return DocumentKind.CREDIT_NOTE if isinstance(event, CreditNoteIssued) else DocumentKind.INVOICE
