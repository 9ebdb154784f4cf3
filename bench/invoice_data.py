"""A million invoices in billing's read model, bulk-loaded with COPY, for the list benchmark.

The list reads only the read model (`invoices`), so that is what is filled; the event store
is not (replaying a million `InvoiceIssued` through the service would take hours here and
change nothing the list reads). Five years of invoices: 100,000 for the demo customer's
organisation (about 55 a day), 900,000 for 3,000 others, interleaved in issue order as the
ERP would have sent them; about one in twenty is a credit note. Statuses follow from age, as
payments come in: old invoices are paid (a few stay overdue), recent ones are partly paid or
overdue, those not yet due are mostly issued. The list's indexes are dropped during the load
and rebuilt from their own definitions, then the table is vacuumed and analysed.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg

from bench.ticket_data import secondary_indexes

TOTAL_INVOICES = 1_000_000
BIG_ORGANISATION_INVOICES = 100_000
OTHER_ORGANISATIONS = 3_000
YEARS = 5
CHUNK = 50_000
SEED = 20261122
COLUMNS = (
    "invoice_id", "organisation_id", "number", "kind", "issue_date", "due_date", "currency",
    "total_excl_tax", "total_tax", "total_incl_tax", "amount_paid", "balance", "status",
    "customer_name", "billing_address", "lines", "order_reference", "credited_invoice_number",
    "pdf_source", "pdf_size", "pdf_sha256", "issued_at", "updated_at",
)  # fmt: skip
LINES = [
    {
        "description": "Toner noir TK-5240K",
        "reference": "TK5240K",
        "quantity": "2",
        "unit_price_excl_tax": "89.90",
        "tax_rate": "20",
        "total_excl_tax": "179.80",
    }
]
ADDRESS = ["14 rue des Presses", "54000 Nancy", "France"]


@dataclass(frozen=True)
class LoadedInvoices:
    total: int
    big_organisation: int
    statuses: dict[str, int]
    seconds: float


def _status(rng: random.Random, due: dt.date, today: dt.date) -> str:
    late = (today - due).days
    draw = rng.random()
    if late > 60:
        return "paid" if draw < 0.97 else "overdue"
    if late > 0:
        return "paid" if draw < 0.70 else ("overdue" if draw < 0.90 else "partially_paid")
    return "issued" if draw < 0.85 else ("partially_paid" if draw < 0.90 else "paid")


def _row(
    rng: random.Random, organisation: uuid.UUID, number: int, issued: dt.date, today: dt.date
) -> tuple[tuple[Any, ...], str]:
    credit = rng.random() < 0.05
    excl = Decimal(rng.randrange(2_000, 500_000)) / 100
    tax = (excl * Decimal("0.2")).quantize(Decimal("0.01"))
    total = excl + tax
    due = None if credit else issued + dt.timedelta(days=30)
    status = "issued" if credit or due is None else _status(rng, due, today)
    paid = {
        "paid": total,
        "partially_paid": (total / 2).quantize(Decimal("0.01")),
    }.get(status, Decimal("0.00"))
    balance = Decimal("0.00") if credit else total - paid
    moment = dt.datetime.combine(issued, dt.time(9), dt.UTC)
    row = (
        uuid.UUID(int=rng.getrandbits(128), version=4),
        organisation,
        f"{'AV' if credit else 'FA'}-{number:08d}",
        "credit_note" if credit else "invoice",
        issued,
        due,
        "EUR",
        excl,
        tax,
        total,
        paid,
        balance,
        status,
        "Client",
        ADDRESS,
        LINES,
        None,
        None,
        "rendered",
        3_100,
        "0" * 64,
        moment,
        moment,
    )
    return row, status


async def load(connection: asyncpg.Connection, organisation_id: uuid.UUID) -> LoadedInvoices:
    """Fill billing's read model (the connection's search_path is billing's schema)."""
    started = dt.datetime.now(dt.UTC)
    rng = random.Random(SEED)
    today = dt.date.today()
    first = today - dt.timedelta(days=365 * YEARS)
    others = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(OTHER_ORGANISATIONS)]
    issue_days = sorted(
        first + dt.timedelta(days=rng.randrange(365 * YEARS)) for _ in range(TOTAL_INVOICES)
    )
    big = set(rng.sample(range(TOTAL_INVOICES), BIG_ORGANISATION_INVOICES))
    # COPY is binary: jsonb's binary form is a version byte, then the text.
    await connection.set_type_codec(
        "jsonb",
        encoder=lambda value: b"\x01" + json.dumps(value).encode(),
        decoder=lambda data: json.loads(data[1:]),
        schema="pg_catalog",
        format="binary",
    )
    indexes = await secondary_indexes(connection, "invoices")
    for name, _ in indexes:
        await connection.execute(f"DROP INDEX {name}")
    statuses: Counter[str] = Counter()
    for start in range(0, TOTAL_INVOICES, CHUNK):
        rows = []
        for index in range(start, min(start + CHUNK, TOTAL_INVOICES)):
            organisation = organisation_id if index in big else rng.choice(others)
            row, status = _row(rng, organisation, index + 1, issue_days[index], today)
            rows.append(row)
            if organisation == organisation_id:
                statuses[status] += 1
        await connection.copy_records_to_table("invoices", records=rows, columns=list(COLUMNS))
    for _, definition in indexes:
        await connection.execute(definition)
    await connection.execute("VACUUM ANALYZE invoices")
    return LoadedInvoices(
        total=await connection.fetchval("SELECT count(*) FROM invoices"),
        big_organisation=await connection.fetchval(
            "SELECT count(*) FROM invoices WHERE organisation_id = $1", organisation_id
        ),
        statuses=dict(statuses),
        seconds=(dt.datetime.now(dt.UTC) - started).total_seconds(),
    )
