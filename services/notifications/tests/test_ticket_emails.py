"""The slice end to end inside one process: a ticket opened in tickets becomes exactly one
email from notifications, through real PostgreSQL, the broker and the SMTP catcher."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from conftest import SPANS, DisposableBroker, Infrastructure
from devstack import mailcatcher
from services.notifications.app import create_app as create_notifications
from services.notifications.rendering import EmailRenderer
from services.notifications.settings import NotificationsSettings
from services.tickets.app import create_app as create_tickets
from services.tickets.events import TicketOpened
from services.tickets.settings import TicketsSettings
from shared.cloudevents import CloudEvent
from shared.kafka import ensure_topics, service_topic
from shared.sealing import new_sealing_key
from tests.support import MailCatcher, TokenIssuer, eventually, free_port, serving

ORGANISATION = str(uuid.uuid4())
SEALING_KEY = new_sealing_key()


def notifications_settings(env: dict[str, Any]) -> NotificationsSettings:
    return NotificationsSettings(**{"sealing_key": SEALING_KEY, **env})


def recipient() -> str:
    return f"requester-{uuid.uuid4().hex[:8]}@client.example"


def ticket_body(email: str, title: str = "Scanner hors service") -> dict[str, str]:
    return {
        "title": title,
        "description": "Le scanner ne s'allume plus.",
        "priority": "urgent",
        "requester_email": email,
    }


@contextlib.asynccontextmanager
async def slice_running(env: dict[str, Any]) -> AsyncIterator[str]:
    """Both services of the slice; yields the tickets URL."""
    async with (
        serving(create_tickets(TicketsSettings(**env))) as tickets_url,
        serving(create_notifications(notifications_settings(env))),
    ):
        yield tickets_url


@pytest.fixture
def customer(token_issuer: TokenIssuer) -> dict[str, str]:
    """Headers of a customer user of ORGANISATION with the tickets module: a real token."""
    return token_issuer.bearer(org=ORGANISATION, modules=["tickets"])


async def open_ticket(
    tickets_url: str, auth: dict[str, str], body: dict[str, str], **headers: str
) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession(headers=auth) as session,
        session.post(f"{tickets_url}/tickets", json=body, headers=headers) as response,
    ):
        assert response.status == 201, await response.text()
        return await response.json()


async def test_the_requester_gets_one_confirmation_in_french_with_text_and_html(
    infrastructure: Infrastructure,
    service_env: Callable[..., dict[str, Any]],
    customer: dict[str, str],
) -> None:
    email = recipient()
    async with slice_running(service_env()) as tickets_url:
        ticket = await open_ticket(
            tickets_url, customer, ticket_body(email, title="<script>alert('x')</script> & co")
        )
        [mail] = await infrastructure.mail.wait_for(email)

    assert mail["subject"] == (
        f"[#{ticket['number']}] Votre demande « <script>alert('x')</script> & co » est enregistrée"
    )
    assert "Nous avons bien reçu votre demande" in mail["text"]
    assert f"http://portal.test/tickets/{ticket['ticket_id']}" in mail["text"]
    # The title a user typed is escaped in HTML: it can never inject markup.
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co" in mail["html"]
    assert "<script>" not in mail["html"]
    assert mail["headers"]["message-id"].endswith("@guichet.localhost>")
    assert mail["headers"]["auto-submitted"] == "auto-generated"


async def test_the_same_event_delivered_twice_sends_one_email(
    infrastructure: Infrastructure,
    service_env: Callable[..., dict[str, Any]],
    kafka_namespace: str,
) -> None:
    email, sentinel = recipient(), recipient()
    topic = service_topic(kafka_namespace, "tickets")
    await ensure_topics(infrastructure.kafka_bootstrap, {topic: 3}, 1)

    def opened(to: str) -> CloudEvent:
        event = TicketOpened(
            ticket_id=uuid.uuid4(),
            number=4242,
            title="Deux fois",
            description="…",
            priority="normal",
            requester_email=to,
        )
        return CloudEvent(
            id=str(uuid.uuid4()),
            source="/guichet/tickets",
            type=event.type,
            subject="same-key",
            time=datetime.now(UTC),
            data=event.model_dump(mode="json"),
            dataversion=event.version,
            organisationid=ORGANISATION,
            correlationid="c",
        )

    twice = opened(email)
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for event in (twice, twice, opened(sentinel)):  # same key: one partition, in order
            await producer.send_and_wait(topic, event.kafka_value(), key=b"same-key")
    finally:
        await producer.stop()

    async with serving(create_notifications(notifications_settings(service_env()))):
        await infrastructure.mail.wait_for(sentinel)  # both copies were handled before it
    assert len(await infrastructure.mail.to(email)) == 1


async def test_an_email_that_could_not_be_sent_is_retried_until_delivered(
    infrastructure: Infrastructure,
    service_env: Callable[..., dict[str, Any]],
    customer: dict[str, str],
) -> None:
    smtp_port, web_port = free_port(), free_port()
    email = recipient()
    env = service_env(smtp_url=f"smtp://127.0.0.1:{smtp_port}")  # nobody listens there yet
    async with slice_running(env) as tickets_url:
        await open_ticket(tickets_url, customer, ticket_body(email))
        await eventually(lambda: _failed_attempts(env["database_url"]), timeout=20)
        name = f"late-mail-{smtp_port}"
        await mailcatcher.start(
            infrastructure.supervisor,
            infrastructure.root / name,
            smtp_port,
            web_port,
            name=name,
        )
        try:
            late_inbox = MailCatcher(f"http://127.0.0.1:{web_port}")
            assert len(await late_inbox.wait_for(email, timeout=30)) == 1
        finally:
            await infrastructure.supervisor.stop(name)


async def _failed_attempts(database_url: str) -> bool:
    import asyncpg  # noqa: PLC0415

    connection = await asyncpg.connect(database_url)
    try:
        return bool(
            await connection.fetchval(
                "SELECT count(*) FROM notifications.outgoing_emails"
                " WHERE attempts > 0 AND status = 'pending'"
            )
        )
    finally:
        await connection.close()


async def test_one_trace_follows_the_request_through_kafka_to_the_email(
    infrastructure: Infrastructure,
    service_env: Callable[..., dict[str, Any]],
    customer: dict[str, str],
) -> None:
    trace_id = uuid.uuid4().hex
    traceparent = f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"
    email = recipient()
    async with slice_running(service_env()) as tickets_url:
        await open_ticket(tickets_url, customer, ticket_body(email), traceparent=traceparent)
        await infrastructure.mail.wait_for(email)

        async def spans_of_trace() -> set[str]:
            names = {
                span.name
                for span in SPANS.get_finished_spans()
                if format(span.context.trace_id, "032x") == trace_id
            }
            return names if {"send email"} <= names else set()

        names = await eventually(spans_of_trace)
    assert "POST /tickets" in names
    assert any(name.startswith("consume ") for name in names)
    assert "send email" in names


async def test_after_the_broker_loses_everything_each_requester_still_gets_one_email(
    infrastructure: Infrastructure,
    service_env: Callable[..., dict[str, Any]],
    disposable_broker: DisposableBroker,
    customer: dict[str, str],
) -> None:
    env = service_env(kafka_bootstrap=disposable_broker.bootstrap)
    consumed_before, waiting = [recipient() for _ in range(3)], [recipient() for _ in range(3)]
    async with serving(create_tickets(TicketsSettings(**env))) as tickets_url:
        async with serving(create_notifications(notifications_settings(env))):
            for email in consumed_before:
                await open_ticket(tickets_url, customer, ticket_body(email))
            for email in consumed_before:
                await infrastructure.mail.wait_for(email)
        # Notifications is down; these tickets' events sit in the broker, not yet consumed...
        for email in waiting:
            await open_ticket(tickets_url, customer, ticket_body(email))
        # ...when the broker restarts and loses every message and every committed offset.
        await disposable_broker.restart()
        async with serving(create_notifications(notifications_settings(env))):
            for email in waiting:
                await infrastructure.mail.wait_for(email, timeout=60)
            extra = recipient()  # flows as usual afterwards
            await open_ticket(tickets_url, customer, ticket_body(extra))
            await infrastructure.mail.wait_for(extra)
    for email in [*consumed_before, *waiting, extra]:
        assert len(await infrastructure.mail.to(email)) == 1, email


async def test_replies_requests_for_information_and_resolutions_reach_the_requester_once(
    infrastructure: Infrastructure,
    service_env: Callable[..., dict[str, Any]],
    customer: dict[str, str],
    token_issuer: TokenIssuer,
) -> None:
    email = recipient()
    agent = token_issuer.bearer(role="vendor_agent")
    async with slice_running(service_env()) as tickets_url:
        ticket = await open_ticket(tickets_url, customer, ticket_body(email, title="Bac 2"))
        path = f"{tickets_url}/agent/tickets/{ticket['ticket_id']}"
        async with aiohttp.ClientSession(headers=agent) as session:
            for url, body in (
                (f"{path}/notes", {"body": "Client difficile, note interne xyzzy"}),
                (f"{path}/status", {"status": "open"}),
                (f"{path}/status", {"status": "in_progress"}),
                (f"{path}/messages", {"body": "Avez-vous essayé <b>le bac 1</b> ?"}),
                (f"{path}/status", {"status": "waiting_for_customer", "reason": "Le modèle"}),
                (f"{path}/status", {"status": "resolved"}),
            ):
                async with session.post(url, json=body) as response:
                    assert response.status == 200, await response.text()
        mails = await infrastructure.mail.wait_for(email, count=4)

    subjects = sorted(mail["subject"] for mail in mails)
    number = ticket["number"]
    assert subjects == sorted(
        [
            f"[#{number}] Votre demande « Bac 2 » est enregistrée",
            f"[#{number}] Nouvelle réponse à votre demande « Bac 2 »",
            f"[#{number}] Votre demande « Bac 2 » attend une information de votre part",
            f"[#{number}] Votre demande « Bac 2 » est résolue",
        ]
    )
    [reply] = [mail for mail in mails if "Nouvelle réponse" in mail["subject"]]
    assert "Avez-vous essayé <b>le bac 1</b> ?" in reply["text"]
    assert "&lt;b&gt;le bac 1&lt;/b&gt;" in reply["html"]
    [waiting] = [mail for mail in mails if "attend" in mail["subject"]]
    assert "Le modèle" in waiting["text"]
    for mail in mails:  # the internal note reaches no email
        assert "xyzzy" not in mail["text"]
        assert "xyzzy" not in mail["html"]


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    "template", ["ticket_replied", "ticket_waiting_for_you", "ticket_resolved"]
)
def test_each_ticket_email_exists_in_both_languages_as_html_and_text(
    language: str, template: str
) -> None:
    renderer = EmailRenderer("Guichet")
    email = renderer.render(
        template,
        language,
        {
            "number": 1042,
            "title": "Bac 2",
            "ticket_url": "http://portal.test/tickets/x",
            "body": "La réponse",
            "reason": "Le modèle",
            "portal_url": "http://portal.test/",
            "organisation": None,
        },
    )
    assert email.subject.startswith("[#1042]")
    assert "Bac 2" in email.subject
    for part in (email.text, email.html):
        assert "http://portal.test/tickets/x" in part
    assert "<p>" in email.html
    assert "<p>" not in email.text
