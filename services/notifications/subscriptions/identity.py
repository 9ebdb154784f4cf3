"""Emails promised by the identity service's events, and the local copy of users,
organisations and memberships they are addressed from (see `directory`)."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode, urljoin

import asyncpg
import structlog

from services.identity import events as identity
from services.notifications import directory
from services.notifications.mailer import Mailer
from shared.consumer import Handler, ReceivedEvent, Subscription
from shared.events import DomainEvent
from shared.kafka import service_topic
from shared.sealing import Sealer

log = structlog.get_logger(__name__)


# What a membership's new status is called in the directory, and the email its user gets.
MEMBERSHIP_STATUS_EMAILS: dict[type[DomainEvent], tuple[directory.MembershipStatus, str]] = {
    identity.AccountActivated: ("active", "account_activated"),
    identity.AccountBlocked: ("blocked", "account_blocked"),
}


class IdentityEmails:
    """One handler per identity event notifications reacts to."""

    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer
        self.sealer = Sealer(mailer.settings.sealing_key)
        self.portal_url = str(mailer.settings.public_url)

    def page(self, path: str) -> str:
        return urljoin(self.portal_url, path)

    def one_time_link(self, path: str, link: identity.OneTimeLink, user_id: uuid.UUID) -> str:
        # Bound to the user: a sealed token copied into another user's event does not open.
        token = self.sealer.unseal(link.sealed_token, subject=str(user_id))
        return f"{self.page(path)}?{urlencode({'token': token})}"

    async def emailed_link(
        self,
        connection: asyncpg.Connection,
        received: ReceivedEvent,
        *,
        to: str,
        language: str,
        template: str,
        link: tuple[str, identity.OneTimeLink],
        user_id: uuid.UUID,
        values: dict[str, str] | None = None,
    ) -> None:
        """An email carrying a one-time link (`link`: the page and the sealed link), sent to the
        address the event names, which the directory may not know yet."""
        path, one_time = link
        known = await directory.find_user(connection, user_id)
        await self.mailer.send(
            connection,
            event_id=received.envelope.id,
            to=to,
            language=language,
            template=template,
            values={
                "first_name": known.first_name if known else "",
                "link_url": self.one_time_link(path, one_time, user_id),
                "expires_at": one_time.expires_at.isoformat(),
                **(values or {}),
            },
            user_id=user_id,
        )

    # --- the local copy ---------------------------------------------------------------------

    async def organisation_known(
        self, connection: asyncpg.Connection, received: ReceivedEvent
    ) -> None:
        event = received.event
        assert isinstance(
            event, identity.OrganisationRegistered | identity.OrganisationDetailsChanged
        )
        await directory.save_organisation(
            connection,
            organisation_id=event.organisation_id,
            legal_name=event.details.legal_name,
            language=event.language,
        )

    async def referents_changed(
        self, connection: asyncpg.Connection, received: ReceivedEvent
    ) -> None:
        event = received.event
        assert isinstance(event, identity.ReferentsChanged)
        named = event.referents
        await directory.set_referents(
            connection,
            organisation_id=event.organisation_id,
            referents={
                "technical": [named.technical] if named.technical else [],
                "accounting": list(named.accounting),
                "dpo": [named.dpo] if named.dpo else [],
            },
        )

    async def personal_information_changed(
        self, connection: asyncpg.Connection, received: ReceivedEvent
    ) -> None:
        event = received.event
        assert isinstance(event, identity.PersonalInformationChanged)
        await directory.update_personal_information(
            connection,
            user_id=event.user_id,
            first_name=event.first_name,
            last_name=event.last_name,
            language=event.language,
        )

    async def admin_role_changed(
        self, connection: asyncpg.Connection, received: ReceivedEvent
    ) -> None:
        event = received.event
        assert isinstance(event, identity.CustomerAdminAppointed | identity.CustomerAdminRevoked)
        await directory.set_admin(
            connection,
            user_id=event.user_id,
            organisation_id=event.organisation_id,
            is_admin=isinstance(event, identity.CustomerAdminAppointed),
        )

    async def user_known(
        self,
        connection: asyncpg.Connection,
        event: identity.PortalAccessGranted
        | identity.StaffAccountCreated
        | identity.UserSelfRegistered,
    ) -> None:
        await directory.save_user(
            connection,
            user_id=event.user_id,
            email=str(event.email),
            first_name=event.first_name,
            last_name=event.last_name,
            language=event.language,
        )
        await self.mailer.release_parked(connection, event.user_id)

    # --- accounts ---------------------------------------------------------------------------

    async def portal_access_granted(
        self, connection: asyncpg.Connection, received: ReceivedEvent
    ) -> None:
        event = received.event
        assert isinstance(event, identity.PortalAccessGranted)
        await directory.set_membership_status(
            connection,
            user_id=event.user_id,
            organisation_id=event.organisation_id,
            status="active",
        )
        await self.user_known(connection, event)
        values: dict[str, str] = {
            "first_name": event.first_name,
            "last_name": event.last_name,
            "user_code": event.user_code,
        }
        if event.invitation is not None:
            template = "portal_invitation"
            values["set_password_url"] = self.one_time_link(
                "password/set", event.invitation, event.user_id
            )
            values["expires_at"] = event.invitation.expires_at.isoformat()
        else:
            template = "portal_access_added"
        await self.mailer.send(
            connection,
            event_id=received.envelope.id,
            to=str(event.email),
            language=event.language,
            template=template,
            values=values,
            organisation_id=event.organisation_id,
            user_id=event.user_id,
        )

    async def staff_account_created(
        self, connection: asyncpg.Connection, received: ReceivedEvent
    ) -> None:
        event = received.event
        assert isinstance(event, identity.StaffAccountCreated)
        await self.user_known(connection, event)
        values: dict[str, str | None] = {
            "first_name": event.first_name,
            "last_name": event.last_name,
            "user_code": event.user_code,
            "set_password_url": None,
        }
        if event.invitation is not None:
            values["set_password_url"] = self.one_time_link(
                "password/set", event.invitation, event.user_id
            )
            values["expires_at"] = event.invitation.expires_at.isoformat()
        await self.mailer.send(
            connection,
            event_id=received.envelope.id,
            to=str(event.email),
            language=event.language,
            template="staff_account_created",
            values=values,
            user_id=event.user_id,
        )

    async def user_self_registered(
        self, connection: asyncpg.Connection, received: ReceivedEvent
    ) -> None:
        event = received.event
        assert isinstance(event, identity.UserSelfRegistered)
        await directory.set_membership_status(
            connection,
            user_id=event.user_id,
            organisation_id=event.organisation_id,
            status="pending",
        )
        await self.user_known(connection, event)
        await self.mailer.send(
            connection,
            event_id=received.envelope.id,
            to=str(event.email),
            language=event.language,
            template="registration_pending",
            values={
                "first_name": event.first_name,
                "last_name": event.last_name,
                "user_code": event.user_code,
            },
            organisation_id=event.organisation_id,
            user_id=event.user_id,
        )
        admins = await directory.active_admins(connection, event.organisation_id)
        if not admins:
            # Nobody to ask yet: the request stays visible in the users list of the portal.
            log.warning(
                "no active customer admin to ask for an activation",
                event_id=received.envelope.id,
                organisation_id=str(event.organisation_id),
            )
        for admin in admins:
            await self.mailer.send(
                connection,
                event_id=received.envelope.id,
                to=admin.email,
                language=admin.language,
                template="registration_to_approve",
                values={
                    "first_name": admin.first_name,
                    "last_name": admin.last_name,
                    "applicant_first_name": event.first_name,
                    "applicant_last_name": event.last_name,
                    "applicant_email": str(event.email),
                    "applicant_function": event.function,
                    "users_url": self.page("organisation/users"),
                },
                organisation_id=event.organisation_id,
                user_id=admin.user_id,
            )

    async def membership_status_changed(
        self, connection: asyncpg.Connection, received: ReceivedEvent
    ) -> None:
        event = received.event
        assert isinstance(event, identity.AccountActivated | identity.AccountBlocked)
        status, template = MEMBERSHIP_STATUS_EMAILS[type(event)]
        await directory.set_membership_status(
            connection,
            user_id=event.user_id,
            organisation_id=event.organisation_id,
            status=status,
        )
        await self.mailer.send_to_user(
            connection,
            event_id=received.envelope.id,
            user_id=event.user_id,
            template=template,
            values={},
            organisation_id=event.organisation_id,
        )

    # --- passwords --------------------------------------------------------------------------

    async def password_reset_requested(
        self, connection: asyncpg.Connection, received: ReceivedEvent
    ) -> None:
        event = received.event
        assert isinstance(event, identity.PasswordResetRequested)
        await self.emailed_link(
            connection,
            received,
            to=str(event.email),
            language=event.language,
            template="password_reset",
            link=("password/reset", event.reset),
            user_id=event.user_id,
        )

    async def password_changed(
        self, connection: asyncpg.Connection, received: ReceivedEvent
    ) -> None:
        event = received.event
        assert isinstance(event, identity.PasswordChanged)
        if event.first_set and event.set_by_user:
            # The user has just chosen their first password: no earlier one to warn about. One
            # an administrator chose is still told: it must be changed at the next sign-in.
            return
        await self.mailer.send_to_user(
            connection,
            event_id=received.envelope.id,
            user_id=event.user_id,
            template="password_changed",
            values={
                "set_by_user": event.set_by_user,
                "changed_at": received.envelope.time.isoformat(),
            },
        )

    # --- email addresses --------------------------------------------------------------------

    async def email_change_requested(
        self, connection: asyncpg.Connection, received: ReceivedEvent
    ) -> None:
        event = received.event
        assert isinstance(event, identity.EmailChangeRequested)
        await self.emailed_link(
            connection,
            received,
            to=str(event.new_email),
            language=event.language,
            template="email_change_confirmation",
            link=("email/confirm", event.confirmation),
            user_id=event.user_id,
            values={"new_email": str(event.new_email)},
        )

    async def email_changed(self, connection: asyncpg.Connection, received: ReceivedEvent) -> None:
        event = received.event
        assert isinstance(event, identity.EmailChanged)
        known = await directory.find_user(connection, event.user_id)
        await directory.update_email(connection, user_id=event.user_id, email=str(event.email))
        # To the address that was left: if someone else made the change, its owner learns it.
        await self.mailer.send(
            connection,
            event_id=received.envelope.id,
            to=str(event.previous_email),
            language=known.language if known else None,
            template="email_changed",
            values={
                "first_name": known.first_name if known else "",
                "new_email": str(event.email),
                "changed_at": received.envelope.time.isoformat(),
            },
            user_id=event.user_id,
        )

    # --- organisation change requests -------------------------------------------------------

    async def organisation_change_decided(
        self, connection: asyncpg.Connection, received: ReceivedEvent
    ) -> None:
        event = received.event
        assert isinstance(
            event, identity.OrganisationChangeApproved | identity.OrganisationChangeRejected
        )
        if isinstance(event, identity.OrganisationChangeApproved):
            template, values = "organisation_change_approved", {}
        else:
            template, values = "organisation_change_rejected", {"reason": event.reason}
        await self.mailer.send_to_user(
            connection,
            event_id=received.envelope.id,
            user_id=event.requested_by,
            template=template,
            values=values,
            organisation_id=event.organisation_id,
        )


def identity_subscription(mailer: Mailer) -> Subscription:
    emails = IdentityEmails(mailer)
    handlers: dict[str, Handler] = {
        identity.OrganisationRegistered.type: emails.organisation_known,
        identity.OrganisationDetailsChanged.type: emails.organisation_known,
        identity.ReferentsChanged.type: emails.referents_changed,
        identity.PersonalInformationChanged.type: emails.personal_information_changed,
        identity.CustomerAdminAppointed.type: emails.admin_role_changed,
        identity.CustomerAdminRevoked.type: emails.admin_role_changed,
        identity.PortalAccessGranted.type: emails.portal_access_granted,
        identity.StaffAccountCreated.type: emails.staff_account_created,
        identity.UserSelfRegistered.type: emails.user_self_registered,
        identity.AccountActivated.type: emails.membership_status_changed,
        identity.AccountBlocked.type: emails.membership_status_changed,
        identity.PasswordResetRequested.type: emails.password_reset_requested,
        identity.PasswordChanged.type: emails.password_changed,
        identity.EmailChangeRequested.type: emails.email_change_requested,
        identity.EmailChanged.type: emails.email_changed,
        identity.OrganisationChangeApproved.type: emails.organisation_change_decided,
        identity.OrganisationChangeRejected.type: emails.organisation_change_decided,
    }
    return Subscription(
        topic=service_topic(mailer.settings.kafka_namespace, "identity"),
        registry=identity.registry,
        handlers=handlers,
    )
