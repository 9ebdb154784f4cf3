"""Addressing an email: to whom, in which language, naming which organisation; then render
it and queue it in the consumer's transaction.

An email for a user whose address is not known yet (their account's event, on another
aggregate, has not arrived) is parked and sent when it does: never dropped, never failed.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import structlog

from services.notifications import directory, preferences
from services.notifications.formatting import choose_language
from services.notifications.outgoing import queue_email
from services.notifications.rendering import EmailRenderer
from services.notifications.settings import NotificationsSettings

log = structlog.get_logger(__name__)


class Mailer:
    def __init__(self, settings: NotificationsSettings, renderer: EmailRenderer) -> None:
        self.settings = settings
        self.renderer = renderer
        self.portal_url = str(settings.public_url)

    async def send(
        self,
        connection: asyncpg.Connection,
        *,
        event_id: str,
        to: str,
        language: str | None,
        template: str,
        values: dict[str, Any],
        organisation_id: uuid.UUID | None = None,
        user_id: uuid.UUID | None = None,
    ) -> None:
        """Queue one email to an address the event named. `organisation_id`, when given, is
        the organisation the email speaks of: its name (or a neutral wording while it is not
        known) and its language when the recipient's is not usable. `user_id`, when given, is
        the user the email is for: their preferences apply, and the delivery log names them."""
        organisation = (
            await directory.find_organisation(connection, organisation_id)
            if organisation_id
            else None
        )
        chosen = choose_language(
            [language, organisation.language if organisation else None],
            self.settings.default_language,
        )
        email = self.renderer.render(
            template,
            chosen,
            {
                "portal_url": self.portal_url,
                "organisation": organisation.legal_name if organisation else None,
                **values,
            },
        )
        # A user who turned this category off has it recorded as skipped, not lost silently.
        skipped = user_id is not None and not await preferences.wants_email(
            connection, user_id, template
        )
        queued = await queue_email(
            connection,
            event_id=event_id,
            organisation_id=organisation_id,
            recipient=to,
            language=chosen,
            template=template,
            email=email,
            sender=self.settings.mail_from,
            user_id=user_id,
            skipped=skipped,
        )
        # Ids only: the address, names and links stay out of logs.
        log.info(
            ("email skipped" if skipped else "email queued") if queued else "email already queued",
            event_id=event_id,
            template=template,
            user_id=str(user_id) if user_id else None,
            organisation_id=str(organisation_id) if organisation_id else None,
            language=chosen,
        )

    async def send_to_address(
        self,
        connection: asyncpg.Connection,
        *,
        event_id: str,
        to: str,
        user_id: uuid.UUID,
        template: str,
        values: dict[str, Any],
        organisation_id: uuid.UUID,
    ) -> None:
        """Queue one email to the address an event gave for a user it named (a requester, the
        person who placed an order): their language when notifications knows them, their
        preferences, and never parked, since the address is already known."""
        known = await directory.find_user(connection, user_id)
        await self.send(
            connection,
            event_id=event_id,
            to=to,
            language=known.language if known else None,
            template=template,
            values=values,
            organisation_id=organisation_id,
            user_id=user_id,
        )

    async def send_to_user(
        self,
        connection: asyncpg.Connection,
        *,
        event_id: str,
        user_id: uuid.UUID,
        template: str,
        values: dict[str, Any],
        organisation_id: uuid.UUID | None = None,
    ) -> None:
        """Queue one email to a user known by id, or park it until their address is known.
        `values` must be JSON-serialisable and hold no secret: they may wait in a table."""
        user = await directory.find_user(connection, user_id)
        if user is None:
            await connection.execute(
                "INSERT INTO emails_awaiting_user"
                " (event_id, user_id, template, organisation_id, mail_values)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                uuid.UUID(event_id),
                user_id,
                template,
                organisation_id,
                values,
            )
            log.warning(
                "recipient not known yet; email parked",
                event_id=event_id,
                template=template,
                user_id=str(user_id),
            )
            return
        await self.send(
            connection,
            event_id=event_id,
            to=user.email,
            language=user.language,
            template=template,
            values={"first_name": user.first_name, "last_name": user.last_name, **values},
            organisation_id=organisation_id,
            user_id=user_id,
        )

    async def send_to_referents(
        self,
        connection: asyncpg.Connection,
        *,
        event_id: str,
        organisation_id: uuid.UUID,
        kind: directory.ReferentKind,
        template: str,
        values: dict[str, Any],
    ) -> int:
        """Queue one email to each of the organisation's referents of `kind` (the accounting
        referents for an invoice, the technical one for an outage, the DPO for a data
        incident), each in their own language. An organisation that named none has its
        active admins told instead: the email is promised to the organisation, not to a role.
        The number of recipients."""
        recipients = await directory.referents(connection, organisation_id, kind)
        if not recipients:
            recipients = [
                admin.user_id
                for admin in await directory.active_admins(connection, organisation_id)
            ]
            log.info(
                "no referent of this kind; the organisation's admins are told",
                event_id=event_id,
                organisation_id=str(organisation_id),
                kind=kind,
                admins=len(recipients),
            )
        for user_id in recipients:
            await self.send_to_user(
                connection,
                event_id=event_id,
                user_id=user_id,
                template=template,
                values=values,
                organisation_id=organisation_id,
            )
        return len(recipients)

    async def release_parked(self, connection: asyncpg.Connection, user_id: uuid.UUID) -> None:
        """Send what waited for this user's address, under the events that asked for it."""
        parked = await connection.fetch(
            "WITH released AS (DELETE FROM emails_awaiting_user WHERE user_id = $1"
            " RETURNING event_id, template, organisation_id, mail_values, parked_at)"
            " SELECT * FROM released ORDER BY parked_at",
            user_id,
        )
        for row in parked:
            await self.send_to_user(
                connection,
                event_id=str(row["event_id"]),
                user_id=user_id,
                template=row["template"],
                values=row["mail_values"],
                organisation_id=row["organisation_id"],
            )
