"""Value types of the billing domain, shared by its events, aggregate and API."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class InvoiceStatus(StrEnum):
    ISSUED = "issued"
    """Nothing paid yet, not due yet."""
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    OVERDUE = "overdue"
    """Past its due date with something still owed (whether or not part was paid)."""


class PdfSource(StrEnum):
    ERP = "erp"
    """The ERP's own PDF, uploaded with the invoice."""
    RENDERED = "rendered"
    """Rendered by Guichet from the invoice's data."""


# Amounts in the currency's unit, two decimals: what ERPs print. Sent and published as strings
# ("1234.50"), never floats, so no cent is ever lost on the way.
Amount = Annotated[Decimal, Field(max_digits=14, decimal_places=2)]
Quantity = Annotated[Decimal, Field(max_digits=14, decimal_places=3)]
UnitPrice = Annotated[Decimal, Field(max_digits=16, decimal_places=4)]
Rate = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
DocumentNumber = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[^\x00-\x1f]+$"
    ),
]
LineText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class InvoiceLine(BaseModel):
    """One line as the ERP printed it: its total is the ERP's (discounts, rounding)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: LineText
    reference: ShortText | None = Field(default=None, description="Product or service code")
    quantity: Quantity
    unit_price_excl_tax: UnitPrice
    tax_rate: Rate = Field(description="Percent, e.g. 20.00")
    total_excl_tax: Amount


class PdfRef(BaseModel):
    """The invoice's PDF, served by billing at /invoices/{invoice_id}/pdf."""

    model_config = ConfigDict(frozen=True)

    source: PdfSource
    size: int
    sha256: str


def money(value: Decimal) -> Decimal:
    """Amounts kept at two decimals, exactly."""
    return value.quantize(Decimal("0.01"))
