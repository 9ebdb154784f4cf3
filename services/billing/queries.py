"""What customers and staff read: the list (newest first, filtered, keyset-paginated), the
outstanding total, one invoice with its lines and payments, and where its PDF is."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.billing.domain_types import DocumentKind, InvoiceLine, InvoiceStatus, PdfSource
from shared.files.sniffing import safe_filename
from shared.http.paging import Paging, decode_cursor, encode_cursor

Connection = asyncpg.Pool | asyncpg.Connection


class InvoiceFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: list[InvoiceStatus] | None = None
    kind: list[DocumentKind] | None = None
    issued_from: dt.date | None = Field(default=None, description="Issued on or after")
    issued_to: dt.date | None = Field(default=None, description="Issued on or before")
    number: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None
    ) = Field(default=None, description="Numbers starting with these characters")

    @model_validator(mode="after")
    def _period_in_order(self) -> InvoiceFilters:
        if self.issued_from and self.issued_to and self.issued_from > self.issued_to:
            raise ValueError("issued_from must be on or before issued_to")
        return self


class StaffInvoiceFilters(InvoiceFilters):
    organisation_id: uuid.UUID | None = None


class CustomerListQuery(InvoiceFilters, Paging):
    pass


class StaffListQuery(StaffInvoiceFilters, Paging):
    pass


class InvoiceSummary(BaseModel):
    invoice_id: uuid.UUID
    organisation_id: uuid.UUID
    number: str
    kind: DocumentKind
    issue_date: dt.date
    due_date: dt.date | None
    currency: str
    total_excl_tax: Decimal
    total_tax: Decimal
    total_incl_tax: Decimal
    amount_paid: Decimal
    balance: Decimal
    status: InvoiceStatus
    pdf_url: str = Field(description="Relative to the API: GET it with the same token")


class Outstanding(BaseModel):
    currency: str
    amount: Decimal
    invoices: int
    overdue_amount: Decimal


class InvoiceList(BaseModel):
    invoices: list[InvoiceSummary]
    next_cursor: str | None
    outstanding: list[Outstanding] | None = Field(
        description="What the organisation still owes, per currency (whatever the filters);"
        " null on the staff list of every organisation"
    )


class Payment(BaseModel):
    payment_reference: str
    amount: Decimal
    paid_on: dt.date


class InvoiceView(InvoiceSummary):
    customer_name: str
    billing_address: list[str]
    lines: list[InvoiceLine]
    order_reference: str | None
    credited_invoice_number: str | None
    pdf_source: PdfSource
    pdf_size: int
    payments: list[Payment]


def encode_invoice_cursor(issue_date: dt.date, invoice_id: uuid.UUID) -> str:
    return encode_cursor(issue_date, invoice_id)


def decode_invoice_cursor(cursor: str) -> tuple[dt.date, uuid.UUID]:
    issue_date, invoice_id = decode_cursor(cursor, (dt.date, uuid.UUID))
    return issue_date, invoice_id


SUMMARY = (
    "invoice_id, organisation_id, number, kind, issue_date, due_date, currency, total_excl_tax,"
    " total_tax, total_incl_tax, amount_paid, balance, status"
)


def _summary(row: asyncpg.Record) -> dict[str, Any]:
    return {**dict(row), "pdf_url": f"/invoices/{row['invoice_id']}/pdf"}


def _where(
    organisation_id: uuid.UUID | None, filters: InvoiceFilters
) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    arguments: list[Any] = []

    def add(clause: str, value: Any) -> None:
        arguments.append(value)
        clauses.append(clause.format(f"${len(arguments)}"))

    if organisation_id is not None:
        add("organisation_id = {}", organisation_id)
    if isinstance(filters, StaffInvoiceFilters) and filters.organisation_id is not None:
        add("organisation_id = {}", filters.organisation_id)
    if filters.status and len(set(filters.status)) == 1:
        # Equality, so that the (organisation, status, issue date) index gives the page in
        # order: with `= ANY`, PostgreSQL walks the newest invoices of every organisation.
        add("status = {}", filters.status[0].value)
    elif filters.status:
        add("status = ANY({}::text[])", [status.value for status in filters.status])
    if filters.kind:
        add("kind = ANY({}::text[])", [kind.value for kind in filters.kind])
    if filters.issued_from:
        add("issue_date >= {}", filters.issued_from)
    if filters.issued_to:
        add("issue_date <= {}", filters.issued_to)
    if filters.number:
        escaped = filters.number.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        add("number LIKE {}", f"{escaped}%")
    return clauses, arguments


async def list_invoices(
    pool: asyncpg.Pool,
    *,
    organisation_id: uuid.UUID | None,
    filters: InvoiceFilters,
    cursor: str | None,
    limit: int,
) -> InvoiceList:
    """A page of the filtered list, newest first. `organisation_id` None: every organisation
    (staff), unless the filters name one."""
    clauses, arguments = _where(organisation_id, filters)
    if cursor is not None:
        after_date, after_id = decode_invoice_cursor(cursor)
        arguments += [after_date, after_id]
        clauses.append(f"(issue_date, invoice_id) < (${len(arguments) - 1}, ${len(arguments)})")
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    async with pool.acquire() as connection, connection.transaction():
        # Planned for the values at hand: one organisation may hold 100,000 invoices and
        # another ten (see the tickets list, docs/performance.md).
        await connection.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        rows = await connection.fetch(
            f"SELECT {SUMMARY} FROM invoices{where}"
            f" ORDER BY issue_date DESC, invoice_id DESC LIMIT {limit + 1}",
            *arguments,
        )
        scope = organisation_id
        if scope is None and isinstance(filters, StaffInvoiceFilters):
            scope = filters.organisation_id
        owed = await outstanding(connection, scope) if scope is not None else None
    invoices = [InvoiceSummary.model_validate(_summary(row)) for row in rows[:limit]]
    next_cursor = (
        encode_invoice_cursor(invoices[-1].issue_date, invoices[-1].invoice_id)
        if len(rows) > limit
        else None
    )
    return InvoiceList(invoices=invoices, next_cursor=next_cursor, outstanding=owed)


async def outstanding(connection: Connection, organisation_id: uuid.UUID) -> list[Outstanding]:
    rows = await connection.fetch(
        # Credit notes stay `issued` with nothing owed: they are not counted as owed.
        "SELECT currency, sum(balance) AS amount, count(*) FILTER (WHERE balance > 0) AS invoices,"
        " coalesce(sum(balance) FILTER (WHERE status = 'overdue'), 0.00) AS overdue_amount"
        " FROM invoices WHERE organisation_id = $1 AND status = ANY($2::text[])"
        " GROUP BY currency ORDER BY currency",
        organisation_id,
        ["issued", "partially_paid", "overdue"],
    )
    return [Outstanding.model_validate(dict(row)) for row in rows if row["amount"] > 0]


async def invoice(
    connection: Connection, invoice_id: uuid.UUID, organisation_id: uuid.UUID | None
) -> InvoiceView | None:
    """The invoice if the reader may see it: in `organisation_id`, or anywhere when None."""
    row = await connection.fetchrow(
        f"SELECT {SUMMARY}, customer_name, billing_address, lines, order_reference,"
        " credited_invoice_number, pdf_source, pdf_size FROM invoices"
        " WHERE invoice_id = $1 AND ($2::uuid IS NULL OR organisation_id = $2)",
        invoice_id,
        organisation_id,
    )
    if row is None:
        return None
    payments = await connection.fetch(
        "SELECT payment_reference, amount, paid_on FROM invoice_payments WHERE invoice_id = $1"
        " ORDER BY paid_on, recorded_at",
        invoice_id,
    )
    return InvoiceView.model_validate(
        {**_summary(row), "payments": [dict(payment) for payment in payments]}
    )


class PdfFile(BaseModel):
    invoice_id: uuid.UUID
    number: str
    storage_key: str
    size: int

    @property
    def filename(self) -> str:
        """Named by its number; ERPs' numbers often hold slashes (FA/2026/001), which a file
        name cannot."""
        return safe_filename(self.number.replace("/", "_").replace("\\", "_") + ".pdf")


async def pdf_files(
    connection: Connection, invoice_ids: list[uuid.UUID], organisation_id: uuid.UUID | None
) -> list[PdfFile]:
    """The PDFs of these invoices the reader may see, in the list's order (newest first)."""
    rows = await connection.fetch(
        "SELECT i.invoice_id, i.number, f.storage_key, i.pdf_size AS size FROM invoices i"
        " JOIN invoice_files f USING (invoice_id)"
        " WHERE i.invoice_id = ANY($1::uuid[]) AND ($2::uuid IS NULL OR i.organisation_id = $2)"
        " ORDER BY i.issue_date DESC, i.invoice_id DESC",
        invoice_ids,
        organisation_id,
    )
    return [PdfFile.model_validate(dict(row)) for row in rows]
