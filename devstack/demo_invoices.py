"""Demo invoices for Imprimerie Martin, sent the way the vendor's ERP sends them: an OAuth
client of kind `confidential` registered by the vendor admin, a client-credentials token
with the `billing:write` scope, and the ERP's own API through the gateway."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

import aiohttp

ERP_SCOPE = "billing:write"
TONER = ("TK5240K", "Toner noir TK-5240K", Decimal("89.90"))
CYAN = ("TK5240C", "Toner cyan TK-5240C", Decimal("112.50"))
MAINTENANCE = ("MAINT-T", "Maintenance trimestrielle, copieur TASKalfa 2554ci", Decimal("150.00"))
PAPER = ("A4-80", "Papier A4 80 g, carton de 5 ramettes", Decimal("24.90"))


def _line(item: tuple[str, str, Decimal], quantity: int) -> dict[str, str]:
    reference, description, price = item
    return {
        "reference": reference,
        "description": description,
        "quantity": str(quantity),
        "unit_price_excl_tax": str(price),
        "tax_rate": "20",
        "total_excl_tax": str(price * quantity),
    }


def _document(
    number: str, customer_code: str, issued: dt.date, lines: list[dict[str, str]], **fields: Any
) -> dict[str, Any]:
    excl = sum(Decimal(line["total_excl_tax"]) for line in lines)
    tax = (excl * Decimal("0.20")).quantize(Decimal("0.01"))
    return {
        "number": number,
        "customer_code": customer_code,
        "issue_date": issued.isoformat(),
        "due_date": (issued + dt.timedelta(days=30)).isoformat(),
        "currency": "EUR",
        "lines": lines,
        "total_excl_tax": str(excl),
        "total_tax": str(tax),
        "total_incl_tax": str(excl + tax),
        **fields,
    }


def documents(customer_code: str, today: dt.date) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The ERP's documents for the organisation, oldest first, and what has been paid of each
    (by number): two paid, one paid in part, one past due, one just issued, a credit note."""
    year = today.year
    docs = [
        _document(
            f"FA-{year}-0101",
            customer_code,
            today - dt.timedelta(days=120),
            [_line(MAINTENANCE, 1), _line(TONER, 2)],
        ),
        _document(
            f"FA-{year}-0158",
            customer_code,
            today - dt.timedelta(days=90),
            [_line(PAPER, 10)],
            order_reference="CMD-2041",
        ),
        _document(
            f"FA-{year}-0203",
            customer_code,
            today - dt.timedelta(days=60),
            [_line(MAINTENANCE, 1), _line(CYAN, 1)],
        ),
        _document(
            f"FA-{year}-0244",
            customer_code,
            today - dt.timedelta(days=45),
            [_line(TONER, 4), _line(CYAN, 2)],
        ),
        _document(
            f"FA-{year}-0291",
            customer_code,
            today - dt.timedelta(days=3),
            [_line(MAINTENANCE, 1), _line(PAPER, 4)],
            order_reference="CMD-2107",
        ),
    ]
    credit = _document(
        f"AV-{year}-0012",
        customer_code,
        today - dt.timedelta(days=40),
        [_line(CYAN, 1)],
        kind="credit_note",
        due_date=None,
        credited_invoice_number=f"FA-{year}-0203",
    )
    docs.insert(4, credit)
    paid = {
        docs[0]["number"]: docs[0]["total_incl_tax"],
        docs[1]["number"]: docs[1]["total_incl_tax"],
        docs[2]["number"]: "200.00",
    }
    return docs, paid


async def erp_token(session: aiohttp.ClientSession, api_url: str, admin_token: str) -> str:
    """Register the ERP as an internal system, and take a token as it would."""
    async with session.post(
        f"{api_url}/oauth-clients",
        json={"name": "ERP (démo)", "kind": "confidential", "scopes": [ERP_SCOPE]},
        headers={"Authorization": f"Bearer {admin_token}"},
    ) as response:
        client = await response.json()
        if response.status != 201:
            raise RuntimeError(f"registering the ERP: {response.status} {client}")
    async with session.post(
        f"{api_url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": ERP_SCOPE},
        auth=aiohttp.BasicAuth(client["client_id"], client["client_secret"]),
    ) as response:
        tokens = await response.json()
        if response.status != 200:
            raise RuntimeError(f"the ERP's token: {response.status} {tokens}")
    return str(tokens["access_token"])


async def send(
    session: aiohttp.ClientSession, api_url: str, admin_token: str, customer_code: str
) -> int:
    """Send the documents and their payments; the number of documents."""
    headers = {"Authorization": f"Bearer {await erp_token(session, api_url, admin_token)}"}
    docs, paid = documents(customer_code, dt.date.today())
    for document in docs:
        # Billing learns the organisation from identity's event: it may take a moment.
        for _ in range(60):
            async with session.post(
                f"{api_url}/erp/invoices", json=document, headers=headers
            ) as response:
                if response.status in (200, 201):
                    break
                answer = await response.text()
                if response.status != 422 or "customer_code" not in answer:
                    raise RuntimeError(f"invoice {document['number']}: {answer}")
            await asyncio.sleep(0.5)
        else:
            raise RuntimeError("billing never learnt of the demo organisation")
    for number, amount in paid.items():
        payment = {
            "invoice_number": number,
            "payment_reference": f"VIR-{number}",
            "amount": amount,
            "paid_on": dt.date.today().isoformat(),
        }
        async with session.post(
            f"{api_url}/erp/payments", json=payment, headers=headers
        ) as response:
            if response.status not in (200, 201):
                raise RuntimeError(f"payment of {number}: {await response.text()}")
    return len(docs)
