"""Flow 14's emails end to end: an intervention requested in tickets becomes one summary email
carrying its number, its cancellation one confirmation, its scheduling one email with the date
and technician, read from the SMTP catcher."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from conftest import Infrastructure
from services.notifications.app import create_app as create_notifications
from services.notifications.categories import Category, category_of
from services.notifications.rendering import EmailRenderer
from services.notifications.tests.test_ticket_emails import notifications_settings, recipient
from services.tickets.app import create_app as create_tickets
from services.tickets.settings import TicketsSettings
from services.tickets.tests.conftest import TicketsUnderTest
from services.tickets.tests.fleet_side import register_machine, terms
from shared.kafka import ensure_topics, service_topic
from tests.support import TokenIssuer, serving


async def test_the_requester_gets_the_summary_with_its_number_then_the_cancellation(
    infrastructure: Infrastructure,
    service_env: Callable[..., dict[str, Any]],
    kafka_namespace: str,
    token_issuer: TokenIssuer,
) -> None:
    env = service_env()
    email, organisation = recipient(), uuid.uuid4()
    await ensure_topics(
        infrastructure.kafka_bootstrap, {service_topic(kafka_namespace, "fleet"): 3}, 1
    )
    async with (
        serving(create_tickets(TicketsSettings(**env))) as tickets_url,
        serving(create_notifications(notifications_settings(env))),
        aiohttp.ClientSession() as session,
    ):
        tickets = TicketsUnderTest(
            tickets_url,
            env["database_url"],
            infrastructure.kafka_bootstrap,
            kafka_namespace,
            token_issuer,
            session,
        )
        machine = await register_machine(
            tickets, organisation, terms(covers_interventions=False), serial_number="E-778899"
        )
        customer = tickets.customer(organisation, modules=["fleet"])
        created = await customer.ok(
            "POST",
            "/interventions",
            201,
            json={
                "asset_id": str(machine.asset_id),
                "nature": "print_quality",
                "error_code": "SC-542",
                "details": "Traces <noires> sur chaque page & bavures",
                "urgency": "urgent",
                "requester_email": email,
            },
        )
        [summary] = await infrastructure.mail.wait_for(email)
        path = f"/interventions/{created['intervention_id']}/cancel"
        await customer.ok("POST", path, json={"comment": "Le toner était mal installé"})
        mails = await infrastructure.mail.wait_for(email, count=2)

        # Another request, scheduled: its requester learns the date and the technician.
        other = recipient()
        second = await customer.ok(
            "POST",
            "/interventions",
            201,
            json={
                "asset_id": str(machine.asset_id),
                "nature": "breakdown",
                "details": "HS",
                "requester_email": other,
            },
        )
        await tickets.agent().ok(
            "POST",
            f"/agent/interventions/{second['intervention_id']}/schedule",
            json={"scheduled_for": "2026-12-07T09:30:00+01:00", "technician": "Marc Lefèvre"},
        )
        scheduled = [
            mail
            for mail in await infrastructure.mail.wait_for(other, count=2)
            if "planifiée" in mail["subject"]
        ]

    number = created["number"]
    assert summary["subject"] == (
        f"[DIT n° {number}] Demande d'intervention enregistrée : Ricoh MP C3004 E-778899"
    )
    link = f"http://portal.test/interventions/{created['intervention_id']}"
    for part in (summary["text"], summary["html"]):
        assert f"n° {number}" in part
        assert "Qualité d" in part  # the vendor's label, in French
        assert "SC-542" in part
        assert "urgente" in part
        assert "pas de contrat couvrant les interventions" in part  # flagged, and told so
        assert link in part
    assert "Nature : Qualité d'impression" in summary["text"]
    assert "Traces <noires> sur chaque page & bavures" in summary["text"]
    assert "Traces &lt;noires&gt; sur chaque page &amp; bavures" in summary["html"]

    [cancellation] = [mail for mail in mails if mail["id"] != summary["id"]]
    assert cancellation["subject"] == f"[DIT n° {number}] Votre demande d'intervention est annulée"
    for part in (cancellation["text"], cancellation["html"]):
        assert "Le toner était mal installé" in part
        assert "E-778899" in part
    assert (len(mails), category_of("intervention_requested")) == (2, Category.FLEET)

    [when] = scheduled
    assert when["subject"] == (
        f"[DIT n° {second['number']}] Intervention planifiée le 7 décembre 2026 à 09:30"
        " (heure de Paris)"
    )
    for part in (when["text"], when["html"]):
        assert "Marc Lefèvre" in part
        assert "E-778899" in part


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    "template", ["intervention_requested", "intervention_scheduled", "intervention_cancelled"]
)
def test_each_intervention_email_exists_in_both_languages_as_html_and_text(
    language: str, template: str
) -> None:
    email = EmailRenderer("Guichet").render(
        template,
        language,
        {
            "number": 1042,
            "serial_number": "E-1",
            "model_name": "MP C3004",
            "site_name": "Siège",
            "location": "Accueil",
            "nature": "breakdown",
            "nature_labels": {"fr": "Panne", "en": "Breakdown"},
            "urgency_labels": {"fr": "haute", "en": "high"},
            "error_code": None,
            "details": "HS",
            "covered": True,
            "comment": "Réparé",
            "by_vendor": False,
            "scheduled_for": "2026-12-07T09:30:00+01:00",
            "technician": "Marc",
            "rescheduled": False,
            "intervention_url": "http://portal.test/interventions/x",
            "portal_url": "http://portal.test/",
            "organisation": None,
        },
    )
    assert "1042" in email.subject
    for part in (email.text, email.html):
        assert "http://portal.test/interventions/x" in part
        assert "E-1" in part
    if template == "intervention_requested":
        assert ("Panne" if language == "fr" else "Breakdown") in email.text
    assert "<p>" in email.html
    assert "<p>" not in email.text


@pytest.mark.parametrize(
    ("language", "subject", "says"),
    [
        ("fr", "[DIT n° 1042] Votre demande d'intervention n'est pas retenue", "Motif"),
        ("en", "[Intervention #1042] Your request is declined", "Reason"),
    ],
)
def test_a_request_the_vendor_declines_says_so_with_the_reason(
    language: str, subject: str, says: str
) -> None:
    email = EmailRenderer("Guichet").render(
        "intervention_cancelled",
        language,
        {
            "number": 1042,
            "serial_number": "E-1",
            "model_name": "MP C3004",
            "comment": "Hors contrat : un devis suit.",
            "by_vendor": True,
            "intervention_url": "http://portal.test/interventions/x",
            "portal_url": "http://portal.test/",
            "organisation": None,
        },
    )
    assert email.subject == subject
    for part in (email.text, email.html):
        assert says in part
        assert "Hors contrat : un devis suit." in part
