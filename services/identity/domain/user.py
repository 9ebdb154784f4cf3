"""The user aggregate: an account, its memberships of organisations, its password events
and its personal data."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from services.identity.domain.errors import InvalidCommand, RuleBroken
from services.identity.domain_types import (
    Language,
    MembershipStatus,
)
from services.identity.events import (
    AccountActivated,
    AccountBlocked,
    ConsentGiven,
    ConsentWithdrawn,
    CustomerAdminAppointed,
    CustomerAdminRevoked,
    EmailChanged,
    EmailChangeRequested,
    ErasureRequested,
    ModulesChanged,
    OneTimeLink,
    PasswordChanged,
    PasswordResetRequested,
    PersonalInformationChanged,
    PortalAccessGranted,
    StaffAccountCreated,
    StaffRoleChanged,
    UserSelfRegistered,
)
from shared.aggregate import Aggregate
from shared.auth.claims import CUSTOMER_ROLES, VENDOR_ROLES, Module, Role
from shared.events import DomainEvent


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
class User(Aggregate):
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
    # The address of the latest change request not yet confirmed.
    pending_email: str | None = None

    STREAM_TYPE = "user"

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
            case StaffRoleChanged():
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
            case CustomerAdminRevoked():
                self.memberships[event.organisation_id].role = Role.CUSTOMER_USER
            case PasswordChanged():
                self.has_password = True
            case PersonalInformationChanged():
                self.first_name = event.first_name
                self.last_name = event.last_name
                self.function = event.function
                self.phone = event.phone
                self.language = event.language
            case EmailChangeRequested():
                self.pending_email = event.new_email
            case EmailChanged():
                self.email = event.email
                self.pending_email = None
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

    def change_staff_role(self, *, role: Role, by: uuid.UUID) -> list[DomainEvent]:
        if not self.is_staff:
            raise RuleBroken("this user is not a member of the vendor's staff")
        if role not in VENDOR_ROLES:
            raise InvalidCommand("role", "a staff account has a vendor role")
        # Nobody changes their own role: the staff always keeps the admin who acts.
        if by == self.user_id:
            raise RuleBroken("you cannot change your own role")
        if role is self.staff_role:
            return []
        return [StaffRoleChanged(user_id=self.user_id, role=role, changed_by=by)]

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

    def revoke_admin(self, *, organisation_id: uuid.UUID, by: uuid.UUID) -> list[DomainEvent]:
        membership = self._membership(organisation_id)
        # Nobody removes their own role: an organisation always keeps the admin who acts.
        if by == self.user_id:
            raise RuleBroken("you cannot remove your own administrator role")
        if membership.role is not Role.CUSTOMER_ADMIN:
            return []
        return [
            CustomerAdminRevoked(
                user_id=self.user_id, organisation_id=organisation_id, revoked_by=by
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
            PasswordChanged(
                user_id=self.user_id,
                set_by_user=set_by_user,
                expires_at=expires_at,
                first_set=not self.has_password,
            )
        ]

    def set_password_for_them(
        self, *, by: uuid.UUID, administered: uuid.UUID | None, expires_at: dt.datetime | None
    ) -> list[DomainEvent]:
        """A temporary password chosen by an administrator: the vendor's back office
        (`administered` None) or a customer admin of `administered`. It must be changed at the
        next sign-in, so it opens nothing lasting; still, a customer admin may not reach a user
        who also has access elsewhere: with the password they would act in that organisation."""
        self._require_existence()
        if by == self.user_id:
            raise RuleBroken("you cannot set your own password this way: change it in your account")
        if administered is not None and (self.is_staff or set(self.memberships) != {administered}):
            raise RuleBroken(
                "this user also has access to another organisation: only the vendor can set"
                " their password"
            )
        return self.change_password(set_by_user=False, expires_at=expires_at)

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

    def request_email_change(
        self, *, new_email: str, confirmation: OneTimeLink
    ) -> list[DomainEvent]:
        self._require_existence()
        if new_email == self.email:
            raise InvalidCommand("new_email", "this is already your address")
        return [
            EmailChangeRequested(
                user_id=self.user_id,
                new_email=new_email,
                language=self.language,
                confirmation=confirmation,
            )
        ]

    def confirm_email_change(self) -> list[DomainEvent]:
        self._require_existence()
        if self.pending_email is None:
            raise RuleBroken("there is no change of address to confirm")
        return [
            EmailChanged(user_id=self.user_id, previous_email=self.email, email=self.pending_email)
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
