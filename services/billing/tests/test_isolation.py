"""Tenant isolation of every billing operation: organisation A's customer user and admin find
none of organisation B's invoices, PDFs or payments, by B's real ids and by guessed ones; a
user without the invoices module and the ERP's token read nothing; customers send nothing
as the ERP. The table names every operation of billing's OpenAPI document; one added without
a case fails here."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from services.billing.tests.conftest import BillingUnderTest, invoice_body
from tests.isolation import Entry, IsolationCase, Tenants, assert_isolated, assert_table_matches
from tests.support import ApiClient, assert_valid_openapi

# One of B's invoices: an invoice of another organisation is an invoice that does not exist.
NOT_FOUND_TO_A = {"a_user": 404, "a_admin": 404, "a_without_module": 403, "erp": 403}
# The ERP's side: no customer sends invoices or payments.
ERP_ONLY = {"a_user": 403, "a_admin": 403, "a_without_module": 403}


def _invoice(ids: Mapping[str, str]) -> dict[str, Any]:
    return invoice_body(ids["customer_code"], number=f"FA-Z-{uuid.uuid4().hex[:8]}")


def _payment(ids: Mapping[str, str]) -> dict[str, Any]:
    return {
        "invoice_number": ids["invoice_number"],
        "payment_reference": f"VIR-{uuid.uuid4().hex[:8]}",
        "amount": "1.00",
        "paid_on": "2026-11-20",
    }


TABLE: tuple[Entry, ...] = (
    IsolationCase(
        "GET /invoices",
        answers={"a_user": 200, "a_admin": 200, "a_without_module": 403, "erp": 403},
        own_scope="the invoices of the organisation the token acts for, whatever"
        " organisation_id says; B's are searched for",
        ids={"organisation_id": "organisation"},
        query="organisation_id={organisation_id}",
        control=("b_user", 200),
    ),
    IsolationCase(
        "POST /invoices/archive",
        answers=NOT_FOUND_TO_A,
        ids={"invoice_id": "invoice"},
        body=lambda ids: {"invoice_ids": [ids["invoice_id"]]},
        control=("b_user", 200),
    ),
    IsolationCase(
        "GET /invoices/{invoice_id}",
        answers=NOT_FOUND_TO_A,
        ids={"invoice_id": "invoice"},
        control=("b_user", 200),
    ),
    IsolationCase(
        "GET /invoices/{invoice_id}/pdf",
        answers=NOT_FOUND_TO_A,
        ids={"invoice_id": "invoice"},
        control=("b_user", 200),
    ),
    IsolationCase(
        "POST /erp/invoices",
        answers=ERP_ONLY,
        ids={"customer_code": "customer_code"},
        body=_invoice,
        control=("erp", 201),
    ),
    IsolationCase(
        "POST /erp/payments",
        answers=ERP_ONLY,
        ids={"invoice_number": "invoice_number"},
        body=_payment,
        control=("erp", 201),
    ),
)


async def test_every_operation_of_the_api_has_an_isolation_case(
    billing: BillingUnderTest,
) -> None:
    async with billing.session.get(f"{billing.url}/openapi.json") as response:
        assert response.status == 200
        document = await response.json()
    assert_valid_openapi(document)
    assert_table_matches(document, TABLE)


async def test_organisation_a_is_refused_every_operation_on_organisation_b(
    billing: BillingUnderTest,
) -> None:
    await assert_isolated(await two_organisations(billing), TABLE)


async def two_organisations(billing: BillingUnderTest) -> Tenants:
    """Organisation A with an invoice of its own; organisation B with a paid-in-part invoice
    and a credit note."""
    org_a, code_a = await billing.organisation("Atelier Alpha")
    org_b, code_b = await billing.organisation("Zephyr Zinguerie")
    await billing.issue(code_a)
    invoice = await billing.issue(code_b, number="FA-ZEPHYR-1")
    await billing.pay(invoice["number"], "100.00", reference="VIR-ZEPHYR")
    await billing.erp().ok(
        "POST",
        "/erp/invoices",
        201,
        json=invoice_body(code_b, number="AV-ZEPHYR-1", kind="credit_note", due_date=None),
    )
    clients: dict[str, ApiClient] = {
        "a_user": billing.customer(org_a),
        "a_admin": billing.customer(org_a, role="customer_admin"),
        "a_without_module": billing.customer(org_a, modules=["tickets"]),
        "erp": billing.erp(),
        "b_user": billing.customer(org_b),
        "staff": billing.staff(),
    }
    b, staff = clients["b_user"], clients["staff"]
    ids = {
        "organisation": str(org_b),
        "invoice": invoice["invoice_id"],
        "invoice_number": invoice["number"],
        "customer_code": code_b,
    }

    async def b_as_b_and_staff_see_it() -> dict[str, Any]:
        listed = await b.ok("GET", "/invoices")
        return {
            "organisation": [
                dict(row)
                for row in await billing.sql(
                    "SELECT code, legal_name FROM organisations WHERE organisation_id = $1", org_b
                )
            ],
            "list": listed,
            "pages": [
                await staff.ok("GET", f"/invoices/{row['invoice_id']}")
                for row in listed["invoices"]
            ],
            "events": [
                dict(row)
                for row in await billing.sql(
                    "SELECT count(*) AS events, max(position) AS last FROM events"
                    " WHERE organisation_id = $1",
                    org_b,
                )
            ],
        }

    return Tenants(
        url=billing.url,
        session=billing.session,
        tokens={
            name: client.headers["Authorization"].removeprefix("Bearer ")
            for name, client in clients.items()
        },
        ids=ids,
        foreign=frozenset({str(org_b), invoice["invoice_id"], "ZEPHYR", "Zephyr", code_b}),
        snapshot=b_as_b_and_staff_see_it,
    )
