"""The invoice aggregate (an invoice or a credit note): state folded from events, commands
that check invariants. Pure code: no I/O.

The ERP is the source of truth for what was invoiced and paid; Guichet keeps what it was
told, refuses what contradicts it (a number reused with other content, a payment larger than
what is owed), and finds what the ERP does not say: that an invoice became overdue.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from services.billing.domain_types import DocumentKind, InvoiceLine, InvoiceStatus, PdfRef, money
from services.billing.events import (
    CreditNoteIssued,
    InvoiceIssued,
    InvoiceOverdue,
    InvoicePaid,
    InvoiceRequested,
    IssuedDocument,
    RequestedLine,
    document_kind,
)
from shared.aggregate import Aggregate
from shared.events import DomainEvent

# Invoice ids derive from the ERP's number: the same number always lands on the same stream,
# so a document sent twice (or by two racing requests) is one document.
INVOICE_NAMESPACE = uuid.UUID("5f0c4c2e-8a3b-4d7e-9b1a-6c2f0e1d7a90")
REQUEST_NAMESPACE = uuid.UUID("0b9e3f6a-2c4d-4e8f-a1b2-3c4d5e6f7a8b")


class BillingRuleBroken(ValueError):
    """A command the document's state does not allow (answered 409)."""


class InvalidDocument(ValueError):
    """The document's figures do not add up (answered 422 on `field`)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def invoice_id_for(number: str) -> uuid.UUID:
    return uuid.uuid5(INVOICE_NAMESPACE, number)


@dataclass(frozen=True)
class NewDocument:
    """A document as the ERP sent it, with what Guichet adds (organisation, customer, PDF)."""

    kind: DocumentKind
    organisation_id: uuid.UUID
    number: str
    issue_date: dt.date
    due_date: dt.date | None
    currency: str
    lines: tuple[InvoiceLine, ...]
    total_excl_tax: Decimal
    total_tax: Decimal
    total_incl_tax: Decimal
    customer_name: str
    pdf: PdfRef | None
    billing_address: tuple[str, ...] = ()
    order_reference: str | None = None
    credited_invoice_number: str | None = None


def check_figures(document: NewDocument) -> None:
    """The figures the ERP sent must add up: lines to the total excluding tax, and that total
    plus the tax to the total including it. An invoice has a due date, on or after its issue."""
    lines = sum((line.total_excl_tax for line in document.lines), Decimal(0))
    if money(lines) != money(document.total_excl_tax):
        raise InvalidDocument(
            "total_excl_tax", f"The lines add up to {money(lines)}, not {document.total_excl_tax}."
        )
    if money(document.total_excl_tax + document.total_tax) != money(document.total_incl_tax):
        raise InvalidDocument("total_incl_tax", "Must be total_excl_tax plus total_tax.")
    if document.total_incl_tax < 0:
        raise InvalidDocument("total_incl_tax", "Must not be negative; send a credit note.")
    if document.kind is DocumentKind.INVOICE:
        if document.due_date is None:
            raise InvalidDocument("due_date", "An invoice has a due date.")
        if document.due_date < document.issue_date:
            raise InvalidDocument("due_date", "Must be on or after the issue date.")
    elif document.due_date is not None:
        raise InvalidDocument("due_date", "A credit note has no due date.")


@dataclass
class Invoice(Aggregate):
    invoice_id: uuid.UUID
    version: int = 0
    issued: IssuedDocument | None = None
    amount_paid: Decimal = Decimal("0.00")
    payments: dict[str, Decimal] = field(default_factory=dict)
    overdue: bool = False

    STREAM_TYPE: ClassVar[str] = "invoice"

    @property
    def kind(self) -> DocumentKind | None:
        return document_kind(self.issued) if self.issued else None

    @property
    def balance(self) -> Decimal:
        if not isinstance(self.issued, InvoiceIssued):
            return Decimal("0.00")
        return money(self.issued.total_incl_tax - self.amount_paid)

    @property
    def status(self) -> InvoiceStatus:
        if isinstance(self.issued, InvoiceIssued) and self.balance <= 0:
            return InvoiceStatus.PAID
        if self.overdue:
            return InvoiceStatus.OVERDUE
        if self.amount_paid > 0:
            return InvoiceStatus.PARTIALLY_PAID
        return InvoiceStatus.ISSUED

    def apply(self, event: DomainEvent) -> None:
        match event:
            case InvoiceIssued() | CreditNoteIssued():
                self.issued = event
            case InvoicePaid():
                self.payments[event.payment_reference] = event.amount
                self.amount_paid = event.amount_paid
            case InvoiceOverdue():
                self.overdue = True
        self.version += 1

    # --- commands ---------------------------------------------------------------------------

    def issue(self, document: NewDocument) -> list[DomainEvent]:
        if self.issued is not None:
            raise BillingRuleBroken(f"document {document.number} is already issued")
        check_figures(document)
        if document.pdf is None:
            raise BillingRuleBroken("a document is issued with its PDF")
        common = {
            "invoice_id": self.invoice_id,
            "organisation_id": document.organisation_id,
            "number": document.number,
            "issue_date": document.issue_date,
            "currency": document.currency,
            "lines": document.lines,
            "total_excl_tax": money(document.total_excl_tax),
            "total_tax": money(document.total_tax),
            "total_incl_tax": money(document.total_incl_tax),
            "customer_name": document.customer_name,
            "billing_address": document.billing_address,
            "pdf": document.pdf,
            "order_reference": document.order_reference,
        }
        if document.kind is DocumentKind.CREDIT_NOTE:
            return [
                CreditNoteIssued(**common, credited_invoice_number=document.credited_invoice_number)
            ]
        assert document.due_date is not None  # check_figures made sure
        return [InvoiceIssued(**common, due_date=document.due_date)]

    def record_payment(
        self, *, reference: str, amount: Decimal, paid_on: dt.date
    ) -> list[DomainEvent]:
        """A payment the ERP recorded; the same reference again (a retry) changes nothing."""
        issued = self.issued
        if not isinstance(issued, InvoiceIssued):
            raise BillingRuleBroken("only an invoice can be paid")
        amount = money(amount)
        known = self.payments.get(reference)
        if known is not None:
            if known != amount:
                raise BillingRuleBroken(
                    f"payment {reference} was already recorded with amount {known}"
                )
            return []
        if amount <= 0:
            raise InvalidDocument("amount", "Must be more than 0.")
        if amount > self.balance:
            raise BillingRuleBroken(
                f"the payment of {amount} is more than the {self.balance} still owed"
            )
        paid = money(self.amount_paid + amount)
        balance = money(issued.total_incl_tax - paid)
        after = (
            InvoiceStatus.PAID
            if balance <= 0
            else (InvoiceStatus.OVERDUE if self.overdue else InvoiceStatus.PARTIALLY_PAID)
        )
        return [
            InvoicePaid(
                invoice_id=self.invoice_id,
                organisation_id=issued.organisation_id,
                number=issued.number,
                payment_reference=reference,
                amount=amount,
                paid_on=paid_on,
                currency=issued.currency,
                amount_paid=paid,
                balance=balance,
                fully_paid=balance <= 0,
                status=after,
            )
        ]

    def mark_overdue(self, today: dt.date) -> list[DomainEvent]:
        """Overdue once the due date has passed with something owed; once only."""
        issued = self.issued
        if not isinstance(issued, InvoiceIssued) or self.overdue:
            return []
        if self.balance <= 0 or issued.due_date >= today:
            return []
        return [
            InvoiceOverdue(
                invoice_id=self.invoice_id,
                organisation_id=issued.organisation_id,
                number=issued.number,
                due_date=issued.due_date,
                currency=issued.currency,
                balance=self.balance,
                total_incl_tax=issued.total_incl_tax,
            )
        ]


@dataclass(frozen=True)
class DeliveredOrder:
    """What orders tells of an order delivered in full (its `OrderShipped` with
    `delivered_in_full`, see docs/events.md)."""

    organisation_id: uuid.UUID
    order_id: uuid.UUID
    order_number: str
    lines: tuple[RequestedLine, ...]
    delivered_on: dt.date
    customer_reference: str | None = None


@dataclass
class InvoiceRequest(Aggregate):
    """The request, made once per order, that the ERP invoice a delivered order."""

    request_id: uuid.UUID
    version: int = 0

    STREAM_TYPE: ClassVar[str] = "invoice_request"

    @staticmethod
    def id_for(order_id: uuid.UUID) -> uuid.UUID:
        return uuid.uuid5(REQUEST_NAMESPACE, str(order_id))

    def apply(self, event: DomainEvent) -> None:
        self.version += 1

    def request(self, order: DeliveredOrder) -> list[DomainEvent]:
        if self.version:  # the order's delivery told twice: already requested
            return []
        if not order.lines:
            raise InvalidDocument("lines", "A delivered order has lines to invoice.")
        return [
            InvoiceRequested(
                request_id=self.request_id,
                organisation_id=order.organisation_id,
                order_id=order.order_id,
                order_number=order.order_number,
                customer_reference=order.customer_reference,
                lines=order.lines,
                delivered_on=order.delivered_on,
            )
        ]
