"""Signing in, refreshing, switching organisation and signing out: sessions and the tokens
they issue. Decisions about who may act where come from the user aggregate."""

from __future__ import annotations

import datetime as dt
import ipaddress
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
from pydantic import BaseModel

from services.identity import credentials, lockout, one_time_tokens, sessions
from services.identity.access_tokens import AccessTokens
from services.identity.domain import Membership, User
from services.identity.domain_types import normalise_email
from services.identity.handlers import load
from services.identity.metrics import SIGN_INS
from services.identity.queries import user_id_by_login
from shared.eventstore import EventStore

Attempt = TypeVar("Attempt")


@dataclass(frozen=True)
class SessionPolicy:
    session: dt.timedelta
    remembered_session: dt.timedelta
    account_lockout: lockout.LockoutPolicy
    address_lockout: lockout.LockoutPolicy
    expired_password_ticket: dt.timedelta = dt.timedelta(minutes=10)


class Tokens(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth 2.0 token type, not a secret
    expires_in: int
    refresh_token: str
    refresh_expires_at: dt.datetime
    organisation_id: uuid.UUID | None


class PasswordChangeRequired(BaseModel):
    password_change_required: bool = True
    ticket: str
    ticket_expires_at: dt.datetime


@dataclass(frozen=True)
class Proven:
    """A user who gave the right password, and the membership they may act in now."""

    user: User
    membership: Membership | None
    must_change_password: bool


@dataclass(frozen=True)
class ClientGrant:
    """What a user granted an OAuth client when they signed in on its authorization page."""

    client_id: str
    user_id: uuid.UUID
    organisation_id: uuid.UUID | None
    scope: str
    remember_me: bool


class SignInRefused(Exception):
    """Wrong login or password: the same answer whichever it was."""


class LockedOut(Exception):
    def __init__(self, until: dt.datetime) -> None:
        super().__init__("too many failed sign-ins")
        self.until = until


class AccessDenied(Exception):
    """The password was right but the user may not act here (blocked, wrong network, no
    organisation); the message says which, since the user proved who they are."""


@dataclass(frozen=True)
class Authenticator:
    pool: asyncpg.Pool
    store: EventStore
    tokens: AccessTokens
    rules: credentials.PasswordRules
    policy: SessionPolicy

    async def sign_in(
        self,
        login: str,
        password: str,
        *,
        remember_me: bool,
        client_ip: str | None,
        organisation_id: uuid.UUID | None = None,
    ) -> Tokens | PasswordChangeRequired:
        return await _counted(
            self._sign_in(
                login,
                password,
                remember_me=remember_me,
                client_ip=client_ip,
                organisation_id=organisation_id,
            )
        )

    async def _sign_in(
        self,
        login: str,
        password: str,
        *,
        remember_me: bool,
        client_ip: str | None,
        organisation_id: uuid.UUID | None,
    ) -> Tokens | PasswordChangeRequired:
        async with self.pool.acquire() as connection:
            proven = await self._prove(connection, login, password, client_ip, organisation_id)
            async with connection.transaction():
                if proven.must_change_password:
                    ticket, expires_at = await one_time_tokens.mint(
                        connection,
                        proven.user.user_id,
                        one_time_tokens.Purpose.EXPIRED_PASSWORD,
                        self.policy.expired_password_ticket,
                        remember_me=remember_me,
                    )
                    return PasswordChangeRequired(ticket=ticket, ticket_expires_at=expires_at)
                _, tokens = await self._open(
                    connection, proven.user, proven.membership, remember_me=remember_me
                )
                return tokens

    async def authenticate(
        self,
        login: str,
        password: str,
        *,
        client_ip: str | None,
        organisation_id: uuid.UUID | None = None,
    ) -> Proven:
        """Check a login and password exactly as sign-in does (lockout, networks, blocked
        memberships) without opening a session: OAuth's authorization page issues a code."""
        async with self.pool.acquire() as connection:
            return await _counted(
                self._prove(connection, login, password, client_ip, organisation_id)
            )

    async def _prove(
        self,
        connection: asyncpg.Connection,
        login: str,
        password: str,
        client_ip: str | None,
        organisation_id: uuid.UUID | None,
    ) -> Proven:
        keys = [lockout.account_key(normalise_email(login))]
        if client_ip:
            keys.append(lockout.address_key(client_ip))
        until = await lockout.locked_until(connection, keys)
        if until is not None:
            raise LockedOut(until)
        user_id = await user_id_by_login(connection, login)
        verified = await credentials.verify_for_sign_in(connection, user_id, password, self.rules)
        if not verified.matches or user_id is None:
            async with connection.transaction():
                await lockout.record_failure(connection, keys[0], self.policy.account_lockout)
                if client_ip:
                    await lockout.record_failure(connection, keys[1], self.policy.address_lockout)
            raise SignInRefused
        await lockout.clear(connection, keys[0])
        user = await load(connection, self.store, User, user_id)
        membership = _membership_to_act_in(user, organisation_id, client_ip)
        return Proven(user, membership, must_change_password=verified.must_change)

    async def open_session(
        self, user_id: uuid.UUID, *, remember_me: bool, client_ip: str | None
    ) -> Tokens:
        """A session for a user who has just proved who they are another way (the forced
        password change)."""
        async with self.pool.acquire() as connection, connection.transaction():
            user = await load(connection, self.store, User, user_id)
            membership = _membership_to_act_in(user, None, client_ip)
            _, tokens = await self._open(connection, user, membership, remember_me=remember_me)
            return tokens

    async def open_client_session(
        self,
        connection: asyncpg.Connection,
        grant: ClientGrant,
        client_ip: str | None,
    ) -> tuple[sessions.Session, Tokens]:
        """A session for an OAuth client, in the caller's transaction (which also uses up the
        authorization code). The user may have been blocked since they signed in: the same
        rules as sign-in apply again."""
        user = await load(connection, self.store, User, grant.user_id)
        membership = _membership_to_act_in(user, grant.organisation_id, client_ip)
        if membership is not None and membership.organisation_id != grant.organisation_id:
            raise AccessDenied("you have no access to this organisation")
        return await self._open(
            connection,
            user,
            membership,
            remember_me=grant.remember_me,
            client_id=grant.client_id,
            scope=grant.scope,
        )

    async def refresh(
        self, refresh_token: str, client_ip: str | None, client_id: str | None = None
    ) -> Tokens:
        """New tokens for a refresh token issued to `client_id` (None: the portal's own
        sign-in); a reused token ends its session."""
        try:
            return await self._refresh(refresh_token, client_ip, client_id)
        except sessions.RefreshReused as reused:
            async with self.pool.acquire() as connection:
                await sessions.revoke(connection, reused.session_id, "refresh token reused")
            raise

    async def _refresh(
        self, refresh_token: str, client_ip: str | None, client_id: str | None
    ) -> Tokens:
        async with self.pool.acquire() as connection, connection.transaction():
            session, next_refresh = await sessions.refresh(connection, refresh_token, client_id)
            user = await load(connection, self.store, User, session.user_id)
            membership = None
            if not user.is_staff:
                membership = _membership_to_act_in(user, session.organisation_id, client_ip)
                if membership.organisation_id != session.organisation_id:
                    raise sessions.RefreshRefused("the session's organisation is not usable")
            return await self._tokens(user, membership, session, next_refresh)

    async def switch_organisation(
        self,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        organisation_id: uuid.UUID,
        client_ip: str | None,
    ) -> Tokens:
        async with self.pool.acquire() as connection, connection.transaction():
            user = await load(connection, self.store, User, user_id)
            membership = _membership_to_act_in(user, organisation_id, client_ip)
            if membership.organisation_id != organisation_id:
                raise AccessDenied("you have no access to this organisation")
            session, refresh_token = await sessions.switch_organisation(
                connection, session_id, organisation_id
            )
            return await self._tokens(user, membership, session, refresh_token)

    async def sign_out(self, refresh_token: str) -> None:
        async with self.pool.acquire() as connection:
            await sessions.revoke_by_refresh_token(connection, refresh_token)

    async def _open(
        self,
        connection: asyncpg.Connection,
        user: User,
        membership: Membership | None,
        *,
        remember_me: bool,
        client_id: str | None = None,
        scope: str = "",
    ) -> tuple[sessions.Session, Tokens]:
        lifetime = self.policy.remembered_session if remember_me else self.policy.session
        session, refresh_token = await sessions.open_session(
            connection,
            user_id=user.user_id,
            organisation_id=membership.organisation_id if membership else None,
            remember_me=remember_me,
            lifetime=lifetime,
            client_id=client_id,
            scope=scope,
        )
        return session, await self._tokens(user, membership, session, refresh_token)

    async def _tokens(
        self,
        user: User,
        membership: Membership | None,
        session: sessions.Session,
        refresh_token: str,
    ) -> Tokens:
        if membership is None:
            assert user.staff_role is not None
            access = await self.tokens.issue(
                subject=str(user.user_id), role=user.staff_role, session_id=session.session_id
            )
        else:
            access = await self.tokens.issue(
                subject=str(user.user_id),
                role=membership.role,
                session_id=session.session_id,
                organisation_id=membership.organisation_id,
                modules=membership.modules,
                networks=membership.allowed_networks,
                branch_id=membership.branch_id,
            )
        return Tokens(
            access_token=access,
            expires_in=int(self.tokens.lifetime.total_seconds()),
            refresh_token=refresh_token,
            refresh_expires_at=session.expires_at,
            organisation_id=membership.organisation_id if membership else None,
        )


def _membership_to_act_in(
    user: User, wanted: uuid.UUID | None, client_ip: str | None
) -> Membership | None:
    """Staff act for no organisation. A customer acts for the organisation asked for, or else
    the first one they may use; one they are blocked in or whose network rule excludes the
    caller's address is not usable."""
    if user.is_staff:
        return None
    usable = [
        membership
        for organisation_id in sorted(user.memberships, key=str)
        if (membership := user.usable_membership(organisation_id)) is not None
    ]
    if not usable:
        raise AccessDenied("your access to the customer space has been blocked")
    if wanted is not None:
        usable = [membership for membership in usable if membership.organisation_id == wanted]
        if not usable:
            raise AccessDenied("you have no access to this organisation")
    reachable = [membership for membership in usable if allowed_from(membership, client_ip)]
    if not reachable:
        raise AccessDenied("your access is not allowed from this network")
    return reachable[0]


def allowed_from(membership: Membership, client_ip: str | None) -> bool:
    if not membership.allowed_networks:
        return True
    if client_ip is None:
        return False
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network) for network in membership.allowed_networks)


async def _counted(attempt: Awaitable[Attempt]) -> Attempt:
    """Count a sign-in attempt by its outcome, whichever door it came through."""
    try:
        result = await attempt
    except SignInRefused:
        SIGN_INS.labels("refused").inc()
        raise
    except LockedOut:
        SIGN_INS.labels("locked_out").inc()
        raise
    except AccessDenied:
        SIGN_INS.labels("denied").inc()
        raise
    must_change = isinstance(result, PasswordChangeRequired) or (
        isinstance(result, Proven) and result.must_change_password
    )
    SIGN_INS.labels("password_change_required" if must_change else "succeeded").inc()
    return result
