"""Rendering an invoice's PDF: how long Guichet takes per invoice when the ERP sends none.

In process, one rendering after the other on one core (the service renders in a worker
thread, one request's invoice at a time), for invoices of 1, 10 and 40 lines, with the
vendor's logo. Each PDF is read back (its text extracted) once, to be sure what was timed is
a whole invoice. Goal: well under the 100 ms an ERP's import may wait per document.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import time
import zlib
from dataclasses import dataclass
from decimal import Decimal

import pypdf

from bench.stats import Summary
from services.billing.domain_types import DocumentKind, InvoiceLine
from services.billing.pdf import InvoiceDocument, Vendor, render

GOAL_P99_MS = 100.0
SIZES = (1, 10, 40)


def logo_png(width: int = 480, height: int = 160) -> bytes:
    """A plain PNG of a logo's usual size, made here (no file to ship)."""
    row = b"\x00" + bytes([29, 78, 216]) * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def invoice(lines: int) -> InvoiceDocument:
    items = tuple(
        InvoiceLine(
            description=f"Toner noir TK-{5200 + n}K pour copieur TASKalfa, lot de 2",
            reference=f"TK{5200 + n}K",
            quantity=Decimal(2),
            unit_price_excl_tax=Decimal("89.90"),
            tax_rate=Decimal(20),
            total_excl_tax=Decimal("179.80"),
        )
        for n in range(lines)
    )
    excl = Decimal("179.80") * lines
    return InvoiceDocument(
        kind=DocumentKind.INVOICE,
        number=f"FA-2026-{lines:05d}",
        issue_date=dt.date(2026, 11, 2),
        due_date=dt.date(2026, 12, 2),
        currency="EUR",
        customer_name="Imprimerie Martin",
        billing_address=("14 rue des Presses", "54000 Nancy", "France"),
        lines=items,
        total_excl_tax=excl,
        total_tax=excl * Decimal("0.2"),
        total_incl_tax=excl * Decimal("1.2"),
        order_reference="CMD-2107",
    )


@dataclass(frozen=True)
class RenderResult:
    lines: int
    pages: int
    size_bytes: int
    timing: Summary


def measure(lines: int, count: int, vendor: Vendor) -> RenderResult:
    document = invoice(lines)
    content = render(document, vendor)
    reader = pypdf.PdfReader(io.BytesIO(content))
    assert document.number in reader.pages[0].extract_text()
    for _ in range(5):  # warm-up: imports, font metrics, caches
        render(document, vendor)
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        render(document, vendor)
        samples.append(time.perf_counter() - started)
    return RenderResult(lines, len(reader.pages), len(content), Summary.of_seconds(samples))


async def run(_database_url: str, _kafka_bootstrap: str, *, quick: bool) -> list[RenderResult]:
    vendor = Vendor("Bureautique de l'Est", logo_png())
    count = 50 if quick else 300
    results = [measure(lines, count, vendor) for lines in SIZES]
    print("one rendering at a time, in process, with a 480x160 PNG logo")
    print()
    print("| lines | pages | PDF size | p50 ms | p99 ms | max ms | goal p99 <= 100 ms |")
    print("|--:|--:|--:|--:|--:|--:|:-:|")
    for result in results:
        timing = result.timing
        verdict = "met" if timing.p99_ms <= GOAL_P99_MS else "NOT met"
        print(
            f"| {result.lines} | {result.pages} | {result.size_bytes / 1024:.1f} KiB"
            f" | {timing.p50_ms:.1f} | {timing.p99_ms:.1f} | {timing.max_ms:.1f} | {verdict} |"
        )
    print(f"({count} renderings each)")
    return results
