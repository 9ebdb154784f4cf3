"""The invoice PDF Guichet renders when the ERP sends none: one clean A4 page (more only for
very long invoices) with the vendor's name and logo, the customer, the lines and the totals.
The page, the vendor header and the table are the kit's (shared/pdf.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from services.billing.domain_types import DocumentKind, InvoiceLine
from shared.pdf import GREY, INK, Page, Vendor, load_logo, printable, table, vendor_header

__all__ = ["InvoiceDocument", "Vendor", "load_logo", "render"]

LOCALES = {"fr": "fr_FR", "en": "en_GB"}
LABELS = {
    "fr": {
        DocumentKind.INVOICE: "FACTURE",
        DocumentKind.CREDIT_NOTE: "AVOIR",
        "number": "Numéro",
        "issue_date": "Date",
        "due_date": "Échéance",
        "order": "Commande",
        "credited": "Facture créditée",
        "bill_to": "Facturé à",
        "description": "Désignation",
        "quantity": "Qté",
        "unit_price": "Prix unit. HT",
        "tax_rate": "TVA",
        "total": "Total HT",
        "total_excl_tax": "Total HT",
        "total_tax": "TVA",
        "total_incl_tax": "Total TTC",
        "page": "Page {page}/{pages}",
    },
    "en": {
        DocumentKind.INVOICE: "INVOICE",
        DocumentKind.CREDIT_NOTE: "CREDIT NOTE",
        "number": "Number",
        "issue_date": "Date",
        "due_date": "Due date",
        "order": "Order",
        "credited": "Credited invoice",
        "bill_to": "Bill to",
        "description": "Description",
        "quantity": "Qty",
        "unit_price": "Unit price",
        "tax_rate": "VAT",
        "total": "Amount",
        "total_excl_tax": "Total excl. tax",
        "total_tax": "VAT",
        "total_incl_tax": "Total incl. tax",
        "page": "Page {page}/{pages}",
    },
}
# Column widths of the lines' table (mm), 180 in all: the A4 width less 15 mm margins.
COLUMNS = (86, 18, 28, 16, 32)


@dataclass(frozen=True)
class InvoiceDocument:
    """What the PDF shows: the invoice's data, as issued."""

    kind: DocumentKind
    number: str
    issue_date: dt.date
    due_date: dt.date | None
    currency: str
    customer_name: str
    billing_address: tuple[str, ...]
    lines: tuple[InvoiceLine, ...]
    total_excl_tax: Decimal
    total_tax: Decimal
    total_incl_tax: Decimal
    order_reference: str | None = None
    credited_invoice_number: str | None = None
    language: str = "fr"


def render(document: InvoiceDocument, vendor: Vendor) -> bytes:
    """The PDF's bytes. CPU-bound: callers run it in a thread."""
    language = document.language if document.language in LABELS else "fr"
    labels = LABELS[language]
    locale = LOCALES[language]
    pdf = Page(vendor, labels["page"])
    pdf.set_title(printable(f"{labels[document.kind]} {document.number}"))
    pdf.set_author(printable(vendor.name))
    pdf.set_creator("Guichet")
    pdf.add_page()
    _header(pdf, document, vendor, labels, locale)
    _customer(pdf, document, labels)
    _lines(pdf, document, labels, locale)
    _totals(pdf, document, labels, locale)
    return bytes(pdf.output())


def _money(amount: Decimal, currency: str, locale: str) -> str:
    return printable(format_currency(amount, currency, locale=locale))


def _header(
    pdf: Page, document: InvoiceDocument, vendor: Vendor, labels: dict[object, str], locale: str
) -> None:
    facts = [(labels["number"], document.number)]
    facts.append((labels["issue_date"], format_date(document.issue_date, "medium", locale)))
    if document.due_date is not None:
        facts.append((labels["due_date"], format_date(document.due_date, "medium", locale)))
    if document.order_reference:
        facts.append((labels["order"], document.order_reference))
    if document.credited_invoice_number:
        facts.append((labels["credited"], document.credited_invoice_number))
    vendor_header(pdf, labels[document.kind], facts)


def _customer(pdf: Page, document: InvoiceDocument, labels: dict[object, str]) -> None:
    pdf.set_x(110)
    pdf.set_font("helvetica", size=9)
    pdf.set_text_color(*GREY)
    pdf.cell(85, 5, printable(labels["bill_to"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.set_font("helvetica", "B", 11)
    pdf.set_x(110)
    pdf.multi_cell(85, 6, printable(document.customer_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=10)
    for line in document.billing_address:
        pdf.set_x(110)
        pdf.multi_cell(85, 5, printable(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)


def _lines(pdf: Page, document: InvoiceDocument, labels: dict[object, str], locale: str) -> None:
    headings = ("description", "quantity", "unit_price", "tax_rate", "total")
    rows = [
        (
            line.description if not line.reference else f"{line.reference} - {line.description}",
            format_decimal(line.quantity.normalize(), locale=locale),
            _money(line.unit_price_excl_tax, document.currency, locale),
            f"{format_decimal(line.tax_rate.normalize(), locale=locale)} %",
            _money(line.total_excl_tax, document.currency, locale),
        )
        for line in document.lines
    ]
    table(pdf, COLUMNS, [labels[heading] for heading in headings], rows)


def _totals(pdf: Page, document: InvoiceDocument, labels: dict[object, str], locale: str) -> None:
    pdf.ln(4)
    rows = (
        ("total_excl_tax", document.total_excl_tax, False),
        ("total_tax", document.total_tax, False),
        ("total_incl_tax", document.total_incl_tax, True),
    )
    for label, amount, strong in rows:
        pdf.set_x(110)
        pdf.set_font("helvetica", "B" if strong else "", 11 if strong else 10)
        pdf.cell(50, 7, printable(labels[label]), align="R")
        pdf.cell(35, 7, _money(amount, document.currency, locale), align="R")
        pdf.ln(7)
