"""Identity's aggregates: organisations, contacts and users. State is folded from events; a
command checks invariants and returns new events. No I/O."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from services.identity.domain_types import (
    ContactDetails,
    Language,
    MembershipStatus,
    OrganisationDetails,
    OrganisationStatus,
    Referents,
)
from services.identity.events import (
    AccountActivated,
    AccountBlocked,
    ConsentGiven,
    ConsentWithdrawn,
    ContactAdded,
    ContactUpdated,
    CustomerAdminAppointed,
    ErasureRequested,
    ModulesChanged,
    OneTimeLink,
    OrganisationChangeApproved,
    OrganisationChangeRejected,
    OrganisationChangeRequested,
    OrganisationDetailsChanged,
    OrganisationRegistered,
    PasswordChanged,
    PasswordResetRequested,
    PersonalInformationChanged,
    PortalAccessGranted,
    ReferentsChanged,
    StaffAccountCreated,
    UserSelfRegistered,
)
from shared.auth.claims import CUSTOMER_ROLES, VENDOR_ROLES, Module, Role
from shared.events import DomainEvent


class RuleBroken(ValueError):
    """A command the aggregate's current state does not allow (answered 409)."""


class InvalidCommand(ValueError):
    """A command whose content is wrong whatever the state (answered 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# --- organisations ---------------------------------------------------------------------------


@dataclass
class PendingChange:
    requested_by: uuid.UUID
    details: OrganisationDetails | None
    referents: Referents | None


@dataclass
class Organisation:
    organisation_id: uuid.UUID
    version: int = 0
    code: str = ""
    status: OrganisationStatus = OrganisationStatus.ACTIVE
    language: Language = "fr"
    currency: str = "EUR"
    details: OrganisationDetails | None = None
    referents: Referents = field(default_factory=Referents)
    pending: dict[uuid.UUID, PendingChange] = field(default_factory=dict)

    STREAM_TYPE = "organisation"

    @classmethod
    def from_history(cls, organisation_id: uuid.UUID, events: list[DomainEvent]) -> Organisation:
        organisation = cls(organisation_id)
        for event in events:
            organisation.apply(event)
        return organisation

    @property
    def exists(self) -> bool:
        return self.version > 0

    def apply(self, event: DomainEvent) -> None:
        match event:
            case OrganisationRegistered() | OrganisationDetailsChanged():
                if isinstance(event, OrganisationRegistered):
                    self.code = event.code
                self.status = event.status
                self.language = event.language
                self.currency = event.currency
                self.details = event.details
            case ReferentsChanged():
                self.referents = event.referents
            case OrganisationChangeRequested():
                self.pending[event.request_id] = PendingChange(
                    event.requested_by, event.details, event.referents
                )
            case OrganisationChangeApproved() | OrganisationChangeRejected():
                self.pending.pop(event.request_id, None)
        self.version += 1

    def register(
        self,
        *,
        code: str,
        status: OrganisationStatus,
        language: Language,
        currency: str,
        details: OrganisationDetails,
    ) -> list[DomainEvent]:
        if self.exists:
            raise RuleBroken("this organisation already exists")
        _check_branches(details)
        return [
            OrganisationRegistered(
                organisation_id=self.organisation_id,
                code=code,
                status=status,
                language=language,
                currency=currency,
                details=details,
            )
        ]

    def change_details(
        self,
        *,
        status: OrganisationStatus,
        language: Language,
        currency: str,
        details: OrganisationDetails,
    ) -> list[DomainEvent]:
        self._require_existence()
        _check_branches(details)
        if (status, language, currency, details) == (
            self.status,
            self.language,
            self.currency,
            self.details,
        ):
            return []
        return [
            OrganisationDetailsChanged(
                organisation_id=self.organisation_id,
                status=status,
                language=language,
                currency=currency,
                details=details,
            )
        ]

    def request_change(
        self,
        *,
        request_id: uuid.UUID,
        requested_by: uuid.UUID,
        details: OrganisationDetails | None,
        referents: Referents | None,
        active_members: set[uuid.UUID],
    ) -> list[DomainEvent]:
        self._require_existence()
        if details is None and referents is None:
            raise InvalidCommand("details", "a change request must change something")
        if details is not None:
            _check_branches(details)
        if referents is not None:
            _check_referents(referents, active_members)
        return [
            OrganisationChangeRequested(
                request_id=request_id,
                organisation_id=self.organisation_id,
                requested_by=requested_by,
                details=details,
                referents=referents,
            )
        ]

    def approve_change(
        self, *, request_id: uuid.UUID, decided_by: uuid.UUID, active_members: set[uuid.UUID]
    ) -> list[DomainEvent]:
        change = self._pending(request_id)
        events: list[DomainEvent] = [
            OrganisationChangeApproved(
                request_id=request_id,
                organisation_id=self.organisation_id,
                requested_by=change.requested_by,
                decided_by=decided_by,
            )
        ]
        if change.details is not None and change.details != self.details:
            events.append(
                OrganisationDetailsChanged(
                    organisation_id=self.organisation_id,
                    status=self.status,
                    language=self.language,
                    currency=self.currency,
                    details=change.details,
                )
            )
        if change.referents is not None and change.referents != self.referents:
            # Users may have been blocked since the request: check again when it takes effect.
            _check_referents(change.referents, active_members)
            events.append(
                ReferentsChanged(organisation_id=self.organisation_id, referents=change.referents)
            )
        return events

    def reject_change(
        self, *, request_id: uuid.UUID, decided_by: uuid.UUID, reason: str
    ) -> list[DomainEvent]:
        change = self._pending(request_id)
        return [
            OrganisationChangeRejected(
                request_id=request_id,
                organisation_id=self.organisation_id,
                requested_by=change.requested_by,
                decided_by=decided_by,
                reason=reason,
            )
        ]

    def _pending(self, request_id: uuid.UUID) -> PendingChange:
        self._require_existence()
        change = self.pending.get(request_id)
        if change is None:
            raise RuleBroken("this change request is not waiting for a decision")
        return change

    def _require_existence(self) -> None:
        if not self.exists:
            raise RuleBroken("there is no such organisation")


def _check_branches(details: OrganisationDetails) -> None:
    ids = [branch.branch_id for branch in details.branches]
    if len(ids) != len(set(ids)):
        raise InvalidCommand("details.branches", "two branches have the same id")


def _check_referents(referents: Referents, active_members: set[uuid.UUID]) -> None:
    if len(set(referents.accounting)) != len(referents.accounting):
        raise InvalidCommand("referents.accounting", "an accounting referent is named twice")
    inactive = referents.users() - active_members
    if inactive:
        raise InvalidCommand("referents", "only active users of the organisation can be referents")


# --- contacts --------------------------------------------------------------------------------


@dataclass
class Contact:
    contact_id: uuid.UUID
    version: int = 0
    organisation_id: uuid.UUID | None = None
    details: ContactDetails | None = None

    STREAM_TYPE = "contact"

    @classmethod
    def from_history(cls, contact_id: uuid.UUID, events: list[DomainEvent]) -> Contact:
        contact = cls(contact_id)
        for event in events:
            contact.apply(event)
        return contact

    def apply(self, event: DomainEvent) -> None:
        match event:
            case ContactAdded() | ContactUpdated():
                self.organisation_id = event.organisation_id
                self.details = event.details
        self.version += 1

    def add(self, *, organisation_id: uuid.UUID, details: ContactDetails) -> list[DomainEvent]:
        if self.version:
            raise RuleBroken("this contact already exists")
        return [
            ContactAdded(
                contact_id=self.contact_id, organisation_id=organisation_id, details=details
            )
        ]

    def update(self, *, details: ContactDetails) -> list[DomainEvent]:
        if self.organisation_id is None:
            raise RuleBroken("there is no such contact")
        if details == self.details:
            return []
        return [
            ContactUpdated(
                contact_id=self.contact_id, organisation_id=self.organisation_id, details=details
            )
        ]


# --- users -----------------------------------------------------------------------------------


@dataclass
class Membership:
    """A user's access to one organisation's customer space."""

    organisation_id: uuid.UUID
    status: MembershipStatus
    role: Role
    modules: frozenset[Module]
    allowed_networks: tuple[str, ...] = ()
    branch_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None


@dataclass
class User:
    user_id: uuid.UUID
    version: int = 0
    user_code: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    function: str = ""
    phone: str = ""
    language: Language = "fr"
    staff_role: Role | None = None
    memberships: dict[uuid.UUID, Membership] = field(default_factory=dict)
    has_password: bool = False
    consents: dict[str, bool] = field(default_factory=dict)
    erasure_requested: bool = False

    STREAM_TYPE = "user"

    @classmethod
    def from_history(cls, user_id: uuid.UUID, events: list[DomainEvent]) -> User:
        user = cls(user_id)
        for event in events:
            user.apply(event)
        return user

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def is_staff(self) -> bool:
        return self.staff_role is not None

    def apply(self, event: DomainEvent) -> None:  # noqa: PLR0912 - one case per event
        match event:
            case PortalAccessGranted():
                self._identify(event.user_code, event.email, event.first_name, event.last_name)
                if not self.version:
                    self.language = event.language
                self.memberships[event.organisation_id] = Membership(
                    organisation_id=event.organisation_id,
                    status=MembershipStatus.ACTIVE,
                    role=event.role,
                    modules=event.modules,
                    allowed_networks=event.allowed_networks,
                    branch_id=event.branch_id,
                    contact_id=event.contact_id,
                )
            case StaffAccountCreated():
                self._identify(event.user_code, event.email, event.first_name, event.last_name)
                self.language = event.language
                self.staff_role = event.role
            case UserSelfRegistered():
                self._identify(event.user_code, event.email, event.first_name, event.last_name)
                self.function = event.function
                self.language = event.language
                self.has_password = True
                self.memberships[event.organisation_id] = Membership(
                    organisation_id=event.organisation_id,
                    status=MembershipStatus.PENDING,
                    role=Role.CUSTOMER_USER,
                    modules=event.modules,
                )
            case AccountActivated():
                membership = self.memberships[event.organisation_id]
                membership.status = MembershipStatus.ACTIVE
                membership.modules = event.modules
            case AccountBlocked():
                self.memberships[event.organisation_id].status = MembershipStatus.BLOCKED
            case ModulesChanged():
                self.memberships[event.organisation_id].modules = event.modules
            case CustomerAdminAppointed():
                self.memberships[event.organisation_id].role = Role.CUSTOMER_ADMIN
            case PasswordChanged():
                self.has_password = True
            case PersonalInformationChanged():
                self.first_name = event.first_name
                self.last_name = event.last_name
                self.function = event.function
                self.phone = event.phone
                self.language = event.language
            case ConsentGiven():
                self.consents[event.purpose] = True
            case ConsentWithdrawn():
                self.consents[event.purpose] = False
            case ErasureRequested():
                self.erasure_requested = True
        self.version += 1

    def _identify(self, user_code: str, email: str, first_name: str, last_name: str) -> None:
        if not self.version:
            self.user_code = user_code
            self.email = email
            self.first_name = first_name
            self.last_name = last_name

    # --- access ---

    def grant_portal_access(
        self,
        *,
        organisation_id: uuid.UUID,
        contact_id: uuid.UUID,
        user_code: str,
        email: str,
        first_name: str,
        last_name: str,
        language: Language,
        modules: frozenset[Module],
        allowed_networks: tuple[str, ...],
        branch_id: uuid.UUID | None,
        granted_by: uuid.UUID,
        invitation: OneTimeLink | None,
    ) -> list[DomainEvent]:
        if self.is_staff:
            raise RuleBroken("this email belongs to a member of the vendor's staff")
        if organisation_id in self.memberships:
            raise RuleBroken("this user already has access to this organisation")
        return [
            PortalAccessGranted(
                user_id=self.user_id,
                organisation_id=organisation_id,
                contact_id=contact_id,
                user_code=self.user_code or user_code,
                email=self.email or email,
                first_name=first_name,
                last_name=last_name,
                language=language,
                role=Role.CUSTOMER_USER,
                modules=modules,
                allowed_networks=allowed_networks,
                branch_id=branch_id,
                granted_by=granted_by,
                invitation=None if self.has_password else invitation,
            )
        ]

    def create_staff_account(
        self,
        *,
        user_code: str,
        email: str,
        first_name: str,
        last_name: str,
        language: Language,
        role: Role,
        invitation: OneTimeLink,
    ) -> list[DomainEvent]:
        if self.exists:
            raise RuleBroken("an account already exists with this email")
        if role not in VENDOR_ROLES:
            raise InvalidCommand("role", "a staff account has a vendor role")
        return [
            StaffAccountCreated(
                user_id=self.user_id,
                user_code=user_code,
                email=email,
                first_name=first_name,
                last_name=last_name,
                language=language,
                role=role,
                invitation=invitation,
            )
        ]

    def self_register(
        self,
        *,
        organisation_id: uuid.UUID,
        user_code: str,
        email: str,
        first_name: str,
        last_name: str,
        function: str,
        language: Language,
        modules: frozenset[Module],
    ) -> list[DomainEvent]:
        if self.exists:
            raise RuleBroken("an account already exists with this email")
        return [
            UserSelfRegistered(
                user_id=self.user_id,
                organisation_id=organisation_id,
                user_code=user_code,
                email=email,
                first_name=first_name,
                last_name=last_name,
                function=function,
                language=language,
                modules=modules,
            )
        ]

    def activate(
        self, *, organisation_id: uuid.UUID, modules: frozenset[Module], by: uuid.UUID
    ) -> list[DomainEvent]:
        membership = self._membership(organisation_id)
        if membership.status is MembershipStatus.ACTIVE:
            return []
        return [
            AccountActivated(
                user_id=self.user_id,
                organisation_id=organisation_id,
                modules=modules,
                activated_by=by,
            )
        ]

    def block(self, *, organisation_id: uuid.UUID, by: uuid.UUID) -> list[DomainEvent]:
        membership = self._membership(organisation_id)
        if by == self.user_id:
            raise RuleBroken("you cannot block yourself")
        if membership.status is MembershipStatus.BLOCKED:
            return []
        return [
            AccountBlocked(user_id=self.user_id, organisation_id=organisation_id, blocked_by=by)
        ]

    def change_modules(
        self, *, organisation_id: uuid.UUID, modules: frozenset[Module], by: uuid.UUID
    ) -> list[DomainEvent]:
        membership = self._membership(organisation_id)
        if membership.modules == modules:
            return []
        return [
            ModulesChanged(
                user_id=self.user_id,
                organisation_id=organisation_id,
                modules=modules,
                changed_by=by,
            )
        ]

    def appoint_admin(self, *, organisation_id: uuid.UUID, by: uuid.UUID) -> list[DomainEvent]:
        membership = self._membership(organisation_id)
        if membership.status is not MembershipStatus.ACTIVE:
            raise RuleBroken("only an active user can be an administrator")
        if membership.role is Role.CUSTOMER_ADMIN:
            return []
        return [
            CustomerAdminAppointed(
                user_id=self.user_id, organisation_id=organisation_id, appointed_by=by
            )
        ]

    def _membership(self, organisation_id: uuid.UUID) -> Membership:
        membership = self.memberships.get(organisation_id)
        if membership is None:
            raise RuleBroken("this user has no access to this organisation")
        return membership

    # --- passwords ---

    def change_password(
        self, *, set_by_user: bool, expires_at: dt.datetime | None
    ) -> list[DomainEvent]:
        self._require_existence()
        return [
            PasswordChanged(user_id=self.user_id, set_by_user=set_by_user, expires_at=expires_at)
        ]

    def request_password_reset(self, *, reset: OneTimeLink) -> list[DomainEvent]:
        self._require_existence()
        return [
            PasswordResetRequested(
                user_id=self.user_id, email=self.email, language=self.language, reset=reset
            )
        ]

    # --- personal data ---

    def change_personal_information(
        self, *, first_name: str, last_name: str, function: str, phone: str, language: Language
    ) -> list[DomainEvent]:
        self._require_existence()
        now = (self.first_name, self.last_name, self.function, self.phone, self.language)
        if now == (first_name, last_name, function, phone, language):
            return []
        return [
            PersonalInformationChanged(
                user_id=self.user_id,
                first_name=first_name,
                last_name=last_name,
                function=function,
                phone=phone,
                language=language,
            )
        ]

    def give_consent(self, purpose: str) -> list[DomainEvent]:
        self._require_existence()
        if self.consents.get(purpose) is True:
            return []
        return [ConsentGiven(user_id=self.user_id, purpose=purpose)]

    def withdraw_consent(self, purpose: str) -> list[DomainEvent]:
        self._require_existence()
        if self.consents.get(purpose) is not True:
            return []
        return [ConsentWithdrawn(user_id=self.user_id, purpose=purpose)]

    def request_erasure(self) -> list[DomainEvent]:
        self._require_existence()
        if self.erasure_requested:
            return []
        return [ErasureRequested(user_id=self.user_id)]

    def _require_existence(self) -> None:
        if not self.exists:
            raise RuleBroken("there is no such user")

    # --- what the user may do ---

    def usable_membership(self, organisation_id: uuid.UUID) -> Membership | None:
        """The membership a session may act in: pending (limited modules) or active."""
        membership = self.memberships.get(organisation_id)
        if membership is None or membership.status is MembershipStatus.BLOCKED:
            return None
        assert membership.role in CUSTOMER_ROLES
        return membership
