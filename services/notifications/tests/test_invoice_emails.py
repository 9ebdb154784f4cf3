"""Billing's emails, read from the mail catcher: a new invoice and an overdue one reach the
organisation's accounting referents, each in their own language, with the amount, the dates
and the link to the PDF; an event delivered twice is one email."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from conftest import Infrastructure
from services.billing import events as billing
from services.billing.domain_types import InvoiceLine, PdfRef, PdfSource
from services.identity import events as identity
from services.identity.domain_types import Referents
from services.notifications.tests.identity_side import (
    PORTAL,
    Identity,
    address,
    granted,
    identity_side,
    registered,
)
from tests.support import TokenIssuer, eventually, publish_as


@pytest.fixture(scope="module")
async def idp(infrastructure: Infrastructure, token_issuer: TokenIssuer) -> AsyncIterator[Identity]:
    async with identity_side(infrastructure, token_issuer) as side:
        yield side


async def accounting_referents(idp: Identity, *languages: str) -> tuple[uuid.UUID, list[str]]:
    """An organisation whose accounting referents speak these languages: its id, their
    addresses; and a colleague who is no referent."""
    organisation_id = uuid.uuid4()
    await idp.settled(organisation_id, registered(organisation_id, "Imprimerie Martin"))
    referents, emails = [], []
    for language in (*languages, "fr"):
        user_id, email = uuid.uuid4(), address("compta")
        await idp.settled(
            user_id,
            granted(user_id, organisation_id, email, language=language),
            organisation_id=organisation_id,
        )
        referents.append(user_id)
        emails.append(email)
    await idp.settled(
        organisation_id,
        identity.ReferentsChanged(
            organisation_id=organisation_id,
            referents=Referents(accounting=tuple(referents[:-1])),
        ),
        organisation_id=organisation_id,
    )
    return organisation_id, emails


def issued(organisation_id: uuid.UUID, number: str) -> billing.InvoiceIssued:
    return billing.InvoiceIssued(
        invoice_id=uuid.uuid4(),
        organisation_id=organisation_id,
        number=number,
        issue_date=dt.date(2026, 11, 2),
        due_date=dt.date(2026, 12, 1),
        currency="EUR",
        lines=(
            InvoiceLine(
                description="Toner",
                quantity=Decimal(1),
                unit_price_excl_tax=Decimal("1029.00"),
                tax_rate=Decimal(20),
                total_excl_tax=Decimal("1029.00"),
            ),
        ),
        total_excl_tax=Decimal("1029.00"),
        total_tax=Decimal("205.80"),
        total_incl_tax=Decimal("1234.80"),
        customer_name="Imprimerie Martin",
        pdf=PdfRef(source=PdfSource.RENDERED, size=2000, sha256="0" * 64),
    )


async def publish_billing(
    idp: Identity, event: billing.InvoiceIssued | billing.InvoiceOverdue
) -> None:
    await publish_as(
        "billing",
        event,
        event.organisation_id,
        kafka_bootstrap=idp.bootstrap,
        namespace=idp.namespace,
    )


async def billing_mail(idp: Identity, to: str, number: str) -> dict[str, Any]:
    """The one email about this invoice (after the one that told of the portal access)."""
    mails = await idp.mail.wait_for(to, count=2)
    [mail] = [mail for mail in mails if number in mail["subject"]]
    return mail


async def test_a_new_invoice_is_emailed_to_each_accounting_referent_with_its_pdf_link(
    idp: Identity,
) -> None:
    organisation_id, (french, english, not_referent) = await accounting_referents(idp, "fr", "en")
    event = issued(organisation_id, "FA-2026-00042")
    await publish_billing(idp, event)

    fr_mail = await billing_mail(idp, french, "FA-2026-00042")
    assert fr_mail["subject"] == (
        "Nouvelle facture FA-2026-00042 de Copieurs Durand pour Imprimerie Martin"
    )
    pdf_url = f"{PORTAL}invoices/{event.invoice_id}/pdf"
    text = fr_mail["text"].replace("\u202f", " ").replace("\xa0", " ")
    for expected in ("1 234,80 €", "2 novembre 2026", "1er décembre 2026", pdf_url):
        assert expected in text, expected
    assert f'href="{pdf_url}"' in fr_mail["html"]
    en_mail = await billing_mail(idp, english, "FA-2026-00042")
    assert en_mail["subject"].startswith("New invoice FA-2026-00042")
    assert "€1,234.80" in en_mail["text"]
    assert "1 December 2026" in en_mail["text"]
    others = await idp.mail.to(not_referent)
    assert not [mail for mail in others if "FA-2026-00042" in mail["subject"]]


async def test_an_overdue_invoice_reminds_the_accounting_referents_once(idp: Identity) -> None:
    organisation_id, (referent, _colleague) = await accounting_referents(idp, "fr")
    overdue = billing.InvoiceOverdue(
        invoice_id=uuid.uuid4(),
        organisation_id=organisation_id,
        number="FA-2026-00007",
        due_date=dt.date(2026, 11, 10),
        currency="EUR",
        balance=Decimal("300.00"),
        total_incl_tax=Decimal("395.76"),
    )
    await publish_billing(idp, overdue)
    mail = await billing_mail(idp, referent, "FA-2026-00007")
    assert mail["subject"] == "Rappel : la facture FA-2026-00007 est arrivée à échéance"
    assert "300,00" in mail["text"]
    assert "10 novembre 2026" in mail["text"]

    async def one_email_queued() -> bool:
        count = await idp.pool.fetchval(
            "SELECT count(*) FROM notifications.outgoing_emails"
            " WHERE recipient = $1 AND template = 'invoice_overdue'",
            referent,
        )
        return count == 1

    await eventually(one_email_queued)
