"""What every PDF Guichet renders shares (invoices, delivery notes): an A4 page with the
vendor's name in the footer and its page count, the vendor header (logo, name, a title and
labelled facts on the right), and a table whose long first column wraps.

fpdf2 (pure Python; docs/decisions/0013-invoice-pdfs.md) with its built-in Helvetica:
nothing to install, nothing to embed, small files. Its encoding is Windows-1252, which holds
French and English text and the euro sign; any other character prints as "?" rather than
failing the document.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog
from fpdf import FPDF

log = structlog.get_logger(__name__)
ENCODING = "windows-1252"
GREY = (97, 110, 124)
INK = (31, 41, 51)
RULE = (228, 231, 235)
LEFT = 15
WIDTH = 180  # the A4 width less 15 mm margins


@dataclass(frozen=True)
class Vendor:
    name: str
    logo: bytes | None = None


def printable(text: str) -> str:
    """The text in the built-in font's encoding: narrow spaces as spaces, anything else it
    cannot print as "?"."""
    text = text.replace("\u202f", "\xa0")
    return text.encode(ENCODING, "replace").decode(ENCODING)


class Page(FPDF):
    """An A4 document with the vendor's name and "page n/N" (`page_label`) in the footer."""

    def __init__(self, vendor: Vendor, page_label: str = "Page {page}/{pages}") -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.vendor = vendor
        self.page_label = page_label
        self.core_fonts_encoding = ENCODING
        self.set_margins(LEFT, 15, 15)
        self.set_auto_page_break(auto=True, margin=20)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("helvetica", size=8)
        self.set_text_color(*GREY)
        self.cell(90, 5, printable(self.vendor.name))
        self.cell(90, 5, self.page_label.format(page=self.page_no(), pages="{nb}"), align="R")


def load_logo(path: Path | None) -> bytes | None:
    """The logo's bytes, read once at start-up; None (and a warning) when it cannot be used."""
    if path is None:
        return None
    try:
        content = path.read_bytes()
        trial = Page(Vendor("check", content))
        trial.add_page()
        trial.image(io.BytesIO(content), h=16)
    except Exception:  # an unusable logo must not stop the documents
        log.warning("the vendor logo cannot be drawn in PDFs; rendering without it")
        return None
    return content


def vendor_header(pdf: Page, title: str, facts: Sequence[tuple[str, str]]) -> None:
    """The logo and the vendor's name on the left; the title and its facts on the right."""
    top = pdf.get_y()
    if pdf.vendor.logo is not None:
        pdf.image(io.BytesIO(pdf.vendor.logo), x=LEFT, y=top, h=16, keep_aspect_ratio=True)
        pdf.set_y(top + 18)
    pdf.set_font("helvetica", "B", 14)
    pdf.set_text_color(*INK)
    pdf.cell(95, 7, printable(pdf.vendor.name))
    pdf.set_xy(110, top)
    pdf.set_font("helvetica", "B", 18)
    pdf.cell(85, 9, printable(title), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=10)
    for label, value in facts:
        pdf.set_x(110)
        pdf.set_text_color(*GREY)
        pdf.cell(35, 6, printable(label), align="R")
        pdf.set_text_color(*INK)
        pdf.cell(50, 6, printable(value), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + 30) + 6)


def table(
    pdf: Page,
    columns: Sequence[int],
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
) -> None:
    """A table: the first column left-aligned and wrapped, the others right-aligned; a row
    never splits across pages (the headings repeat on the next)."""
    _table_header(pdf, columns, headings)
    pdf.set_font("helvetica", size=9)
    for row in rows:
        text = printable(row[0])
        # Most first cells fit on one line; only the others are broken (which costs more).
        wrapped = (
            [text]
            if pdf.get_string_width(text) <= columns[0] - 2
            else pdf.multi_cell(columns[0], 5, text, dry_run=True, output="LINES")
        )
        height = 5 * len(wrapped) + 3
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            _table_header(pdf, columns, headings)
            pdf.set_font("helvetica", size=9)
        top = pdf.get_y()
        for index, part in enumerate(wrapped):
            pdf.set_xy(LEFT, top + 5 * index)
            pdf.cell(columns[0], 5, part)
        pdf.set_xy(LEFT + columns[0], top)
        for width, value in zip(columns[1:], row[1:], strict=True):
            pdf.cell(width, 5, printable(value), align="R")
        pdf.set_y(top + height - 1.5)
        pdf.set_draw_color(*RULE)
        pdf.line(LEFT, pdf.get_y(), LEFT + WIDTH, pdf.get_y())
        pdf.set_y(top + height)


def _table_header(pdf: Page, columns: Sequence[int], headings: Sequence[str]) -> None:
    pdf.set_font("helvetica", "B", 9)
    pdf.set_fill_color(244, 245, 247)
    pdf.set_text_color(*INK)
    for index, (width, heading) in enumerate(zip(columns, headings, strict=True)):
        pdf.cell(width, 8, printable(heading), fill=True, align="L" if index == 0 else "R")
    pdf.ln(8)
