"""The invoice aggregate: given events, when a command, then events (or a refusal). No I/O."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain import (
    BillingRuleBroken,
    DeliveredOrder,
    InvalidDocument,
    Invoice,
    InvoiceRequest,
    NewDocument,
    invoice_id_for,
)
from services.billing.domain_types import (
    DocumentKind,
    InvoiceLine,
    InvoiceStatus,
    PdfRef,
    PdfSource,
)
from services.billing.events import (
    CreditNoteIssued,
    InvoiceIssued,
    InvoiceOverdue,
    InvoicePaid,
    InvoiceRequested,
    RequestedLine,
)

ORGANISATION = uuid.uuid4()
PDF = PdfRef(source=PdfSource.RENDERED, size=1000, sha256="0" * 64)
DUE = dt.date(2026, 12, 2)


def document(total: str = "120.00", **fields: object) -> NewDocument:
    amount = Decimal(total)
    excl = (amount / Decimal("1.2")).quantize(Decimal("0.01"))
    values: dict[str, object] = {
        "kind": DocumentKind.INVOICE,
        "organisation_id": ORGANISATION,
        "number": "FA-1",
        "issue_date": dt.date(2026, 11, 2),
        "due_date": DUE,
        "currency": "EUR",
        "lines": (
            InvoiceLine(
                description="Toner",
                quantity=Decimal(1),
                unit_price_excl_tax=excl,
                tax_rate=Decimal(20),
                total_excl_tax=excl,
            ),
        ),
        "total_excl_tax": excl,
        "total_tax": amount - excl,
        "total_incl_tax": amount,
        "customer_name": "Imprimerie Martin",
        "pdf": PDF,
    }
    return NewDocument(**{**values, **fields})  # type: ignore[arg-type]


def issued(total: str = "120.00") -> Invoice:
    invoice = Invoice(invoice_id_for("FA-1"))
    for event in invoice.issue(document(total)):
        invoice.apply(event)
    return invoice


def run(invoice: Invoice, events: list) -> list:
    for event in events:
        invoice.apply(event)
    return events


def test_an_invoice_is_issued_once_and_a_credit_note_has_no_due_date() -> None:
    invoice = Invoice(invoice_id_for("FA-1"))
    [event] = run(invoice, invoice.issue(document()))
    assert isinstance(event, InvoiceIssued)
    assert (invoice.status, invoice.balance) == (InvoiceStatus.ISSUED, Decimal("120.00"))
    with pytest.raises(BillingRuleBroken):
        invoice.issue(document())
    credit = Invoice(invoice_id_for("AV-1"))
    [note] = credit.issue(
        document(
            kind=DocumentKind.CREDIT_NOTE,
            number="AV-1",
            due_date=None,
            credited_invoice_number="FA-1",
        )
    )
    assert isinstance(note, CreditNoteIssued)
    assert note.credited_invoice_number == "FA-1"
    with pytest.raises(InvalidDocument):
        Invoice(uuid.uuid4()).issue(document(kind=DocumentKind.CREDIT_NOTE, number="AV-2"))


def test_the_same_number_is_always_the_same_invoice() -> None:
    assert invoice_id_for("FA/2026/001") == invoice_id_for("FA/2026/001")
    assert invoice_id_for("FA/2026/001") != invoice_id_for("FA/2026/002")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"total_incl_tax": Decimal("121.00")}, "total_incl_tax"),
        ({"total_excl_tax": Decimal("99.00"), "total_tax": Decimal("21.00")}, "total_excl_tax"),
        ({"due_date": dt.date(2026, 11, 1)}, "due_date"),
        ({"due_date": None}, "due_date"),
    ],
)
def test_figures_that_do_not_add_up_are_refused(fields: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidDocument) as refused:
        Invoice(uuid.uuid4()).issue(document(**fields))
    assert refused.value.field == field


def test_a_payment_in_part_then_the_rest_then_the_same_payment_again() -> None:
    invoice = issued()
    [part] = run(invoice, invoice.record_payment(reference="V1", amount=Decimal("20"), paid_on=DUE))
    assert isinstance(part, InvoicePaid)
    assert (part.amount_paid, part.balance, part.fully_paid) == (
        Decimal("20.00"),
        Decimal("100.00"),
        False,
    )
    assert invoice.status is InvoiceStatus.PARTIALLY_PAID
    assert invoice.record_payment(reference="V1", amount=Decimal("20.00"), paid_on=DUE) == []
    with pytest.raises(BillingRuleBroken):
        invoice.record_payment(reference="V1", amount=Decimal("21"), paid_on=DUE)
    with pytest.raises(BillingRuleBroken):
        invoice.record_payment(reference="V2", amount=Decimal("100.01"), paid_on=DUE)
    [rest] = run(invoice, invoice.record_payment(reference="V2", amount=Decimal(100), paid_on=DUE))
    assert rest.fully_paid
    assert rest.status is InvoiceStatus.PAID
    assert invoice.status is InvoiceStatus.PAID


def test_overdue_the_day_after_the_due_date_once_and_never_when_paid() -> None:
    invoice = issued()
    assert invoice.mark_overdue(DUE) == []
    [late] = run(invoice, invoice.mark_overdue(DUE + dt.timedelta(days=1)))
    assert isinstance(late, InvoiceOverdue)
    assert invoice.status is InvoiceStatus.OVERDUE
    assert invoice.mark_overdue(DUE + dt.timedelta(days=2)) == []
    [part] = run(invoice, invoice.record_payment(reference="V", amount=Decimal(1), paid_on=DUE))
    assert part.status is InvoiceStatus.OVERDUE  # still late until paid in full
    paid = issued()
    run(paid, paid.record_payment(reference="V", amount=Decimal(120), paid_on=DUE))
    assert paid.mark_overdue(DUE + dt.timedelta(days=30)) == []


@given(
    st.lists(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2),
        max_size=12,
    )
)
def test_what_is_paid_never_exceeds_the_total_and_balance_plus_paid_is_the_total(
    amounts: list[Decimal],
) -> None:
    invoice = issued("999.99")
    for index, amount in enumerate(amounts):
        try:
            run(invoice, invoice.record_payment(reference=f"V{index}", amount=amount, paid_on=DUE))
        except BillingRuleBroken:
            assert amount > invoice.balance
    assert Decimal(0) <= invoice.amount_paid <= Decimal("999.99")
    assert invoice.amount_paid + invoice.balance == Decimal("999.99")
    assert (invoice.status is InvoiceStatus.PAID) == (invoice.balance == 0)


def test_a_delivered_order_is_requested_for_invoicing_once() -> None:
    order_id = uuid.uuid4()
    order = DeliveredOrder(
        organisation_id=ORGANISATION,
        order_id=order_id,
        order_number="CMD-118",
        lines=(RequestedLine(reference="TK5240", description="Toner", quantity=Decimal(2)),),
        delivered_on=DUE,
    )
    request = InvoiceRequest(InvoiceRequest.id_for(order_id))
    assert request.request_id == InvoiceRequest.id_for(order_id)
    [event] = run(request, request.request(order))
    assert isinstance(event, InvoiceRequested)
    assert event.order_number == "CMD-118"
    assert request.request(order) == []
