"""The delivery log: which email was sent to whom, when, and how it went, newest first,
a page at a time (keyset: a page never repeats or skips an email when new ones arrive)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg
from pydantic import BaseModel, Field

from services.notifications.categories import Category, UncategorisedTemplate, category_of
from shared.http.paging import BadCursor, decode_cursor, encode_cursor

DeliveryStatus = Literal["pending", "sent", "failed", "skipped"]


class LoggedEmail(BaseModel):
    email_id: uuid.UUID
    organisation_id: uuid.UUID | None
    recipient: str
    user_id: uuid.UUID | None = Field(description="The user it was for, when a user")
    template: str
    category: Category | None
    subject: str
    language: str
    status: DeliveryStatus = Field(
        description="pending (waiting or being retried), sent (accepted by the mail server),"
        " failed (gave up after the last attempt), skipped (its recipient turned it off)"
    )
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    error: str | None = Field(
        default=None, description="The last failure, as the mail server said it (vendor staff)"
    )


class EmailLogPage(BaseModel):
    emails: list[LoggedEmail]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page")


@dataclass(frozen=True)
class Position:
    created_at: datetime
    email_id: uuid.UUID

    def cursor(self) -> str:
        return encode_cursor(self.created_at.isoformat(), str(self.email_id))

    @classmethod
    def from_cursor(cls, cursor: str) -> Position:
        created_at, email_id = decode_cursor(cursor, 2)
        try:
            return cls(datetime.fromisoformat(created_at), uuid.UUID(email_id))
        except ValueError:
            raise BadCursor("this cursor was not handed out by the log") from None


# An organisation's emails are those spoken of it, and its users' own ones that speak of no
# organisation (a password reset): an admin follows what their users were sent.
_IN_ORGANISATION = """
(e.organisation_id = $1 OR (e.organisation_id IS NULL AND e.user_id IN (
    SELECT user_id FROM directory_memberships WHERE organisation_id = $1)))
"""


async def page(
    connection: asyncpg.Connection,
    *,
    organisation_id: uuid.UUID | None,
    status: DeliveryStatus | None,
    after: Position | None,
    limit: int,
    with_errors: bool,
) -> EmailLogPage:
    """One page, newest first: one organisation's, or every email (`organisation_id` None)."""
    rows = await connection.fetch(
        "SELECT e.email_id, e.organisation_id, e.recipient, e.user_id, e.template, e.subject,"
        " e.language, e.status, e.attempts, e.created_at, e.sent_at, e.last_error"
        " FROM outgoing_emails e"
        f" WHERE ($1::uuid IS NULL OR {_IN_ORGANISATION})"
        "   AND ($2::text IS NULL OR e.status = $2)"
        "   AND ($3::timestamptz IS NULL OR (e.created_at, e.email_id) < ($3, $4::uuid))"
        " ORDER BY e.created_at DESC, e.email_id DESC LIMIT $5",
        organisation_id,
        status,
        after.created_at if after else None,
        after.email_id if after else None,
        limit + 1,
    )
    emails = [_logged(row, with_errors) for row in rows[:limit]]
    more = len(rows) > limit
    last = emails[-1] if emails else None
    return EmailLogPage(
        emails=emails,
        next_cursor=Position(last.created_at, last.email_id).cursor() if more and last else None,
    )


def _logged(row: asyncpg.Record, with_errors: bool) -> LoggedEmail:
    try:
        category: Category | None = category_of(row["template"])
    except UncategorisedTemplate:
        category = None
    return LoggedEmail(
        email_id=row["email_id"],
        organisation_id=row["organisation_id"],
        recipient=row["recipient"],
        user_id=row["user_id"],
        template=row["template"],
        category=category,
        subject=row["subject"],
        language=row["language"],
        status=row["status"],
        attempts=row["attempts"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        error=row["last_error"] if with_errors else None,
    )
