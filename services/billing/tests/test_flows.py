"""Invoices as the ERP sends them and as customers read them, on the real service: rendered
and uploaded PDFs read back, the same number twice, payments, the overdue check, the list's
filters and outstanding total, the ZIP of a selection."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from decimal import Decimal

import aiohttp

from services.billing import handlers
from services.billing.app import SERVICE
from services.billing.domain import DeliveredOrder
from services.billing.events import RequestedLine, registry
from services.billing.tests.conftest import BillingUnderTest, invoice_body, pdf_text, zip_entries
from shared.db import create_pool
from shared.eventstore import EventContext, EventStore
from shared.wakeup import outbox_channel

ERP_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


async def test_an_invoice_from_the_erp_is_listed_with_a_pdf_rendered_from_its_data(
    billing: BillingUnderTest,
) -> None:
    organisation, code = await billing.organisation("Imprimerie Martin")
    issued = await billing.issue(code, number="FA-2026-00042")
    assert issued["status"] == "issued"
    assert issued["total_incl_tax"] == "395.76"
    assert issued["balance"] == "395.76"
    assert issued["customer_name"] == "Imprimerie Martin"
    assert issued["pdf_source"] == "rendered"

    customer = billing.customer(organisation)
    page = await customer.ok("GET", "/invoices")
    assert [i["number"] for i in page["invoices"]] == ["FA-2026-00042"]
    assert page["outstanding"] == [
        {"currency": "EUR", "amount": "395.76", "invoices": 1, "overdue_amount": "0.00"}
    ]
    pdf = await customer.call("GET", page["invoices"][0]["pdf_url"])
    assert pdf.status == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert 'filename="FA-2026-00042.pdf"' in pdf.headers["Content-Disposition"]
    text = pdf_text(pdf.raw)
    for expected in (
        "Bureautique de l'Est",
        "FACTURE",
        "FA-2026-00042",
        "Imprimerie Martin",
        "14 rue des Presses",
        "54000 Nancy",
        "France",
        "Toner noir TK-5240",
        "179,80 €",
        "Total TTC",
        "395,76 €",
        "2 déc. 2026",
        "CMD-2026-118",
    ):
        assert expected in text, expected


async def test_the_same_number_again_is_the_same_invoice_and_other_content_is_refused(
    billing: BillingUnderTest,
) -> None:
    _organisation, code = await billing.organisation()
    body = invoice_body(code)
    erp = billing.erp()
    first, again = await asyncio.gather(
        erp.call("POST", "/erp/invoices", json=body), erp.call("POST", "/erp/invoices", json=body)
    )
    assert sorted([first.status, again.status]) == [200, 201]
    assert first.body["invoice_id"] == again.body["invoice_id"]
    later = await erp.ok("POST", "/erp/invoices", 200, json=body)
    assert later["invoice_id"] == first.body["invoice_id"]
    changed = await erp.call("POST", "/erp/invoices", json={**body, "due_date": "2026-12-31"})
    assert changed.status == 409
    assert changed.body["type"] == "https://guichet.dev/problems/invoice-number-reused"
    [row] = await billing.sql("SELECT count(*) AS n FROM events WHERE type LIKE '%Issued'")
    assert row["n"] == 1
    # One PDF kept: a racing request's rendering was deleted.
    assert len(billing.stored_files()) == 1


async def test_the_erp_s_own_pdf_is_served_as_sent_and_anything_else_is_refused(
    billing: BillingUnderTest,
) -> None:
    organisation, code = await billing.organisation()
    erp = billing.erp()

    def form(pdf: bytes, body: dict[str, object]) -> aiohttp.FormData:
        data = aiohttp.FormData()
        data.add_field("document", json.dumps(body), content_type="application/json")
        data.add_field("pdf", pdf, filename="facture.pdf", content_type="application/pdf")
        return data

    body = invoice_body(code)
    issued = await erp.ok("POST", "/erp/invoices", 201, data=form(ERP_PDF, body))
    assert issued["pdf_source"] == "erp"
    again = await erp.ok("POST", "/erp/invoices", 200, data=form(ERP_PDF, body))
    assert again["invoice_id"] == issued["invoice_id"]
    other_pdf = await erp.call("POST", "/erp/invoices", data=form(ERP_PDF + b"\n", body))
    assert other_pdf.status == 409
    pdf = await billing.customer(organisation).ok("GET", f"/invoices/{issued['invoice_id']}/pdf")
    assert pdf is None  # not JSON: read the bytes
    download = await billing.customer(organisation).call(
        "GET", f"/invoices/{issued['invoice_id']}/pdf"
    )
    assert download.raw == ERP_PDF

    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 64
    not_pdf = await erp.call("POST", "/erp/invoices", data=form(png, invoice_body(code)))
    assert not_pdf.status == 415
    large = ERP_PDF + b"%" * (11 * 1024 * 1024)
    too_large = await erp.call("POST", "/erp/invoices", data=form(large, invoice_body(code)))
    assert too_large.status == 413
    no_pdf = aiohttp.FormData()
    no_pdf.add_field("document", json.dumps(invoice_body(code)), content_type="application/json")
    missing = await erp.call("POST", "/erp/invoices", data=no_pdf)
    assert missing.status == 422
    assert missing.body["errors"][0]["field"] == "pdf"
    assert len(billing.stored_files()) == 1  # nothing refused was kept


async def test_figures_that_do_not_add_up_and_unknown_customers_are_refused_field_by_field(
    billing: BillingUnderTest,
) -> None:
    _organisation, code = await billing.organisation()
    erp = billing.erp()
    cases = {
        "total_excl_tax": invoice_body(code, total_excl_tax="300.00", total_incl_tax="365.96"),
        "total_incl_tax": invoice_body(code, total_incl_tax="400.00"),
        "due_date": invoice_body(code, due_date="2026-10-01"),
        "customer_code": invoice_body("NOBODY"),
        "lines": invoice_body(code, lines=[]),
        "total_tax": invoice_body(code, total_tax="65.961"),
    }
    for field, body in cases.items():
        answer = await erp.call("POST", "/erp/invoices", json=body)
        assert answer.status == 422, (field, answer.body)
        assert answer.body["errors"][0]["field"] == field, answer.body
    assert await billing.sql("SELECT * FROM invoices") == []
    assert billing.stored_files() == []


async def test_only_an_internal_system_with_the_scope_sends_invoices(
    billing: BillingUnderTest,
) -> None:
    organisation, code = await billing.organisation()
    body = invoice_body(code)
    for caller in (
        billing.erp(scope="fleet:write"),
        billing.customer(organisation),
        billing.staff("vendor_admin"),
    ):
        answer = await caller.call("POST", "/erp/invoices", json=body)
        assert answer.status == 403, answer.body
    # ...and no internal system reads invoices
    assert (await billing.erp().call("GET", "/invoices")).status == 403


async def test_payments_of_one_invoice_sent_at_once_are_all_recorded(
    billing: BillingUnderTest,
) -> None:
    """An ERP sending its day's payments in parallel: each is recorded, none refused because
    another changed the invoice meanwhile."""
    _, code = await billing.organisation()
    number = (await billing.issue(code))["number"]
    answers = await asyncio.gather(
        *(billing.pay(number, "10.00", reference=f"VIR-{n}") for n in range(4))
    )
    assert sorted(answer["amount_paid"] for answer in answers)[-1] == "40.00"
    [row] = await billing.sql("SELECT amount_paid FROM invoices WHERE number = $1", number)
    assert row["amount_paid"] == Decimal("40.00")


async def test_payments_in_part_then_in_full_and_the_same_payment_twice(
    billing: BillingUnderTest,
) -> None:
    organisation, code = await billing.organisation()
    issued = await billing.issue(code)
    number = issued["number"]
    part = await billing.pay(number, "100.00", reference="VIR-1")
    assert (part["status"], part["amount_paid"], part["balance"]) == (
        "partially_paid",
        "100.00",
        "295.76",
    )
    erp = billing.erp()
    replay = {
        "invoice_number": number,
        "payment_reference": "VIR-1",
        "amount": "100.00",
        "paid_on": "2026-11-20",
    }
    assert (await erp.ok("POST", "/erp/payments", 200, json=replay))["balance"] == "295.76"
    other_amount = await erp.call("POST", "/erp/payments", json={**replay, "amount": "90.00"})
    assert other_amount.status == 409
    too_much = await erp.call(
        "POST", "/erp/payments", json={**replay, "payment_reference": "VIR-2", "amount": "300"}
    )
    assert too_much.status == 409
    unknown = await erp.call("POST", "/erp/payments", json={**replay, "invoice_number": "NOPE"})
    assert unknown.status == 404
    paid = await billing.pay(number, "295.76", reference="VIR-3")
    assert (paid["status"], paid["balance"]) == ("paid", "0.00")
    assert [p["payment_reference"] for p in paid["payments"]] == ["VIR-1", "VIR-3"]
    page = await billing.customer(organisation).ok("GET", "/invoices")
    assert page["outstanding"] == []
    events = await billing.sql(
        "SELECT data->>'amount' AS amount, (data->>'fully_paid')::bool AS fully_paid"
        " FROM events WHERE type = 'guichet.billing.InvoicePaid' ORDER BY position"
    )
    assert [(e["amount"], e["fully_paid"]) for e in events] == [("100.00", False), ("295.76", True)]


async def test_the_daily_check_marks_invoices_overdue_once_and_orders_are_requested_once(
    billing: BillingUnderTest,
) -> None:
    organisation, code = await billing.organisation()
    late = await billing.issue(code, due_date="2026-11-10")
    partly = await billing.issue(code, due_date="2026-11-10")
    await billing.pay(partly["number"], "95.76")
    paid = await billing.issue(code, due_date="2026-11-10")
    await billing.pay(paid["number"], "395.76")
    not_due = await billing.issue(code, due_date="2026-11-11")
    pool = await create_pool(billing.database_url, SERVICE, min_size=1, max_size=2)
    store = EventStore(registry, outbox_channel(SERVICE))
    try:
        assert await handlers.mark_overdue(pool, store, dt.date(2026, 11, 10)) == 0
        assert await handlers.mark_overdue(pool, store, dt.date(2026, 11, 11)) == 2
        assert await handlers.mark_overdue(pool, store, dt.date(2026, 11, 11)) == 0
        # An order delivered in full asks the ERP for its invoice, once.
        order = DeliveredOrder(
            organisation_id=organisation,
            order_id=uuid.uuid4(),
            order_number="CMD-2026-118",
            lines=(RequestedLine(description="Toner noir", quantity=Decimal(2)),),
            delivered_on=dt.date(2026, 11, 9),
        )
        context = EventContext.new(actor_id="orders")
        async with pool.acquire() as connection, connection.transaction():
            assert await handlers.request_invoice(connection, store, order, context)
        async with pool.acquire() as connection, connection.transaction():
            assert not await handlers.request_invoice(connection, store, order, context)
    finally:
        await pool.close()
    [requested] = await billing.sql(
        "SELECT organisation_id, data->>'order_number' AS number FROM events"
        " WHERE type = 'guichet.billing.InvoiceRequested'"
    )
    assert (requested["organisation_id"], requested["number"]) == (organisation, "CMD-2026-118")
    customer = billing.customer(organisation)
    overdue = await customer.ok("GET", "/invoices?status=overdue")
    assert {i["number"] for i in overdue["invoices"]} == {late["number"], partly["number"]}
    [owed] = overdue["outstanding"]
    assert (owed["amount"], owed["overdue_amount"], owed["invoices"]) == (
        "1091.52",
        "695.76",
        3,
    )
    # A payment of an overdue invoice keeps it overdue until it is paid in full.
    after = await billing.pay(partly["number"], "100.00")
    assert after["status"] == "overdue"
    assert (await customer.ok("GET", f"/invoices/{not_due['invoice_id']}"))["status"] == "issued"
    events = await billing.sql("SELECT count(*) AS n FROM events WHERE type LIKE '%Overdue'")
    assert events[0]["n"] == 2


async def test_the_list_is_newest_first_filtered_and_paged(billing: BillingUnderTest) -> None:
    organisation, code = await billing.organisation()
    other, other_code = await billing.organisation("Garage Zephyr")
    for day in ("2026-01-15", "2026-03-01", "2026-03-20", "2026-06-30"):
        await billing.issue(code, issue_date=day, due_date="2026-12-31")
    credit = await billing.erp().ok(
        "POST",
        "/erp/invoices",
        201,
        json=invoice_body(
            code,
            kind="credit_note",
            issue_date="2026-07-01",
            due_date=None,
            credited_invoice_number="FA-1",
        ),
    )
    await billing.issue(other_code)
    customer = billing.customer(organisation)
    page = await customer.ok("GET", "/invoices?limit=2")
    assert [i["issue_date"] for i in page["invoices"]] == ["2026-07-01", "2026-06-30"]
    assert page["invoices"][0]["kind"] == "credit_note"
    rest = await customer.ok("GET", f"/invoices?limit=10&cursor={page['next_cursor']}")
    assert [i["issue_date"] for i in rest["invoices"]] == ["2026-03-20", "2026-03-01", "2026-01-15"]
    assert rest["next_cursor"] is None
    march = await customer.ok("GET", "/invoices?issued_from=2026-03-01&issued_to=2026-03-31")
    assert [i["issue_date"] for i in march["invoices"]] == ["2026-03-20", "2026-03-01"]
    notes = await customer.ok("GET", "/invoices?kind=credit_note")
    assert [i["number"] for i in notes["invoices"]] == [credit["number"]]
    # A credit note owes nothing: four invoices of 395.76 are owed.
    assert page["outstanding"][0]["amount"] == "1583.04"
    assert page["outstanding"][0]["invoices"] == 4
    # A customer naming another organisation still reads only their own.
    mine = await customer.ok("GET", f"/invoices?organisation_id={other}")
    assert mine["invoices"] == []
    staff = billing.staff()
    theirs = await staff.ok("GET", f"/invoices?organisation_id={other}")
    assert len(theirs["invoices"]) == 1
    assert len((await staff.ok("GET", "/invoices"))["invoices"]) == 6
    assert (await staff.ok("GET", "/invoices"))["outstanding"] is None
    bad = await customer.call("GET", "/invoices?issued_from=2026-04-01&issued_to=2026-03-01")
    assert bad.status == 422
    assert (await customer.call("GET", "/invoices?cursor=nonsense")).status == 422
    without_module = billing.customer(organisation, modules=["tickets"])
    assert (await without_module.call("GET", "/invoices")).status == 403


async def test_a_selection_downloads_as_one_zip_of_its_pdfs(billing: BillingUnderTest) -> None:
    organisation, code = await billing.organisation()
    first = await billing.issue(code, number="FA/2026/001")
    second = await billing.issue(code, number="FA-2026-002")
    customer = billing.customer(organisation)
    answer = await customer.call(
        "POST",
        "/invoices/archive",
        json={"invoice_ids": [first["invoice_id"], second["invoice_id"]]},
    )
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/zip"
    entries = zip_entries(answer.raw)
    assert set(entries) == {"FA_2026_001.pdf", "FA-2026-002.pdf"}
    assert "FA/2026/001" in pdf_text(entries["FA_2026_001.pdf"])
    single = await customer.call("GET", f"/invoices/{second['invoice_id']}/pdf")
    assert entries["FA-2026-002.pdf"] == single.raw
    unknown = await customer.call(
        "POST",
        "/invoices/archive",
        json={"invoice_ids": [first["invoice_id"], str(uuid.uuid4())]},
    )
    assert unknown.status == 404
    empty = await customer.call("POST", "/invoices/archive", json={"invoice_ids": []})
    assert empty.status == 422
