"""The invoice PDF Guichet renders when the ERP sends none: one clean A4 page (more only for
very long invoices) with the vendor's name and logo, the customer, the lines and the totals.

fpdf2 (pure Python; docs/decisions/0010-invoice-pdf-library.md) with its built-in Helvetica:
nothing to install, nothing to embed, small files. Its encoding is Windows-1252, which holds
French and English text and the euro sign; any other character prints as "?" rather than
failing the invoice.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import structlog
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from fpdf import FPDF

from services.billing.domain_types import DocumentKind, InvoiceLine

log = structlog.get_logger(__name__)
ENCODING = "windows-1252"
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
GREY = (97, 110, 124)
INK = (31, 41, 51)
RULE = (228, 231, 235)
# Column widths of the lines' table (mm), 180 in all: the A4 width less 15 mm margins.
COLUMNS = (86, 18, 28, 16, 32)


@dataclass(frozen=True)
class Vendor:
    name: str
    logo: bytes | None = None


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


def load_logo(path: Path | None) -> bytes | None:
    """The logo's bytes, read once at start-up; None (and a warning) when it cannot be used."""
    if path is None:
        return None
    try:
        content = path.read_bytes()
        trial = _Page(Vendor("check", content), LABELS["en"])
        trial.add_page()
        trial.image(io.BytesIO(content), h=16)
    except Exception:  # an unusable logo must not stop invoicing
        log.warning("the vendor logo cannot be drawn in invoice PDFs; rendering without it")
        return None
    return content


def printable(text: str) -> str:
    """The text in the built-in font's encoding: narrow spaces as spaces, anything else it
    cannot print as "?"."""
    text = text.replace("\u202f", "\xa0")
    return text.encode(ENCODING, "replace").decode(ENCODING)


class _Page(FPDF):
    def __init__(self, vendor: Vendor, labels: dict[object, str]) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.vendor = vendor
        self.labels = labels
        self.core_fonts_encoding = ENCODING
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=20)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("helvetica", size=8)
        self.set_text_color(*GREY)
        self.cell(90, 5, printable(self.vendor.name))
        page = self.labels["page"].format(page=self.page_no(), pages="{nb}")
        self.cell(90, 5, page, align="R")


def render(document: InvoiceDocument, vendor: Vendor) -> bytes:
    """The PDF's bytes. CPU-bound: callers run it in a thread."""
    language = document.language if document.language in LABELS else "fr"
    labels = LABELS[language]
    locale = LOCALES[language]
    pdf = _Page(vendor, labels)
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
    pdf: _Page, document: InvoiceDocument, vendor: Vendor, labels: dict[object, str], locale: str
) -> None:
    top = pdf.get_y()
    if vendor.logo is not None:
        pdf.image(io.BytesIO(vendor.logo), x=15, y=top, h=16, keep_aspect_ratio=True)
        pdf.set_y(top + 18)
    pdf.set_font("helvetica", "B", 14)
    pdf.set_text_color(*INK)
    pdf.cell(95, 7, printable(vendor.name))
    pdf.set_xy(110, top)
    pdf.set_font("helvetica", "B", 18)
    pdf.cell(85, 9, labels[document.kind], align="R", new_x="LMARGIN", new_y="NEXT")
    facts = [(labels["number"], document.number)]
    facts.append((labels["issue_date"], format_date(document.issue_date, "medium", locale)))
    if document.due_date is not None:
        facts.append((labels["due_date"], format_date(document.due_date, "medium", locale)))
    if document.order_reference:
        facts.append((labels["order"], document.order_reference))
    if document.credited_invoice_number:
        facts.append((labels["credited"], document.credited_invoice_number))
    pdf.set_font("helvetica", size=10)
    for label, value in facts:
        pdf.set_x(110)
        pdf.set_text_color(*GREY)
        pdf.cell(35, 6, printable(label), align="R")
        pdf.set_text_color(*INK)
        pdf.cell(50, 6, printable(value), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + 30) + 6)


def _customer(pdf: _Page, document: InvoiceDocument, labels: dict[object, str]) -> None:
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


def _lines(pdf: _Page, document: InvoiceDocument, labels: dict[object, str], locale: str) -> None:
    _table_header(pdf, labels)
    pdf.set_font("helvetica", size=9)
    for line in document.lines:
        text = line.description if not line.reference else f"{line.reference} - {line.description}"
        text = printable(text)
        cells = (
            format_decimal(line.quantity.normalize(), locale=locale),
            _money(line.unit_price_excl_tax, document.currency, locale),
            f"{format_decimal(line.tax_rate.normalize(), locale=locale)} %",
            _money(line.total_excl_tax, document.currency, locale),
        )
        # Most descriptions fit on one line; only the others are broken (which costs more).
        wrapped = (
            [text]
            if pdf.get_string_width(text) <= COLUMNS[0] - 2
            else pdf.multi_cell(COLUMNS[0], 5, text, dry_run=True, output="LINES")
        )
        height = 5 * len(wrapped) + 3
        if pdf.get_y() + height > pdf.page_break_trigger:  # the line goes whole to a new page
            pdf.add_page()
            _table_header(pdf, labels)
            pdf.set_font("helvetica", size=9)
        top = pdf.get_y()
        for index, part in enumerate(wrapped):
            pdf.set_xy(15, top + 5 * index)
            pdf.cell(COLUMNS[0], 5, part)
        pdf.set_xy(15 + COLUMNS[0], top)
        for width, value in zip(COLUMNS[1:], cells, strict=True):
            pdf.cell(width, 5, printable(value), align="R")
        pdf.set_y(top + height - 1.5)
        pdf.set_draw_color(*RULE)
        pdf.line(15, pdf.get_y(), 195, pdf.get_y())
        pdf.set_y(top + height)


def _table_header(pdf: _Page, labels: dict[object, str]) -> None:
    headings = ("description", "quantity", "unit_price", "tax_rate", "total")
    pdf.set_font("helvetica", "B", 9)
    pdf.set_fill_color(244, 245, 247)
    pdf.set_text_color(*INK)
    for width, heading in zip(COLUMNS, headings, strict=True):
        align = "L" if heading == "description" else "R"
        pdf.cell(width, 8, printable(labels[heading]), fill=True, align=align)
    pdf.ln(8)


def _totals(pdf: _Page, document: InvoiceDocument, labels: dict[object, str], locale: str) -> None:
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
