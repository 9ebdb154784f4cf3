"""The keys access tokens are signed with: ES256, rotated, published as a JWKS.

Keys live in the database so every replica signs with the same one; the private half is sealed
with the service's sealing key, so a copy of the table signs nothing. A new key is made when
the newest is older than the rotation period; the previous one stays published until every
token it signed has expired (one rotation period is far more than an access token lives).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import asyncpg
from joserfc.jwk import ECKey, KeySet

from services.identity.metrics import SIGNING_KEY_AGE, SIGNING_KEY_ROTATION
from shared.auth.claims import SIGNING_ALGORITHM
from shared.sealing import Sealer

# How long a replica trusts its cached view of the keys before looking again.
CACHE_SECONDS = 60.0
PUBLISHED_KEYS = 2
_ROTATION_LOCK = 0x6964656E  # advisory-lock key: one replica creates the next key


class SigningKeys:
    def __init__(self, pool: asyncpg.Pool, sealer: Sealer, rotation: dt.timedelta) -> None:
        self._pool = pool
        self._sealer = sealer
        self._rotation = rotation
        self._signing: ECKey | None = None
        self._signing_created_at: dt.datetime | None = None
        self._published: KeySet | None = None
        self._loaded_at = 0.0
        SIGNING_KEY_ROTATION.set(rotation.total_seconds())

    async def signing_key(self) -> ECKey:
        await self._load()
        assert self._signing is not None
        assert self._signing_created_at is not None
        # A key older than the rotation period here means rotation is failing (an alert).
        SIGNING_KEY_AGE.set(_age(self._signing_created_at).total_seconds())
        return self._signing

    async def verification_keys(self, *, refresh: bool = False) -> KeySet:
        await self._load(force=refresh)
        assert self._published is not None
        return self._published

    async def jwks(self) -> dict[str, Any]:
        keys = await self.verification_keys()
        return {"keys": [key.as_dict(private=False) for key in keys.keys]}

    async def rotate(self) -> str:
        """Make a new signing key now (e.g. after a suspected leak); returns its kid."""
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", _ROTATION_LOCK)
            kid = await self._create(connection)
        await self._load(force=True)
        return kid

    async def _load(self, *, force: bool = False) -> None:
        if not force and self._signing and time.monotonic() - self._loaded_at < CACHE_SECONDS:
            return
        async with self._pool.acquire() as connection:
            rows = await self._newest(connection)
            if not rows or _age(rows[0]["created_at"]) > self._rotation:
                async with connection.transaction():
                    await connection.execute("SELECT pg_advisory_xact_lock($1)", _ROTATION_LOCK)
                    rows = await self._newest(connection)  # another replica may have rotated
                    if not rows or _age(rows[0]["created_at"]) > self._rotation:
                        await self._create(connection)
                        rows = await self._newest(connection)
        newest = rows[0]
        pem = self._sealer.unseal(newest["private_key"], subject=newest["kid"])
        self._signing = ECKey.import_key(
            pem, {"kid": newest["kid"], "alg": SIGNING_ALGORITHM, "use": "sig"}
        )
        self._signing_created_at = newest["created_at"]
        self._published = KeySet([ECKey.import_key(row["public_jwk"]) for row in rows])
        self._loaded_at = time.monotonic()

    @staticmethod
    async def _newest(connection: asyncpg.Connection) -> list[asyncpg.Record]:
        return await connection.fetch(
            "SELECT kid, private_key, public_jwk, created_at FROM signing_keys"
            " WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT $1",
            PUBLISHED_KEYS,
        )

    async def _create(self, connection: asyncpg.Connection) -> str:
        kid = uuid.uuid4().hex
        key = ECKey.generate_key(
            "P-256", parameters={"kid": kid, "alg": SIGNING_ALGORITHM, "use": "sig"}
        )
        pem = key.as_pem(private=True).decode()
        await connection.execute(
            "INSERT INTO signing_keys (kid, private_key, public_jwk, created_at)"
            " VALUES ($1, $2, $3, now())",
            kid,
            self._sealer.seal(pem, subject=kid),
            key.as_dict(private=False),
        )
        return kid


def _age(created_at: dt.datetime) -> dt.timedelta:
    return dt.datetime.now(dt.UTC) - created_at
