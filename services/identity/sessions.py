"""Sign-in sessions: a family of rotating refresh tokens acting for one organisation.

A refresh token works once: using it returns a new one. Presenting one that was already used
means it was copied (the legitimate client or the thief used it first), so the whole family is
revoked and both have to sign in again (OAuth 2.0 Security BCP, refresh token rotation).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

import asyncpg

from services.identity.one_time_tokens import token_hash


@dataclass(frozen=True)
class Session:
    session_id: uuid.UUID
    user_id: uuid.UUID
    organisation_id: uuid.UUID | None
    remember_me: bool
    expires_at: dt.datetime
    client_id: str | None = None
    """The OAuth client it was opened for; None for the portal's own sign-in."""
    scope: str = ""


@dataclass(frozen=True)
class RefreshGrant:
    """Who a refresh token was issued to, read without using it (see `describe`)."""

    client_id: str | None
    scope: str


class RefreshRefused(Exception):
    """The refresh token is unknown, expired, revoked, or was reused (family revoked)."""


class RefreshReused(RefreshRefused):
    """The refresh token had been used already: the caller revokes the session (outside the
    transaction this refusal rolls back)."""

    def __init__(self, session_id: uuid.UUID) -> None:
        super().__init__("reused")
        self.session_id = session_id


async def open_session(
    connection: asyncpg.Connection,
    *,
    user_id: uuid.UUID,
    organisation_id: uuid.UUID | None,
    remember_me: bool,
    lifetime: dt.timedelta,
    client_id: str | None = None,
    scope: str = "",
) -> tuple[Session, str]:
    session = Session(
        session_id=uuid.uuid4(),
        user_id=user_id,
        organisation_id=organisation_id,
        remember_me=remember_me,
        expires_at=dt.datetime.now(dt.UTC) + lifetime,
        client_id=client_id,
        scope=scope,
    )
    await connection.execute(
        "INSERT INTO sessions (session_id, user_id, organisation_id, remember_me, created_at,"
        " expires_at, client_id, scope) VALUES ($1, $2, $3, $4, now(), $5, $6, $7)",
        session.session_id,
        user_id,
        organisation_id,
        remember_me,
        session.expires_at,
        client_id,
        scope,
    )
    return session, await _new_refresh_token(connection, session)


async def refresh(
    connection: asyncpg.Connection, refresh_token: str, client_id: str | None = None
) -> tuple[Session, str]:
    """Use a refresh token: its session and the next refresh token. Call in a transaction.

    A token works only for the client it was issued to (`client_id`; None: the portal's own
    sign-in), so a mobile app's token is not refreshed by another app, nor the reverse."""
    row = await connection.fetchrow(
        "SELECT r.session_id, r.used_at, r.expires_at AS token_expires_at, s.user_id,"
        " s.organisation_id, s.remember_me, s.expires_at, s.revoked_at, s.client_id, s.scope"
        " FROM refresh_tokens r JOIN sessions s USING (session_id)"
        " WHERE r.token_hash = $1 FOR UPDATE OF r",
        token_hash(refresh_token),
    )
    now = dt.datetime.now(dt.UTC)
    if row is None or row["revoked_at"] is not None:
        raise RefreshRefused("unknown or revoked")
    if row["client_id"] != client_id:
        raise RefreshRefused("issued to another client")
    if row["used_at"] is not None:
        raise RefreshReused(row["session_id"])
    if row["token_expires_at"] <= now:
        raise RefreshRefused("expired")
    await connection.execute(
        "UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1",
        token_hash(refresh_token),
    )
    session = _session(row)
    return session, await _new_refresh_token(connection, session)


async def switch_organisation(
    connection: asyncpg.Connection, session_id: uuid.UUID, organisation_id: uuid.UUID
) -> tuple[Session, str]:
    """Act for another organisation in the same session; earlier refresh tokens stop working
    (without counting as reuse), and a new one is returned."""
    row = await connection.fetchrow(
        "UPDATE sessions SET organisation_id = $2 WHERE session_id = $1"
        " AND revoked_at IS NULL AND expires_at > now()"
        " RETURNING session_id, user_id, organisation_id, remember_me, expires_at, client_id,"
        " scope",
        session_id,
        organisation_id,
    )
    if row is None:
        raise RefreshRefused("session ended")
    await connection.execute(
        "DELETE FROM refresh_tokens WHERE session_id = $1 AND used_at IS NULL", session_id
    )
    session = _session(row)
    return session, await _new_refresh_token(connection, session)


async def describe(
    connection: asyncpg.Connection | asyncpg.Pool, refresh_token: str
) -> RefreshGrant | None:
    """Who a refresh token was issued to, without using it; None for an unknown token."""
    row = await connection.fetchrow(
        "SELECT s.client_id, s.scope FROM refresh_tokens r JOIN sessions s USING (session_id)"
        " WHERE r.token_hash = $1",
        token_hash(refresh_token),
    )
    return RefreshGrant(client_id=row["client_id"], scope=row["scope"]) if row else None


async def session_is_live(connection: asyncpg.Connection | asyncpg.Pool, sid: uuid.UUID) -> bool:
    return bool(
        await connection.fetchval(
            "SELECT true FROM sessions WHERE session_id = $1 AND revoked_at IS NULL"
            " AND expires_at > now()",
            sid,
        )
    )


async def revoke(connection: asyncpg.Connection, session_id: uuid.UUID, reason: str) -> None:
    await connection.execute(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = $2"
        " WHERE session_id = $1 AND revoked_at IS NULL",
        session_id,
        reason,
    )


async def revoke_by_refresh_token(connection: asyncpg.Connection, refresh_token: str) -> None:
    session_id = await connection.fetchval(
        "SELECT session_id FROM refresh_tokens WHERE token_hash = $1", token_hash(refresh_token)
    )
    if session_id is not None:
        await revoke(connection, session_id, "signed out")


async def revoke_all(
    connection: asyncpg.Connection,
    user_id: uuid.UUID,
    reason: str,
    organisation_id: uuid.UUID | None = None,
) -> None:
    """End the user's sessions (in one organisation, or everywhere)."""
    await connection.execute(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = $3"
        " WHERE user_id = $1 AND revoked_at IS NULL"
        " AND ($2::uuid IS NULL OR organisation_id = $2)",
        user_id,
        organisation_id,
        reason,
    )


async def revoke_client_sessions(
    connection: asyncpg.Connection, client_id: str, reason: str
) -> None:
    """End every session an OAuth client opened (the client was revoked)."""
    await connection.execute(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = $2"
        " WHERE client_id = $1 AND revoked_at IS NULL",
        client_id,
        reason,
    )


async def _new_refresh_token(connection: asyncpg.Connection, session: Session) -> str:
    token = secrets.token_urlsafe(32)
    await connection.execute(
        "INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at)"
        " VALUES ($1, $2, now(), $3)",
        token_hash(token),
        session.session_id,
        session.expires_at,
    )
    return token


def _session(row: asyncpg.Record) -> Session:
    return Session(
        session_id=row["session_id"],
        user_id=row["user_id"],
        organisation_id=row["organisation_id"],
        remember_me=row["remember_me"],
        expires_at=row["expires_at"],
        client_id=row["client_id"],
        scope=row["scope"],
    )
