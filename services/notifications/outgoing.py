"""The queue of emails to send, and the dispatcher that sends them once each.

Queuing happens inside the transaction that handles an event, so it is exactly once per
(event, recipient, template). Sending is at least once: a crash after the SMTP server
accepted a message but before it was marked sent resends it with the same Message-ID, so
the receiving side can recognise the duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import aiosmtplib
import asyncpg
import structlog
from opentelemetry import trace

from services.notifications.rendering import RenderedEmail
from services.notifications.smtp import SmtpServer, send
from shared.metrics import EMAILS_FAILED, EMAILS_SENT
from shared.telemetry import context_from_headers, current_trace_headers, tracer
from shared.wakeup import Wakeup

log = structlog.get_logger(__name__)
_tracer = tracer(__name__)
MAIL_CHANNEL = "notifications_mail"
MAX_BACKOFF = timedelta(hours=1)


def stable_message_id(event_id: str, recipient: str, template: str, sender: str) -> str:
    """The same Message-ID for every attempt at the same email."""
    digest = hashlib.sha256(f"{event_id}\n{recipient.lower()}\n{template}".encode()).hexdigest()
    domain = parseaddr(sender)[1].rpartition("@")[2] or "guichet.localhost"
    return f"<{digest[:40]}@{domain}>"


async def queue_email(
    connection: asyncpg.Connection,
    *,
    event_id: str,
    organisation_id: uuid.UUID | None,
    recipient: str,
    language: str,
    template: str,
    email: RenderedEmail,
    sender: str,
    user_id: uuid.UUID | None = None,
    skipped: bool = False,
) -> bool:
    """Queue an email in the caller's transaction; False if this one was already queued.
    A `skipped` email (its recipient turned its category off) is recorded, never sent."""
    queued = await connection.fetchval(
        "INSERT INTO outgoing_emails (email_id, event_id, organisation_id, recipient, language,"
        " template, message_id, subject, text_body, html_body, traceparent, user_id, status)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        " ON CONFLICT ON CONSTRAINT one_email_per_event_and_recipient DO NOTHING"
        " RETURNING true",
        uuid.uuid4(),
        uuid.UUID(event_id),
        organisation_id,
        recipient,
        language,
        template,
        stable_message_id(event_id, recipient, template, sender),
        email.subject,
        email.text,
        email.html,
        current_trace_headers().get("traceparent"),
        user_id,
        "skipped" if skipped else "pending",
    )
    if queued and not skipped:
        await connection.execute("SELECT pg_notify($1, '')", MAIL_CHANNEL)
    return bool(queued)


def _message(row: asyncpg.Record, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row["recipient"]
    message["Subject"] = row["subject"]
    message["Message-ID"] = row["message_id"]
    message["Date"] = format_datetime(row["created_at"])
    message["Content-Language"] = row["language"]
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message.set_content(row["text_body"])
    message.add_alternative(row["html_body"], subtype="html")
    return message


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=5 * 2 ** (attempts - 1)), MAX_BACKOFF)


_NEXT_DUE = """
SELECT email_id, recipient, subject, message_id, created_at, language, template,
       text_body, html_body, attempts, traceparent
FROM outgoing_emails
WHERE status = 'pending' AND next_attempt_at <= now()
ORDER BY next_attempt_at
LIMIT 1
FOR UPDATE SKIP LOCKED
"""


class MailDispatcher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        server: SmtpServer,
        sender: str,
        max_attempts: int,
        poll_interval: float = 2.0,
    ) -> None:
        self.pool = pool
        self.server = server
        self.sender = sender
        self.max_attempts = max_attempts
        self.poll_interval = poll_interval

    async def run(self) -> None:
        wakeup = Wakeup(MAIL_CHANNEL, self.poll_interval)
        while True:
            try:
                async with self.pool.acquire() as listener:
                    await wakeup.listen(listener)
                    try:
                        while True:
                            if not await self.send_due():
                                await wakeup.wait()
                    finally:
                        await wakeup.unlisten(listener)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("mail dispatcher stopped; restarting")
                await asyncio.sleep(self.poll_interval)

    async def send_due(self) -> int:
        """Send every email that is due, one transaction each; the number sent."""
        sent = 0
        client = self.server.client()
        try:
            while True:
                async with self.pool.acquire() as connection, connection.transaction():
                    row = await connection.fetchrow(_NEXT_DUE)
                    if row is None:
                        return sent
                    sent += await self._attempt(connection, client, row)
        finally:
            if client.is_connected:
                with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                    await client.quit()

    async def _attempt(
        self, connection: asyncpg.Connection, client: aiosmtplib.SMTP, row: asyncpg.Record
    ) -> int:
        attempts = row["attempts"] + 1
        parent = context_from_headers({"traceparent": row["traceparent"] or ""})
        with _tracer.start_as_current_span(
            "send email", context=parent, kind=trace.SpanKind.CLIENT
        ) as span:
            span.set_attribute("guichet.email.template", row["template"])
            try:
                await send(client, _message(row, self.sender))
            except Exception as error:  # recorded and retried: one bad email must not block all
                final = attempts >= self.max_attempts
                await connection.execute(
                    "UPDATE outgoing_emails SET attempts = $2, last_error = $3,"
                    " status = CASE WHEN $4 THEN 'failed' ELSE 'pending' END,"
                    " next_attempt_at = now() + $5::interval WHERE email_id = $1",
                    row["email_id"],
                    attempts,
                    str(error)[:500],
                    final,
                    _backoff(attempts),
                )
                EMAILS_FAILED.labels(row["template"], str(final).lower()).inc()
                # The server's reply often quotes the address: it stays in last_error, not in logs.
                log.warning(
                    "email not sent",
                    email_id=str(row["email_id"]),
                    attempts=attempts,
                    final=final,
                    error=type(error).__name__,
                    smtp_code=getattr(error, "code", None),
                )
                with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                    client.close()
                return 0
            await connection.execute(
                "UPDATE outgoing_emails SET status = 'sent', sent_at = now(), attempts = $2,"
                " last_error = NULL WHERE email_id = $1",
                row["email_id"],
                attempts,
            )
            EMAILS_SENT.labels(row["template"]).inc()
            log.info(
                "email sent",
                email_id=str(row["email_id"]),
                template=row["template"],
                message_id=row["message_id"],
            )
            return 1
