"""Authorization codes: what a user granted a mobile app on the authorization page, until the
app exchanges it for tokens.

A code is single-use, lives a minute, and is bound to its client, redirect URI and PKCE
challenge (S256). Only its SHA-256 is stored. Used codes are kept a day after they expire:
a code presented again means it leaked, and the session its first exchange opened is ended
(RFC 6749 §4.1.2).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import asyncpg
from authlib.oidc.core import AuthorizationCodeMixin

from services.identity import sessions
from services.identity.authentication import ClientGrant
from services.identity.one_time_tokens import token_hash

LIFETIME = dt.timedelta(seconds=60)
KEPT_AFTER_EXPIRY = dt.timedelta(days=1)
# RFC 8176: the user proved who they are with a password.
PASSWORD_AUTHENTICATION = "pwd"  # noqa: S105 - a method name, not a secret


@dataclass(frozen=True)
class SignedIn:
    """The user who signed in on the authorization page: authlib's `grant_user`."""

    user_id: uuid.UUID
    organisation_id: uuid.UUID | None
    remember_me: bool
    authenticated_at: dt.datetime


@dataclass(frozen=True)
class AuthorizationCode(AuthorizationCodeMixin):
    code_hash: bytes
    client_id: str
    user: SignedIn
    redirect_uri: str
    scope: str
    code_challenge: str
    nonce: str | None
    expires_at: dt.datetime
    used_at: dt.datetime | None
    session_id: uuid.UUID | None

    # Read by authlib's CodeChallenge: S256 is the only method accepted when codes are made.
    code_challenge_method = "S256"

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return int(self.user.authenticated_at.timestamp())

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> list[str]:
        return [PASSWORD_AUTHENTICATION]

    def grant(self) -> ClientGrant:
        return ClientGrant(
            client_id=self.client_id,
            user_id=self.user.user_id,
            organisation_id=self.user.organisation_id,
            scope=self.scope,
            remember_me=self.user.remember_me,
        )

    @property
    def usable(self) -> bool:
        return self.used_at is None and self.expires_at > dt.datetime.now(dt.UTC)


async def save(
    pool: asyncpg.Pool,
    code: str,
    *,
    client_id: str,
    user: SignedIn,
    redirect_uri: str,
    scope: str,
    code_challenge: str,
    nonce: str | None,
) -> None:
    async with pool.acquire() as connection, connection.transaction():
        # Codes are few and short-lived: dropping the long-dead ones here keeps the table small.
        await connection.execute(
            "DELETE FROM authorization_codes WHERE expires_at < $1",
            dt.datetime.now(dt.UTC) - KEPT_AFTER_EXPIRY,
        )
        await connection.execute(
            "INSERT INTO authorization_codes (code_hash, client_id, user_id, organisation_id,"
            " redirect_uri, scope, code_challenge, nonce, remember_me, authenticated_at,"
            " expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            token_hash(code),
            client_id,
            user.user_id,
            user.organisation_id,
            redirect_uri,
            scope,
            code_challenge,
            nonce,
            user.remember_me,
            user.authenticated_at,
            dt.datetime.now(dt.UTC) + LIFETIME,
        )


async def find(db: asyncpg.Pool | asyncpg.Connection, code: str) -> AuthorizationCode | None:
    row = await db.fetchrow(
        "SELECT * FROM authorization_codes WHERE code_hash = $1", token_hash(code)
    )
    if row is None:
        return None
    return AuthorizationCode(
        code_hash=row["code_hash"],
        client_id=row["client_id"],
        user=SignedIn(
            user_id=row["user_id"],
            organisation_id=row["organisation_id"],
            remember_me=row["remember_me"],
            authenticated_at=row["authenticated_at"],
        ),
        redirect_uri=row["redirect_uri"],
        scope=row["scope"],
        code_challenge=row["code_challenge"],
        nonce=row["nonce"],
        expires_at=row["expires_at"],
        used_at=row["used_at"],
        session_id=row["session_id"],
    )


async def use(
    connection: asyncpg.Connection, code: AuthorizationCode, session_id: uuid.UUID
) -> bool:
    """Mark the code used by the session just opened; False if another exchange was first
    (the caller rolls back its session)."""
    return bool(
        await connection.fetchval(
            "UPDATE authorization_codes SET used_at = now(), session_id = $2"
            " WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING true",
            code.code_hash,
            session_id,
        )
    )


async def end_session_of_reused(pool: asyncpg.Pool, code_hash: bytes) -> None:
    """The code was presented again: end the session its first exchange opened."""
    async with pool.acquire() as connection:
        session_id = await connection.fetchval(
            "SELECT session_id FROM authorization_codes WHERE code_hash = $1", code_hash
        )
        if session_id is not None:
            await sessions.revoke(connection, session_id, "authorization code reused")


async def nonce_seen(db: asyncpg.Pool | asyncpg.Connection, client_id: str, nonce: str) -> bool:
    """Whether the client already sent this nonce (OpenID Connect: a replayed request)."""
    return bool(
        await db.fetchval(
            "SELECT true FROM authorization_codes WHERE client_id = $1 AND nonce = $2 LIMIT 1",
            client_id,
            nonce,
        )
    )
