"""Commands that give or change access: portal access, staff accounts, self-registration,
memberships."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from services.identity import credentials, one_time_tokens, queries, sessions
from services.identity.domain import (
    Contact,
    InvalidCommand,
    RuleBroken,
    User,
)
from services.identity.domain_types import (
    Language,
    normalise_email,
)
from services.identity.events import AccountBlocked
from services.identity.handlers.unit_of_work import (
    Identity,
    load,
    save,
    sealed_link,
)
from shared.auth.claims import Module, Role
from shared.events import DomainEvent
from shared.eventstore import EventContext, EventStore

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
            invitation = sealed_link(identity.sealer, user_id, token, expires_at)
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
            invitation=sealed_link(identity.sealer, user_id, token, expires_at),
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
