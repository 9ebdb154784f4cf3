"""The identity service's published events: a public contract (see docs/events.md).

No event carries a password or its hash. The one-time links of invitation and reset emails
travel sealed (`shared.sealing`): only the notifications service can open them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from services.identity.domain_types import (
    ContactDetails,
    Language,
    Network,
    OrganisationCode,
    OrganisationDetails,
    OrganisationStatus,
    Referents,
)
from shared.auth.claims import Module, Role
from shared.events import DomainEvent, EventRegistry

registry = EventRegistry(source="identity")


# --- organisations ---------------------------------------------------------------------------


@registry.register
class OrganisationRegistered(DomainEvent):
    """The back office created a customer organisation."""

    type: ClassVar[str] = "guichet.identity.OrganisationRegistered"
    version: ClassVar[int] = 1

    organisation_id: uuid.UUID
    code: OrganisationCode
    status: OrganisationStatus
    language: Language
    currency: str
    details: OrganisationDetails


@registry.register
class OrganisationDetailsChanged(DomainEvent):
    """The organisation's details as they are now (a whole replacement, not a patch)."""

    type: ClassVar[str] = "guichet.identity.OrganisationDetailsChanged"
    version: ClassVar[int] = 1

    organisation_id: uuid.UUID
    status: OrganisationStatus
    language: Language
    currency: str
    details: OrganisationDetails


@registry.register
class ReferentsChanged(DomainEvent):
    """Who receives outage alerts (technical), invoices (accounting) and data-incident alerts
    (DPO) for the organisation, as it is now."""

    type: ClassVar[str] = "guichet.identity.ReferentsChanged"
    version: ClassVar[int] = 1

    organisation_id: uuid.UUID
    referents: Referents


@registry.register
class OrganisationChangeRequested(DomainEvent):
    """A customer admin asked to change the organisation's details or referents; the back
    office approves or rejects it."""

    type: ClassVar[str] = "guichet.identity.OrganisationChangeRequested"
    version: ClassVar[int] = 1

    request_id: uuid.UUID
    organisation_id: uuid.UUID
    requested_by: uuid.UUID
    details: OrganisationDetails | None = None
    referents: Referents | None = None


@registry.register
class OrganisationChangeApproved(DomainEvent):
    type: ClassVar[str] = "guichet.identity.OrganisationChangeApproved"
    version: ClassVar[int] = 1

    request_id: uuid.UUID
    organisation_id: uuid.UUID
    requested_by: uuid.UUID
    decided_by: uuid.UUID


@registry.register
class OrganisationChangeRejected(DomainEvent):
    type: ClassVar[str] = "guichet.identity.OrganisationChangeRejected"
    version: ClassVar[int] = 1

    request_id: uuid.UUID
    organisation_id: uuid.UUID
    requested_by: uuid.UUID
    decided_by: uuid.UUID
    reason: str


# --- contacts --------------------------------------------------------------------------------


@registry.register
class ContactAdded(DomainEvent):
    """The back office added a contact to a customer organisation (seed 002)."""

    type: ClassVar[str] = "guichet.identity.ContactAdded"
    version: ClassVar[int] = 1

    contact_id: uuid.UUID
    organisation_id: uuid.UUID
    details: ContactDetails


@registry.register
class ContactUpdated(DomainEvent):
    """The contact's details as they are now."""

    type: ClassVar[str] = "guichet.identity.ContactUpdated"
    version: ClassVar[int] = 1

    contact_id: uuid.UUID
    organisation_id: uuid.UUID
    details: ContactDetails


# --- users and their access ------------------------------------------------------------------


class OneTimeLink(BaseModel):
    """A sealed one-time token for a link in an email, and when it stops working."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    sealed_token: str = Field(description="Opens only with the sealing key (notifications)")
    expires_at: dt.datetime


@registry.register
class PortalAccessGranted(DomainEvent):
    """The back office gave a contact access to the customer space of an organisation
    ("save and send email", seed 002). `invitation` is set when the user has no password yet:
    the email carries the link to set one."""

    type: ClassVar[str] = "guichet.identity.PortalAccessGranted"
    version: ClassVar[int] = 1

    user_id: uuid.UUID
    organisation_id: uuid.UUID
    contact_id: uuid.UUID
    user_code: str
    email: EmailStr
    first_name: str
    last_name: str
    language: Language
    role: Role
    modules: frozenset[Module]
    allowed_networks: tuple[Network, ...] = ()
    branch_id: uuid.UUID | None = None
    granted_by: uuid.UUID
    invitation: OneTimeLink | None = None


@registry.register
class StaffAccountCreated(DomainEvent):
    """A member of the vendor's staff got an account (agent, back office or admin)."""

    type: ClassVar[str] = "guichet.identity.StaffAccountCreated"
    version: ClassVar[int] = 1

    user_id: uuid.UUID
    user_code: str
    email: EmailStr
    first_name: str
    last_name: str
    language: Language
    role: Role
    invitation: OneTimeLink | None = None


@registry.register
class StaffRoleChanged(DomainEvent):
    """The vendor admin gave a member of the staff another role; their tokens carry it from
    their next refresh."""

    type: ClassVar[str] = "guichet.identity.StaffRoleChanged"
    version: ClassVar[int] = 1

    user_id: uuid.UUID
    role: Role
    changed_by: uuid.UUID


@registry.register
class UserSelfRegistered(DomainEvent):
    """Someone created an account for their organisation from the sign-in page; it waits for
    a customer admin's activation, with only the vendor's limited modules open."""

    type: ClassVar[str] = "guichet.identity.UserSelfRegistered"
    version: ClassVar[int] = 1

    user_id: uuid.UUID
    organisation_id: uuid.UUID
    user_code: str
    email: EmailStr
    first_name: str
    last_name: str
    function: str
    language: Language
    modules: frozenset[Module]


@registry.register
class AccountActivated(DomainEvent):
    """A customer admin (or the back office) activated a user in an organisation: the red
    padlock turned green."""

    type: ClassVar[str] = "guichet.identity.AccountActivated"
    version: ClassVar[int] = 1

    user_id: uuid.UUID
    organisation_id: uuid.UUID
    modules: frozenset[Module]
    activated_by: uuid.UUID


@registry.register
class AccountBlocked(DomainEvent):
    """A user lost access to an organisation at once: their sessions in it end."""

    type: ClassVar[str] = "guichet.identity.AccountBlocked"
    version: ClassVar[int] = 1

    user_id: uuid.UUID
    organisation_id: uuid.UUID
    blocked_by: uuid.UUID


@registry.register
class ModulesChanged(DomainEvent):
    """Which modules a user has in an organisation, as it is now."""

    type: ClassVar[str] = "guichet.identity.ModulesChanged"
    version: ClassVar[int] = 1

    user_id: uuid.UUID
    organisation_id: uuid.UUID
    modules: frozenset[Module]
    changed_by: uuid.UUID


@registry.register
class CustomerAdminAppointed(DomainEvent):
    type: ClassVar[str] = "guichet.identity.CustomerAdminAppointed"
    version: ClassVar[int] = 1

    user_id: uuid.UUID
    organisation_id: uuid.UUID
    appointed_by: uuid.UUID


@registry.register
class CustomerAdminRevoked(DomainEvent):
    """The user is no longer an administrator of the organisation; they stay a user of it."""

    type: ClassVar[str] = "guichet.identity.CustomerAdminRevoked"
    version: ClassVar[int] = 1

    user_id: uuid.UUID
    organisation_id: uuid.UUID
    revoked_by: uuid.UUID


@registry.register
class PasswordChanged(DomainEvent):
    """The user's password was set or changed. `set_by_user` is false when someone else chose
    it (then it must be changed at the next sign-in); `first_set` is true when the account had
    no password before (from an invitation's link), so there is no earlier one to warn about."""

    type: ClassVar[str] = "guichet.identity.PasswordChanged"
    version: ClassVar[int] = 1

    user_id: uuid.UUID
    set_by_user: bool
    expires_at: dt.datetime | None = None
    # Absent from events written before it existed: those were never treated as first sets.
    first_set: bool = False


@registry.register
class PasswordResetRequested(DomainEvent):
    """Someone asked for a password-reset link for this account ("forgot password")."""

    type: ClassVar[str] = "guichet.identity.PasswordResetRequested"
    version: ClassVar[int] = 1

    user_id: uuid.UUID
    email: EmailStr
    language: Language
    reset: OneTimeLink


@registry.register
class PersonalInformationChanged(DomainEvent):
    """The user's own information, as it is now."""

    type: ClassVar[str] = "guichet.identity.PersonalInformationChanged"
    version: ClassVar[int] = 1

    user_id: uuid.UUID
    first_name: str
    last_name: str
    function: str
    phone: str
    language: Language


@registry.register
class EmailChangeRequested(DomainEvent):
    """The user asked to sign in with another address. The email to that address carries the
    link that proves they receive mail there; the login does not change until it is opened."""

    type: ClassVar[str] = "guichet.identity.EmailChangeRequested"
    version: ClassVar[int] = 1

    user_id: uuid.UUID
    new_email: EmailStr
    language: Language
    confirmation: OneTimeLink


@registry.register
class EmailChanged(DomainEvent):
    """The user's login and contact address is now `email`."""

    type: ClassVar[str] = "guichet.identity.EmailChanged"
    version: ClassVar[int] = 1

    user_id: uuid.UUID
    previous_email: EmailStr
    email: EmailStr


@registry.register
class ConsentGiven(DomainEvent):
    type: ClassVar[str] = "guichet.identity.ConsentGiven"
    version: ClassVar[int] = 1

    user_id: uuid.UUID
    purpose: str


@registry.register
class ConsentWithdrawn(DomainEvent):
    type: ClassVar[str] = "guichet.identity.ConsentWithdrawn"
    version: ClassVar[int] = 1

    user_id: uuid.UUID
    purpose: str


@registry.register
class ErasureRequested(DomainEvent):
    """The user asked for their personal data to be erased (GDPR art. 17)."""

    type: ClassVar[str] = "guichet.identity.ErasureRequested"
    version: ClassVar[int] = 1

    user_id: uuid.UUID


# --- OAuth clients ---------------------------------------------------------------------------
# The client's secret, or its hash, is never in an event (decision 0009).


@registry.register
class OAuthClientRegistered(DomainEvent):
    """The vendor admin registered an OAuth client: a mobile app (`public`: users sign in
    with authorization code + PKCE, redirected to one of its URIs) or an internal system
    (`confidential`: client credentials, acting with the role `service` and these scopes)."""

    type: ClassVar[str] = "guichet.identity.OAuthClientRegistered"
    version: ClassVar[int] = 1

    client_id: str
    name: str
    kind: str = Field(pattern="^(public|confidential)$")
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]


@registry.register
class OAuthClientRevoked(DomainEvent):
    """The vendor admin revoked an OAuth client: it gets no more tokens, and the sessions it
    opened are ended."""

    type: ClassVar[str] = "guichet.identity.OAuthClientRevoked"
    version: ClassVar[int] = 1

    client_id: str
