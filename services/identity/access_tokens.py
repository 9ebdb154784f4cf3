"""Signing access tokens (short-lived JWTs, see shared/auth/claims.py)."""

from __future__ import annotations

import datetime as dt
import time
import uuid

from joserfc import jwt

from services.identity.signing_keys import SigningKeys
from shared.auth.claims import AUDIENCE, SIGNING_ALGORITHM, AccessClaims, Module, Role


class AccessTokens:
    def __init__(self, keys: SigningKeys, issuer: str, lifetime: dt.timedelta) -> None:
        self._keys = keys
        self.issuer = issuer
        self.lifetime = lifetime

    async def issue(
        self,
        *,
        subject: str,
        role: Role,
        session_id: uuid.UUID | None,
        organisation_id: uuid.UUID | None = None,
        modules: frozenset[Module] = frozenset(),
        networks: tuple[str, ...] = (),
        branch_id: uuid.UUID | None = None,
        scope: str | None = None,
    ) -> str:
        now = int(time.time())
        claims = AccessClaims(
            iss=self.issuer,
            aud=AUDIENCE,
            sub=subject,
            iat=now,
            exp=now + int(self.lifetime.total_seconds()),
            jti=uuid.uuid4().hex,
            sid=str(session_id) if session_id else None,
            org=organisation_id,
            role=role,
            modules=modules,
            ipr=networks,
            branch=branch_id,
            scope=scope or None,
        )
        key = await self._keys.signing_key()
        payload = claims.model_dump(mode="json", exclude_none=True)
        payload["modules"] = sorted(payload["modules"])
        return jwt.encode({"alg": SIGNING_ALGORITHM, "kid": key.kid}, payload, key)
