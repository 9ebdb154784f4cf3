"""One function per command on identity's aggregates: load, decide, append with the expected
version, project, all in one transaction. Sign-in and sessions are in `authentication.py`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import asyncpg

from services.identity import credentials, one_time_tokens, projections, queries, sessions
from services.identity.domain import (
    Contact,
    InvalidCommand,
    Organisation,
    RuleBroken,
    User,
)
from services.identity.domain_types import (
    ContactDetails,
    Language,
    OrganisationDetails,
    OrganisationStatus,
    Referents,
    normalise_email,
)
from services.identity.events import AccountBlocked, OneTimeLink
from services.identity.settings import IdentitySettings
from shared.aggregate import Aggregate
from shared.auth.claims import Module, Role
from shared.events import DomainEvent
from shared.eventstore import EventContext, EventStore
from shared.sealing import Sealer

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class Identity:
    """What identity's handlers need besides the database."""

    store: EventStore
    sealer: Sealer
    invitation_lifetime: dt.timedelta
    reset_lifetime: dt.timedelta
    email_confirmation_lifetime: dt.timedelta

    @classmethod
    def configured(cls, settings: IdentitySettings, store: EventStore) -> Identity:
        return cls(
            store=store,
            sealer=Sealer(settings.sealing_key),
            invitation_lifetime=dt.timedelta(hours=settings.invitation_hours),
            reset_lifetime=dt.timedelta(minutes=settings.reset_minutes),
            email_confirmation_lifetime=dt.timedelta(hours=settings.email_confirmation_hours),
        )


async def load(
    connection: asyncpg.Connection, store: EventStore, kind: type[A], aggregate_id: uuid.UUID
) -> A:
    events, _ = await store.load(connection, str(aggregate_id))
    return kind.from_history(aggregate_id, events)


async def save(
    connection: asyncpg.Connection,
    store: EventStore,
    aggregate: Aggregate,
    aggregate_id: uuid.UUID,
    events: list[DomainEvent],
    context: EventContext,
) -> None:
    if not events:
        return
    recorded = await store.append(
        connection,
        stream_id=str(aggregate_id),
        stream_type=aggregate.STREAM_TYPE,
        expected_version=aggregate.version,
        events=events,
        context=context,
    )
    await projections.project(connection, store, recorded)


async def execute(
    pool: asyncpg.Pool,
    store: EventStore,
    kind: type[A],
    aggregate_id: uuid.UUID,
    decide: Callable[[A], list[DomainEvent]],
    context: EventContext,
) -> None:
    """The unit of work of a command that touches one aggregate and nothing else."""
    async with pool.acquire() as connection, connection.transaction():
        aggregate = await load(connection, store, kind, aggregate_id)
        await save(connection, store, aggregate, aggregate_id, decide(aggregate), context)


def _sealed_link(
    sealer: Sealer, user_id: uuid.UUID, token: str, expires_at: dt.datetime
) -> OneTimeLink:
    return OneTimeLink(sealed_token=sealer.seal(token, subject=str(user_id)), expires_at=expires_at)


# --- organisations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationFacts:
    status: OrganisationStatus
    language: Language
    currency: str
    details: OrganisationDetails


async def register_organisation(
    pool: asyncpg.Pool,
    store: EventStore,
    code: str,
    facts: OrganisationFacts,
    context: EventContext,
) -> uuid.UUID:
    organisation_id = uuid.uuid4()
    async with pool.acquire() as connection, connection.transaction():
        if await queries.organisation_code_taken(connection, code):
            raise RuleBroken(f"the code {code} is already used by another organisation")
        organisation = Organisation(organisation_id)
        events = organisation.register(
            code=code,
            status=facts.status,
            language=facts.language,
            currency=facts.currency,
            details=facts.details,
        )
        await save(connection, store, organisation, organisation_id, events, context)
    return organisation_id


async def change_organisation(
    pool: asyncpg.Pool,
    store: EventStore,
    organisation_id: uuid.UUID,
    facts: OrganisationFacts,
    context: EventContext,
) -> None:
    await execute(
        pool,
        store,
        Organisation,
        organisation_id,
        lambda organisation: organisation.change_details(
            status=facts.status,
            language=facts.language,
            currency=facts.currency,
            details=facts.details,
        ),
        context,
    )


async def request_organisation_change(
    pool: asyncpg.Pool,
    store: EventStore,
    organisation_id: uuid.UUID,
    requested_by: uuid.UUID,
    details: OrganisationDetails | None,
    referents: Referents | None,
    context: EventContext,
) -> uuid.UUID:
    request_id = uuid.uuid4()
    async with pool.acquire() as connection, connection.transaction():
        organisation = await load(connection, store, Organisation, organisation_id)
        active = await queries.active_member_ids(connection, organisation_id)
        events = organisation.request_change(
            request_id=request_id,
            requested_by=requested_by,
            details=details,
            referents=referents,
            active_members=active,
        )
        await save(connection, store, organisation, organisation_id, events, context)
    return request_id


async def decide_organisation_change(
    pool: asyncpg.Pool,
    store: EventStore,
    request_id: uuid.UUID,
    decided_by: uuid.UUID,
    rejection_reason: str | None,
    context: EventContext,
) -> None:
    """Approve the change request (no reason) or reject it (with the reason)."""
    async with pool.acquire() as connection, connection.transaction():
        organisation_id = await queries.change_request_organisation(connection, request_id)
        if organisation_id is None:
            raise LookupError("no such change request")
        organisation = await load(connection, store, Organisation, organisation_id)
        if rejection_reason is None:
            active = await queries.active_member_ids(connection, organisation_id)
            events = organisation.approve_change(
                request_id=request_id, decided_by=decided_by, active_members=active
            )
        else:
            events = organisation.reject_change(
                request_id=request_id, decided_by=decided_by, reason=rejection_reason
            )
        await save(connection, store, organisation, organisation_id, events, context)


# --- contacts --------------------------------------------------------------------------------


async def add_contact(
    pool: asyncpg.Pool,
    store: EventStore,
    organisation_id: uuid.UUID,
    details: ContactDetails,
    context: EventContext,
) -> uuid.UUID:
    contact_id = uuid.uuid4()
    async with pool.acquire() as connection, connection.transaction():
        if not await queries.organisation_exists(connection, organisation_id):
            raise LookupError("no such organisation")
        contact = Contact(contact_id)
        events = contact.add(organisation_id=organisation_id, details=details)
        await save(connection, store, contact, contact_id, events, context)
    return contact_id


async def update_contact(
    pool: asyncpg.Pool,
    store: EventStore,
    contact_id: uuid.UUID,
    details: ContactDetails,
    context: EventContext,
) -> None:
    await execute(
        pool, store, Contact, contact_id, lambda contact: contact.update(details=details), context
    )


# --- portal access ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PortalAccess:
    contact_id: uuid.UUID
    email: str | None
    modules: frozenset[Module]
    allowed_networks: tuple[str, ...]
    branch_id: uuid.UUID | None
    language: Language | None


async def grant_portal_access(
    pool: asyncpg.Pool,
    identity: Identity,
    access: PortalAccess,
    granted_by: uuid.UUID,
    context: EventContext,
) -> uuid.UUID:
    """'Save and send email' (seed 002): the contact becomes a user of the organisation (or an
    existing user with the same email gets this organisation too) and is invited."""
    async with pool.acquire() as connection, connection.transaction():
        contact = await load(connection, identity.store, Contact, access.contact_id)
        if contact.organisation_id is None or contact.details is None:
            raise LookupError("no such contact")
        email = access.email or contact.details.email
        if not email:
            raise InvalidCommand("email", "the contact has no email address: give one")
        organisation = await queries.organisation_summary(connection, contact.organisation_id)
        assert organisation is not None
        if access.branch_id is not None and access.branch_id not in organisation.branches:
            raise InvalidCommand("branch_id", "this organisation has no such branch")
        existing = await queries.user_id_by_email(connection, normalise_email(email))
        user_id = existing or uuid.uuid4()
        user = await load(connection, identity.store, User, user_id)
        invitation = None
        if not user.has_password:
            token, expires_at = await one_time_tokens.mint(
                connection,
                user_id,
                one_time_tokens.Purpose.INVITATION,
                identity.invitation_lifetime,
            )
            invitation = _sealed_link(identity.sealer, user_id, token, expires_at)
        events = user.grant_portal_access(
            organisation_id=contact.organisation_id,
            contact_id=access.contact_id,
            user_code=user.user_code or await next_user_code(connection, organisation.code),
            email=normalise_email(email),
            first_name=contact.details.first_name,
            last_name=contact.details.last_name,
            language=access.language or organisation.language,
            modules=access.modules,
            allowed_networks=access.allowed_networks,
            branch_id=access.branch_id,
            granted_by=granted_by,
            invitation=invitation,
        )
        await save(connection, identity.store, user, user_id, events, context)
    return user_id


async def next_user_code(connection: asyncpg.Connection, prefix: str) -> str:
    """The prefix (the organisation's code) followed by the next number: 8005551 → 8005551001."""
    number = await connection.fetchval(
        "INSERT INTO user_code_counters (prefix, last) VALUES ($1, 1)"
        " ON CONFLICT (prefix) DO UPDATE SET last = user_code_counters.last + 1 RETURNING last",
        prefix,
    )
    return f"{prefix}{number:03d}"


@dataclass(frozen=True)
class StaffMember:
    email: str
    first_name: str
    last_name: str
    language: Language
    role: Role


async def create_staff_account(
    pool: asyncpg.Pool, identity: Identity, member: StaffMember, context: EventContext
) -> uuid.UUID:
    async with pool.acquire() as connection, connection.transaction():
        email = normalise_email(member.email)
        if await queries.user_id_by_email(connection, email):
            raise RuleBroken("an account already exists with this email")
        user_id = uuid.uuid4()
        user = User(user_id)
        token, expires_at = await one_time_tokens.mint(
            connection, user_id, one_time_tokens.Purpose.INVITATION, identity.invitation_lifetime
        )
        events = user.create_staff_account(
            user_code=await next_user_code(connection, "S"),
            email=email,
            first_name=member.first_name,
            last_name=member.last_name,
            language=member.language,
            role=member.role,
            invitation=_sealed_link(identity.sealer, user_id, token, expires_at),
        )
        await save(connection, identity.store, user, user_id, events, context)
    return user_id


@dataclass(frozen=True)
class Registration:
    organisation_code: str
    email: str
    first_name: str
    last_name: str
    function: str
    language: Language
    password: str


async def self_register(
    pool: asyncpg.Pool,
    store: EventStore,
    registration: Registration,
    pending_modules: frozenset[Module],
    password_rules: credentials.PasswordRules,
    context: EventContext,
) -> uuid.UUID | None:
    """A pending user of the organisation whose code was given. None when the email already
    has an account: the caller answers the same way, so registering reveals no account."""
    email = normalise_email(registration.email)
    credentials.check(
        password_rules,
        registration.password,
        personal=(email, registration.first_name, registration.last_name),
    )
    password_hash = await password_rules.hasher.hash_async(registration.password)
    async with pool.acquire() as connection, connection.transaction():
        organisation = await queries.organisation_by_code(
            connection, registration.organisation_code
        )
        if organisation is None:
            raise InvalidCommand("organisation_code", "no organisation has this code")
        if await queries.user_id_by_email(connection, email):
            return None
        user_id = uuid.uuid4()
        user = User(user_id)
        events = user.self_register(
            organisation_id=organisation.organisation_id,
            user_code=await next_user_code(connection, organisation.code),
            email=email,
            first_name=registration.first_name,
            last_name=registration.last_name,
            function=registration.function,
            language=registration.language,
            modules=pending_modules,
        )
        context = EventContext(
            correlation_id=context.correlation_id,
            organisation_id=organisation.organisation_id,
            actor_id=str(user_id),
        )
        await save(connection, store, user, user_id, events, context)
        await credentials.store(
            connection, user_id, password_hash, set_by_user=True, rules=password_rules
        )
    return user_id


async def change_membership(
    pool: asyncpg.Pool,
    store: EventStore,
    user_id: uuid.UUID,
    organisation_id: uuid.UUID,
    decide: Callable[[User], list[DomainEvent]],
    context: EventContext,
) -> None:
    """Activate, block, appoint or change modules; a user blocked in an organisation has their
    sessions in it ended in the same transaction."""
    async with pool.acquire() as connection, connection.transaction():
        user = await load(connection, store, User, user_id)
        events = decide(user)
        await save(connection, store, user, user_id, events, context)
        if any(isinstance(event, AccountBlocked) for event in events):
            await sessions.revoke_all(connection, user_id, "blocked", organisation_id)


# --- passwords -------------------------------------------------------------------------------


async def set_password_with_link(
    pool: asyncpg.Pool,
    store: EventStore,
    token: str,
    password: str,
    rules: credentials.PasswordRules,
    context: EventContext,
) -> uuid.UUID:
    """The invitation's or the reset email's link: the user chooses their password. Every
    session ends (a reset often follows a suspected compromise)."""
    async with pool.acquire() as connection, connection.transaction():
        used = await one_time_tokens.use(
            connection, token, {one_time_tokens.Purpose.INVITATION, one_time_tokens.Purpose.RESET}
        )
        if used is None:
            raise credentials.LinkUnusable
        await _set_own_password(connection, store, used.user_id, password, rules, context)
        await sessions.revoke_all(connection, used.user_id, "password set by link")
    return used.user_id


async def _set_own_password(
    connection: asyncpg.Connection,
    store: EventStore,
    user_id: uuid.UUID,
    password: str,
    rules: credentials.PasswordRules,
    context: EventContext,
) -> None:
    user = await load(connection, store, User, user_id)
    credentials.check(
        rules, password, personal=(user.email, user.user_code, user.first_name, user.last_name)
    )
    password_hash = await rules.hasher.hash_async(password)
    expires_at = await credentials.store(
        connection, user_id, password_hash, set_by_user=True, rules=rules
    )
    events = user.change_password(set_by_user=True, expires_at=expires_at)
    await save(connection, store, user, user_id, events, _as_user(context, user_id))


async def set_temporary_password(
    pool: asyncpg.Pool,
    store: EventStore,
    user_id: uuid.UUID,
    password: str,
    rules: credentials.PasswordRules,
    *,
    by: uuid.UUID,
    administered: uuid.UUID | None,
    context: EventContext,
) -> None:
    """An administrator sets the user's password (`administered`: the organisation a customer
    admin acts for; None for the vendor's back office). It is stored as not chosen by the user,
    so signing in with it asks for a new one; every session of the user ends."""
    async with pool.acquire() as connection, connection.transaction():
        user = await load(connection, store, User, user_id)
        credentials.check(
            rules, password, personal=(user.email, user.user_code, user.first_name, user.last_name)
        )
        password_hash = await rules.hasher.hash_async(password)
        expires_at = await credentials.store(
            connection, user_id, password_hash, set_by_user=False, rules=rules
        )
        events = user.set_password_for_them(by=by, administered=administered, expires_at=expires_at)
        await save(connection, store, user, user_id, events, context)
        await sessions.revoke_all(connection, user_id, "password set by an administrator")


def _as_user(context: EventContext, user_id: uuid.UUID) -> EventContext:
    return EventContext(
        correlation_id=context.correlation_id,
        organisation_id=context.organisation_id,
        actor_id=context.actor_id or str(user_id),
        causation_id=context.causation_id,
    )


async def request_password_reset(
    pool: asyncpg.Pool, identity: Identity, email: str, context: EventContext
) -> None:
    """Forgot password: a reset link if the email has an account, nothing otherwise. The
    caller answers the same in both cases."""
    async with pool.acquire() as connection, connection.transaction():
        user_id = await queries.user_id_by_email(connection, normalise_email(email))
        if user_id is None:
            return
        user = await load(connection, identity.store, User, user_id)
        token, expires_at = await one_time_tokens.mint(
            connection, user_id, one_time_tokens.Purpose.RESET, identity.reset_lifetime
        )
        events = user.request_password_reset(
            reset=_sealed_link(identity.sealer, user_id, token, expires_at)
        )
        await save(connection, identity.store, user, user_id, events, _as_user(context, user_id))


async def change_own_password(
    pool: asyncpg.Pool,
    store: EventStore,
    user_id: uuid.UUID,
    current_password: str,
    new_password: str,
    rules: credentials.PasswordRules,
    context: EventContext,
) -> None:
    async with pool.acquire() as connection, connection.transaction():
        if not await credentials.verify(connection, user_id, current_password, rules):
            raise credentials.WrongPassword
        await _set_own_password(connection, store, user_id, new_password, rules, context)


async def replace_expired_password(
    pool: asyncpg.Pool,
    store: EventStore,
    ticket: str,
    new_password: str,
    rules: credentials.PasswordRules,
    context: EventContext,
) -> one_time_tokens.UsedToken:
    """The forced change at sign-in: the ticket sign-in gave proves the old password."""
    async with pool.acquire() as connection, connection.transaction():
        used = await one_time_tokens.use(
            connection, ticket, {one_time_tokens.Purpose.EXPIRED_PASSWORD}
        )
        if used is None:
            raise credentials.LinkUnusable
        if await credentials.verify(connection, used.user_id, new_password, rules):
            raise InvalidCommand("new_password", "choose a password other than the current one")
        await _set_own_password(connection, store, used.user_id, new_password, rules, context)
    return used


# --- personal data ---------------------------------------------------------------------------


async def run_user_command(
    pool: asyncpg.Pool,
    store: EventStore,
    user_id: uuid.UUID,
    decide: Callable[[User], list[DomainEvent]],
    context: EventContext,
) -> None:
    await execute(pool, store, User, user_id, decide, context)


async def request_email_change(
    pool: asyncpg.Pool,
    identity: Identity,
    user_id: uuid.UUID,
    current_password: str,
    new_email: str,
    rules: credentials.PasswordRules,
    context: EventContext,
) -> None:
    """The new address gets a confirmation link; the login changes when it is opened. The
    password is asked again: whoever holds a session must not take the account over."""
    email = normalise_email(new_email)
    async with pool.acquire() as connection, connection.transaction():
        if not await credentials.verify(connection, user_id, current_password, rules):
            raise credentials.WrongPassword
        if await _email_taken(connection, email, user_id):
            raise InvalidCommand("new_email", "another account already uses this address")
        user = await load(connection, identity.store, User, user_id)
        token, expires_at = await one_time_tokens.mint(
            connection,
            user_id,
            one_time_tokens.Purpose.EMAIL_CHANGE,
            identity.email_confirmation_lifetime,
        )
        events = user.request_email_change(
            new_email=email,
            confirmation=_sealed_link(identity.sealer, user_id, token, expires_at),
        )
        await save(connection, identity.store, user, user_id, events, _as_user(context, user_id))


async def confirm_email_change(
    pool: asyncpg.Pool, store: EventStore, token: str, context: EventContext
) -> uuid.UUID:
    """The link of the confirmation email: only the latest request's link opens (minting a
    new token ends the older ones), and the address is checked free again."""
    async with pool.acquire() as connection, connection.transaction():
        used = await one_time_tokens.use(connection, token, {one_time_tokens.Purpose.EMAIL_CHANGE})
        if used is None:
            raise credentials.LinkUnusable
        user = await load(connection, store, User, used.user_id)
        events = user.confirm_email_change()
        if user.pending_email and await _email_taken(connection, user.pending_email, user.user_id):
            raise RuleBroken("another account has taken this address meanwhile")
        await save(connection, store, user, used.user_id, events, _as_user(context, used.user_id))
    return used.user_id


async def _email_taken(connection: asyncpg.Connection, email: str, user_id: uuid.UUID) -> bool:
    owner = await queries.user_id_by_email(connection, email)
    return owner is not None and owner != user_id
