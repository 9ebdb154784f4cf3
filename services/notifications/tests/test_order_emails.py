"""Orders' emails (flows 16 and 17, seed 003), read from the mail catcher: the person who
placed an order gets its summary, its validation, each shipment (what is still outstanding
when partial, the delivery note's link) and the confirmation of a cancellation, in their own
language, at the address the order names; an event delivered twice is one email; a user who
turned the `orders` category off gets none (recorded as skipped)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from conftest import Infrastructure
from services.notifications.categories import Category, category_of
from services.notifications.rendering import EmailRenderer
from services.notifications.tests.identity_side import (
    PORTAL,
    Identity,
    address,
    granted,
    identity_side,
    registered,
)
from shared.kafka import service_topic
from tests.orders_side import Order
from tests.support import TokenIssuer, eventually, publish, send_envelopes

TEMPLATES = ("order_placed", "order_validated", "order_shipped", "order_cancelled")


@pytest.fixture(scope="module")
async def idp(infrastructure: Infrastructure, token_issuer: TokenIssuer) -> AsyncIterator[Identity]:
    async with identity_side(infrastructure, token_issuer) as side:
        yield side


async def customer(idp: Identity, language: str) -> Order:
    """An order to come from a user notifications knows (their portal access told it, with
    their language): the one email they got so far is that access's."""
    organisation_id, user_id, email = uuid.uuid4(), uuid.uuid4(), address("commande")
    await idp.settled(organisation_id, registered(organisation_id, "Imprimerie Martin"))
    await idp.settled(
        user_id,
        granted(user_id, organisation_id, email, language=language),
        organisation_id=organisation_id,
    )
    await idp.mail.wait_for(email)
    return Order(organisation_id, user_id, email)


async def emails(idp: Identity, order: Order, count: int) -> list[dict[str, Any]]:
    """The order's emails, once `count` of them arrived."""

    async def arrived() -> list[dict[str, Any]]:
        mails = await idp.mail.to(order.placed_by_email)
        mine = [mail for mail in mails if order.number in mail["subject"]]
        return mine if len(mine) >= count else []

    return await eventually(arrived, timeout=30)


def titled(mails: list[dict[str, Any]], fragment: str) -> dict[str, Any]:
    """The one email whose subject says `fragment`."""
    [mail] = [mail for mail in mails if fragment in mail["subject"]]
    return mail


async def queued(idp: Identity, order: Order, template: str) -> int:
    return await idp.pool.fetchval(
        "SELECT count(*) FROM notifications.outgoing_emails WHERE recipient = $1 AND template = $2",
        order.placed_by_email,
        template,
    )


def bullets(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("- ")]


async def test_the_customer_follows_their_order_by_email_from_summary_to_full_delivery(
    idp: Identity,
) -> None:
    order = await customer(idp, "fr")
    comment = "Code porte 4521B <bât. C> & demander Mme Roux"
    await order.publish(idp.bootstrap, idp.namespace, order.placed(delivery_comment=comment))
    await order.publish(idp.bootstrap, idp.namespace, order.validated())
    partial = order.shipped({"TK-5240K": 2}, {"TK-5240C": 1})
    await order.publish(idp.bootstrap, idp.namespace, partial)
    rest = order.shipped({"TK-5240C": 1}, delivery_note_number="BL-2026-000318")
    await order.publish(idp.bootstrap, idp.namespace, rest)
    mails = await emails(idp, order, 4)
    summary, validated = titled(mails, "enregistrée"), titled(mails, "validée")
    first, last = titled(mails, "Expédition partielle"), titled(mails, "livrée en totalité")

    number = order.number
    order_url = f"{PORTAL}orders/{order.order_id}"
    assert summary["subject"] == (
        f"[Commande n° {number}] Commande enregistrée : Ricoh MP C3004 E-778899"
    )
    text = summary["text"]
    assert f"commande de consommables n° {number}" in text
    assert "Emplacement : Atelier de Nancy — 2e étage, près de l'ascenseur" in text
    assert bullets(text) == [
        "- TK-5240K — Toner noir TK-5240K : 2",
        "- TK-5240C — Toner cyan TK-5240C : 1",
    ]
    assert f"Commentaire de livraison : {comment}" in text
    assert "Votre référence de commande : BC-2026-117" in text
    assert "en attente de validation par nos services" in text
    assert f"Suivre votre commande : {order_url}" in text
    html = summary["html"]
    assert "Code porte 4521B &lt;bât. C&gt; &amp; demander Mme Roux" in html
    assert f'href="{order_url}"' in html
    assert "BC-2026-117" in html

    assert (
        validated["subject"] == f"[Commande n° {number}] Commande validée, en cours de préparation"
    )
    for part in (validated["text"], validated["html"]):
        assert "livrable en totalité" in part
        assert order_url in part

    assert first["subject"] == f"[Commande n° {number}] Expédition partielle (BL BL-2026-000317)"
    assert "Transporteur : DB Schenker" in first["text"]
    assert "N° de bon de livraison : BL-2026-000317" in first["text"]
    shipped, outstanding = first["text"].split("Reste à livrer :")
    assert bullets(shipped) == ["- TK-5240K — Toner noir TK-5240K : 2"]
    assert bullets(outstanding) == ["- TK-5240C — Toner cyan TK-5240C : 1"]
    note = f"{order_url}/shipments/{partial.shipment_id}/delivery-note.pdf"
    assert f"Bon de livraison (PDF) : {note}" in first["text"]
    assert f'href="{note}"' in first["html"]

    assert last["subject"] == (
        f"[Commande n° {number}] Commande expédiée, livrée en totalité (BL BL-2026-000318)"
    )
    assert "livrée en totalité" in last["text"]
    assert "Reste à livrer" not in last["text"]
    assert "Reste à livrer" not in last["html"]
    assert bullets(last["text"]) == ["- TK-5240C — Toner cyan TK-5240C : 1"]
    assert f"{order_url}/shipments/{rest.shipment_id}/delivery-note.pdf" in last["html"]


async def test_a_cancellation_is_confirmed_in_english_saying_the_vendor_cancelled_it(
    idp: Identity,
) -> None:
    order = await customer(idp, "en")
    await order.publish(idp.bootstrap, idp.namespace, order.placed(customer_reference=None))
    await order.publish(
        idp.bootstrap,
        idp.namespace,
        order.cancelled("Reference discontinued: order TK-5240K instead", by_vendor=True),
    )
    mails = await emails(idp, order, 2)
    summary, cancellation = titled(mails, "received"), titled(mails, "cancelled")

    assert summary["subject"] == f"[Order {order.number}] Order received: Ricoh MP C3004 E-778899"
    assert "submitted — waiting for validation" in summary["text"]
    assert "Your order reference" not in summary["text"]  # none given: no empty line for it
    assert cancellation["subject"] == f"[Order {order.number}] Your order is cancelled"
    for part in (cancellation["text"], cancellation["html"]):
        assert "Our team cancelled your consumables order" in part
        assert "Reference discontinued: order TK-5240K instead" in part
        assert f"{PORTAL}orders/{order.order_id}" in part


async def test_a_customers_own_cancellation_delivered_twice_is_confirmed_once(
    idp: Identity,
) -> None:
    order = await customer(idp, "fr")
    topic = service_topic(idp.namespace, "orders")
    twice = await order.publish(
        idp.bootstrap, idp.namespace, order.cancelled("Commandé en double par erreur")
    )
    # The very same event again, then a later one on its partition (the order's key): once
    # the later one is emailed, the repeat was handled.
    await send_envelopes(idp.bootstrap, topic, twice)
    await publish(
        idp.bootstrap,
        topic,
        order.validated(),
        source="orders",
        organisation=order.organisation_id,
        subject=str(order.order_id),
    )
    cancellation = titled(await emails(idp, order, 2), "annulée")

    assert await queued(idp, order, "order_cancelled") == 1
    assert len(await emails(idp, order, 2)) == 2
    assert cancellation["subject"] == f"[Commande n° {order.number}] Votre commande est annulée"
    assert "Nous confirmons l'annulation" in cancellation["text"]
    assert "Commentaire d'annulation : Commandé en double par erreur" in cancellation["text"]


async def test_a_user_who_turned_orders_off_gets_no_order_email_and_it_is_logged_skipped(
    idp: Identity, token_issuer: TokenIssuer
) -> None:
    order = await customer(idp, "fr")
    headers = token_issuer.bearer(sub=str(order.placed_by), org=order.organisation_id)
    async with (
        aiohttp.ClientSession() as session,
        session.put(
            f"{idp.url}/me/notification-preferences",
            headers=headers,
            json={"email": {"orders": False}},
        ) as response,
    ):
        assert response.status == 200, await response.text()
    await order.publish(idp.bootstrap, idp.namespace, order.placed())

    async def recorded() -> list[Any]:
        return await idp.pool.fetch(
            "SELECT status FROM notifications.outgoing_emails"
            " WHERE recipient = $1 AND template = 'order_placed'",
            order.placed_by_email,
        )

    assert [row["status"] for row in await eventually(recorded)] == ["skipped"]
    assert [
        m for m in await idp.mail.to(order.placed_by_email) if order.number in m["subject"]
    ] == []


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_each_order_email_exists_in_both_languages_as_html_and_text(
    language: str, template: str
) -> None:
    line = {"reference": "TK-1", "description": "Toner", "quantity": 3}
    email = EmailRenderer("Guichet").render(
        template,
        language,
        {
            "number": "C-2026-000042",
            "serial_number": "E-1",
            "model_name": "MP C3004",
            "site_name": "Siège",
            "location": "Accueil",
            "lines": [line],
            "delivery_comment": None,
            "customer_reference": None,
            "carrier": "DHL",
            "delivery_note_number": "BL-1",
            "delivered_in_full": True,
            "shipped": [line],
            "outstanding": [],
            "delivery_note_url": "http://portal.test/orders/x/shipments/y/delivery-note.pdf",
            "comment": "Plus besoin",
            "by_vendor": False,
            "order_url": "http://portal.test/orders/x",
            "portal_url": "http://portal.test/",
            "organisation": None,
        },
    )
    assert "C-2026-000042" in email.subject
    for part in (email.text, email.html):
        assert "http://portal.test/orders/x" in part
        assert "E-1" in part
    assert "<p>" in email.html
    assert "<p>" not in email.text
    assert category_of(template) is Category.ORDERS
