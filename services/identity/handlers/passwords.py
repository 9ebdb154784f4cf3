"""Commands that set a password: from an emailed link, by the user, by an administrator, or
after expiry; and asking for a reset link."""

from __future__ import annotations

import uuid

import asyncpg

from services.identity import credentials, one_time_tokens, queries, sessions
from services.identity.domain import (
    InvalidCommand,
    User,
)
from services.identity.domain_types import (
    normalise_email,
)
from services.identity.handlers.unit_of_work import (
    Identity,
    as_user,
    load,
    save,
    sealed_link,
)
from shared.eventstore import EventContext, EventStore

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
    await save(connection, store, user, user_id, events, as_user(context, user_id))


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
            reset=sealed_link(identity.sealer, user_id, token, expires_at)
        )
        await save(connection, identity.store, user, user_id, events, as_user(context, user_id))


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
