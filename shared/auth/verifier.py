"""Verifying access tokens: the one way the gateway and every service decide who is calling.

Only ES256 is accepted, with a key the identity service publishes. The algorithm is checked
before any key is looked at, so `none`, HMAC signed with the public key and other families
are refused by construction, whatever library defaults might say.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections.abc import Callable
from typing import Any, Protocol

import aiohttp
import structlog
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet
from joserfc.jwt import JWTClaimsRegistry
from pydantic import ValidationError

from shared.auth.claims import AUDIENCE, SIGNING_ALGORITHM, AccessClaims

log = structlog.get_logger(__name__)

# Clocks of the signer and the verifier may drift a little; tokens live minutes, not hours.
LEEWAY_SECONDS = 30
# A compact JWS of our claims is well under 4 KiB; refusing huge input early costs nothing.
MAX_TOKEN_LENGTH = 8192
JWKS_PATH = "/.well-known/jwks.json"


class InvalidToken(Exception):
    """The token cannot be trusted. The message says why, for logs; never for clients."""


class KeysUnavailable(InvalidToken):
    """No verification keys could be had (identity unreachable since start-up): the token
    may well be valid, so callers answer 503, not 401."""


class KeySource(Protocol):
    """Where verification keys come from: identity's JWKS over HTTP, or identity's own store."""

    async def verification_keys(self, *, refresh: bool = False) -> KeySet:
        """The current public keys. `refresh` asks for a fresher set (a token named a key id
        we do not know: identity may have rotated); a source may still answer from cache."""
        ...


class StaticKeySource:
    """A fixed set of keys: for tests and for tools that verify offline."""

    def __init__(self, keys: KeySet) -> None:
        self._keys = keys

    async def verification_keys(self, *, refresh: bool = False) -> KeySet:
        return self._keys


class JwksKeySource:
    """Identity's published JWKS, fetched over HTTP and cached.

    The set is cached for `max_age` seconds. A refresh (unknown key id) refetches at most once
    every `min_refresh_interval` seconds, so tokens with made-up key ids cannot make us hammer
    identity. When identity cannot be reached, the last good set keeps being used.
    """

    def __init__(
        self,
        url: str,
        session: aiohttp.ClientSession | None = None,
        *,
        max_age: float = 300.0,
        min_refresh_interval: float = 5.0,
        timeout: float = 5.0,
    ) -> None:
        self.url = url
        self._session = session
        self._own_session: aiohttp.ClientSession | None = None
        self.max_age = max_age
        self.min_refresh_interval = min_refresh_interval
        self.timeout = timeout
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._attempted_at = float("-inf")
        self._lock = asyncio.Lock()

    async def verification_keys(self, *, refresh: bool = False) -> KeySet:
        now = time.monotonic()
        if self._keys is not None and not refresh and now - self._fetched_at < self.max_age:
            return self._keys
        async with self._lock:
            # Another request may have fetched while this one waited for the lock.
            now = time.monotonic()
            fresh_enough = now - self._attempted_at < self.min_refresh_interval
            if self._keys is not None and (fresh_enough or (not refresh and self._current(now))):
                return self._keys
            if self._keys is None and fresh_enough:
                raise KeysUnavailable("verification keys are unavailable")
            self._attempted_at = now
            try:
                self._keys = await self._fetch()
                self._fetched_at = time.monotonic()
            except (aiohttp.ClientError, TimeoutError, ValueError, JoseError) as error:
                log.warning("could not fetch the JWKS", url=self.url, error=type(error).__name__)
                if self._keys is None:
                    raise KeysUnavailable("verification keys are unavailable") from None
            return self._keys

    def _current(self, now: float) -> bool:
        return now - self._fetched_at < self.max_age

    async def _fetch(self) -> KeySet:
        session = self._session or self._owned_session()
        async with session.get(
            self.url, timeout=aiohttp.ClientTimeout(total=self.timeout)
        ) as response:
            response.raise_for_status()
            document = await response.json(content_type=None)
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("not a JWK set")  # noqa: TRY004 - bad data from identity, not a bug
        # Only public EC keys can verify ES256; anything else published is ignored.
        usable = [key for key in document["keys"] if isinstance(key, dict) and "d" not in key]
        return KeySet.import_key_set({"keys": usable})

    def _owned_session(self) -> aiohttp.ClientSession:
        if self._own_session is None or self._own_session.closed:
            self._own_session = aiohttp.ClientSession()
        return self._own_session

    async def close(self) -> None:
        if self._own_session is not None:
            await self._own_session.close()


class TokenVerifier:
    """Verifies access tokens, and remembers the ones it verified.

    A client sends the same token with every request of its few minutes' life, and each
    request is verified twice (gateway, then service): checking the signature once per token
    instead of once per request is most of the gateway's cost of verification (see
    docs/performance.md). A remembered token is accepted again only while it has not expired
    (the same leeway) and only with the very key set that verified it: when the key source
    refreshes its keys (rotation, a retired key), every token is checked afresh. Only tokens
    that passed are remembered, so refused tokens cannot fill the memory, which is bounded
    (`remembered` tokens, the oldest forgotten first).
    """

    def __init__(
        self,
        key_source: KeySource,
        issuer: str,
        *,
        remembered: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.key_source = key_source
        self.issuer = issuer.rstrip("/")
        self.remembered = remembered
        self._now = lambda: int(clock())
        self._claims = _claims_registry(self.issuer, self._now)  # stateless: reads the clock
        self._verified: dict[str, tuple[AccessClaims, KeySet]] = {}

    async def verify(self, token: str) -> AccessClaims:
        """The token's claims, or `InvalidToken`: bad form, algorithm, key, signature,
        audience, issuer, or expired."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("missing or oversized token")
        remembered = self._verified.get(token)
        if remembered is not None:
            claims, verified_with = remembered
            if (
                claims.exp > self._now() - LEEWAY_SECONDS
                and verified_with is await self.key_source.verification_keys()
            ):
                return claims
            self._verified.pop(token, None)
        claims, verified_with = await self._check(token)
        self._verified[token] = (claims, verified_with)
        if len(self._verified) > self.remembered:
            del self._verified[next(iter(self._verified))]
        return claims

    async def _check(self, token: str) -> tuple[AccessClaims, KeySet]:
        """Everything about the token, signature included; the claims and the key set that
        verified them."""
        header = _header(token)
        if header.get("alg") != SIGNING_ALGORITHM:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
        if "crit" in header or "jku" in header or "jwk" in header or "x5u" in header:
            # Keys named by the token itself are never trusted.
            raise InvalidToken("token header names its own key or critical extensions")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("token names no key id")
        keys = await self.key_source.verification_keys()
        key = _key(keys, kid)
        if key is None:  # perhaps identity rotated its keys since we fetched them
            keys = await self.key_source.verification_keys(refresh=True)
            key = _key(keys, kid)
        if key is None:
            raise InvalidToken("unknown key id")
        try:
            decoded = jwt.decode(token, key, algorithms=[SIGNING_ALGORITHM])
            self._claims.validate(decoded.claims)
        except JoseError as error:
            raise InvalidToken(f"{type(error).__name__}: {error}") from None
        except (ValueError, TypeError) as error:
            raise InvalidToken(f"malformed token: {type(error).__name__}") from None
        try:
            return AccessClaims.model_validate(decoded.claims), keys
        except ValidationError:
            raise InvalidToken("claims do not match the access-token contract") from None


def _header(token: str) -> dict[str, Any]:
    encoded, dot, _ = token.partition(".")
    if not dot:
        raise InvalidToken("not a compact JWS")
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        header = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidToken("malformed header") from None
    if not isinstance(header, dict):
        raise InvalidToken("malformed header")
    return header


def _key(keys: KeySet, kid: str) -> ECKey | None:
    for key in keys:
        if key.kid == kid and isinstance(key, ECKey) and key.curve_name == "P-256":
            return key
    return None


def _claims_registry(issuer: str, now: Callable[[], int]) -> JWTClaimsRegistry:
    return JWTClaimsRegistry(
        now=now,
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": AUDIENCE},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )


def jwks_url(identity_url: str) -> str:
    return identity_url.rstrip("/") + JWKS_PATH
