"""Commands on the user's own data: personal information, consents, erasure request, and
the change of email address."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import asyncpg

from services.identity import credentials, one_time_tokens, queries
from services.identity.domain import (
    InvalidCommand,
    RuleBroken,
    User,
)
from services.identity.domain_types import (
    normalise_email,
)
from services.identity.handlers.unit_of_work import (
    Identity,
    as_user,
    execute,
    load,
    save,
    sealed_link,
)
from shared.events import DomainEvent
from shared.eventstore import EventContext, EventStore

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
            confirmation=sealed_link(identity.sealer, user_id, token, expires_at),
        )
        await save(connection, identity.store, user, user_id, events, as_user(context, user_id))


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
        await save(connection, store, user, used.user_id, events, as_user(context, used.user_id))
    return used.user_id


async def _email_taken(connection: asyncpg.Connection, email: str, user_id: uuid.UUID) -> bool:
    owner = await queries.user_id_by_email(connection, email)
    return owner is not None and owner != user_id
