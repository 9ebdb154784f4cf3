"""One-time tokens: the secret of an emailed link (invitation, password reset) or of a forced
password change. Only a hash is stored; using one is atomic, so it works once."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from enum import StrEnum

import asyncpg


class Purpose(StrEnum):
    INVITATION = "invitation"
    RESET = "reset"
    EXPIRED_PASSWORD = "expired_password"  # noqa: S105 - a purpose, not a secret
    EMAIL_CHANGE = "email_change"


@dataclass(frozen=True)
class UsedToken:
    user_id: uuid.UUID
    purpose: Purpose
    remember_me: bool


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def mint(
    connection: asyncpg.Connection,
    user_id: uuid.UUID,
    purpose: Purpose,
    lifetime: dt.timedelta,
    *,
    remember_me: bool = False,
) -> tuple[str, dt.datetime]:
    """A new token for `purpose`; earlier unused ones of the same purpose stop working, so
    only the latest email's link opens."""
    token = secrets.token_urlsafe(32)
    expires_at = dt.datetime.now(dt.UTC) + lifetime
    await connection.execute(
        "UPDATE one_time_tokens SET used_at = now()"
        " WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
        user_id,
        purpose.value,
    )
    await connection.execute(
        "INSERT INTO one_time_tokens (token_hash, user_id, purpose, remember_me, expires_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        token_hash(token),
        user_id,
        purpose.value,
        remember_me,
        expires_at,
    )
    return token, expires_at


async def use(
    connection: asyncpg.Connection, token: str, purposes: set[Purpose]
) -> UsedToken | None:
    """Mark the token used and say whose it is; None if unknown, used, expired or for another
    purpose."""
    row = await connection.fetchrow(
        "UPDATE one_time_tokens SET used_at = now()"
        " WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()"
        " AND purpose = ANY($2::text[]) RETURNING user_id, purpose, remember_me",
        token_hash(token),
        [purpose.value for purpose in purposes],
    )
    if row is None:
        return None
    return UsedToken(row["user_id"], Purpose(row["purpose"]), row["remember_me"])
