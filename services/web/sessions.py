"""Server-side sessions: the cookie holds a random id, the row (found by the id's SHA-256)
holds the CSRF token and the user's tokens, sealed with the portal's sealing key.

A session exists before sign-in too (a "pre-session"), so the sign-in form has a CSRF token
bound to something; signing in replaces it with a new id (no session fixation).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from shared.sealing import Sealer, Unsealable

ID_BYTES = 32
# Refresh a little before the access token expires, so a call never races its expiry.
EXPIRY_MARGIN_SECONDS = 15.0


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    access_expires_at: float
    """Epoch seconds."""

    @classmethod
    def from_answer(cls, answer: dict[str, Any]) -> Tokens:
        return cls(
            access_token=answer["access_token"],
            refresh_token=answer["refresh_token"],
            access_expires_at=time.time() + float(answer["expires_in"]),
        )

    @property
    def fresh(self) -> bool:
        return time.time() < self.access_expires_at - EXPIRY_MARGIN_SECONDS


@dataclass
class WebSession:
    id_hash: bytes
    csrf_token: str
    tokens: Tokens | None
    ticket: str | None
    organisation_id: uuid.UUID | None
    remember: bool
    expires_at: dt.datetime
    flash: list[dict[str, Any]] = field(default_factory=list)

    @property
    def signed_in(self) -> bool:
        return self.tokens is not None


class SessionEnded(Exception):
    """The session is gone or its refresh was refused: the user must sign in again."""


def _hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


class SessionStore:
    def __init__(
        self, pool: asyncpg.Pool, sealer: Sealer, anonymous_lifetime: dt.timedelta
    ) -> None:
        self.pool = pool
        self.sealer = sealer
        self.anonymous_lifetime = anonymous_lifetime

    def _seal(self, id_hash: bytes, value: str | None) -> str | None:
        return None if value is None else self.sealer.seal(value, id_hash.hex())

    def _unseal(self, id_hash: bytes, sealed: str | None) -> str | None:
        if sealed is None:
            return None
        try:
            return self.sealer.unseal(sealed, id_hash.hex())
        except Unsealable:  # the key changed: the session is as good as ended
            return None

    def _session(self, row: asyncpg.Record) -> WebSession:
        id_hash = bytes(row["id_hash"])
        tokens = self._unseal(id_hash, row["sealed_tokens"])
        return WebSession(
            id_hash=id_hash,
            csrf_token=row["csrf_token"],
            tokens=Tokens(**json.loads(tokens)) if tokens else None,
            ticket=self._unseal(id_hash, row["sealed_ticket"]),
            organisation_id=row["organisation_id"],
            remember=row["remember"],
            expires_at=row["expires_at"],
            flash=list(row["flash"]),
        )

    async def load(self, session_id: str) -> WebSession | None:
        if not session_id or len(session_id) > 100:
            return None
        row = await self.pool.fetchrow(
            "SELECT * FROM sessions WHERE id_hash = $1 AND expires_at > now()", _hash(session_id)
        )
        return self._session(row) if row else None

    async def create(
        self,
        *,
        tokens: Tokens | None = None,
        organisation_id: uuid.UUID | None = None,
        remember: bool = False,
        expires_at: dt.datetime | None = None,
    ) -> tuple[str, WebSession]:
        """A new session; answers the id for the cookie, which is kept nowhere else."""
        session_id = secrets.token_urlsafe(ID_BYTES)
        id_hash = _hash(session_id)
        expires = expires_at or dt.datetime.now(dt.UTC) + self.anonymous_lifetime
        row = await self.pool.fetchrow(
            "INSERT INTO sessions (id_hash, csrf_token, sealed_tokens, organisation_id,"
            " remember, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
            id_hash,
            secrets.token_urlsafe(32),
            self._seal(id_hash, _tokens_json(tokens)),
            organisation_id,
            remember,
            expires,
        )
        return session_id, self._session(row)

    async def delete(self, session: WebSession) -> None:
        await self.pool.execute("DELETE FROM sessions WHERE id_hash = $1", session.id_hash)

    async def set_ticket(self, session: WebSession, ticket: str | None) -> None:
        await self.pool.execute(
            "UPDATE sessions SET sealed_ticket = $2 WHERE id_hash = $1",
            session.id_hash,
            self._seal(session.id_hash, ticket),
        )
        session.ticket = ticket

    async def switch_organisation(
        self, session: WebSession, tokens: Tokens, organisation_id: uuid.UUID | None
    ) -> None:
        await self.pool.execute(
            "UPDATE sessions SET sealed_tokens = $2, organisation_id = $3 WHERE id_hash = $1",
            session.id_hash,
            self._seal(session.id_hash, _tokens_json(tokens)),
            organisation_id,
        )
        session.tokens = tokens
        session.organisation_id = organisation_id

    async def add_flash(self, session: WebSession, key: str, **values: str) -> None:
        message = {"key": key, "values": values}
        await self.pool.execute(
            "UPDATE sessions SET flash = flash || $2::jsonb WHERE id_hash = $1",
            session.id_hash,
            [message],
        )
        session.flash.append(message)

    async def take_flash(self, session: WebSession) -> list[dict[str, Any]]:
        if not session.flash:
            return []
        taken = await self.pool.fetchval(
            "UPDATE sessions s SET flash = '[]' FROM (SELECT flash FROM sessions"
            " WHERE id_hash = $1 FOR UPDATE) old WHERE s.id_hash = $1 RETURNING old.flash",
            session.id_hash,
        )
        session.flash = []
        return list(taken or [])

    async def refreshed(
        self,
        session: WebSession,
        refresh: Callable[[str], Awaitable[tuple[Tokens, dt.datetime] | None]],
    ) -> Tokens:
        """Fresh tokens for the session, refreshing them once however many requests ask at
        the same moment: refresh tokens rotate, and presenting a used one ends the session."""
        async with self.pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(
                "SELECT sealed_tokens FROM sessions WHERE id_hash = $1 AND expires_at > now()"
                " FOR UPDATE",
                session.id_hash,
            )
            stored = self._unseal(session.id_hash, row["sealed_tokens"]) if row else None
            if stored is None:
                raise SessionEnded
            current = Tokens(**json.loads(stored))
            stale = session.tokens
            if current.fresh and (stale is None or current.access_token != stale.access_token):
                session.tokens = current  # another request refreshed while this one waited
                return current
            renewed = await refresh(current.refresh_token)
            if renewed is None:
                # Deleted in this transaction, which must commit: raise only once it has.
                await connection.execute("DELETE FROM sessions WHERE id_hash = $1", session.id_hash)
            else:
                await connection.execute(
                    "UPDATE sessions SET sealed_tokens = $2, expires_at = $3 WHERE id_hash = $1",
                    session.id_hash,
                    self._seal(session.id_hash, _tokens_json(renewed[0])),
                    renewed[1],
                )
        if renewed is None:
            raise SessionEnded
        session.tokens = renewed[0]
        return renewed[0]

    async def delete_expired(self) -> int:
        status = await self.pool.execute("DELETE FROM sessions WHERE expires_at <= now()")
        return int(status.split()[-1])


def _tokens_json(tokens: Tokens | None) -> str | None:
    if tokens is None:
        return None
    return json.dumps(
        {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "access_expires_at": tokens.access_expires_at,
        }
    )
