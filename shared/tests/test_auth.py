"""Token verification in the kit: the JWKS cache and what the verifier refuses."""

from __future__ import annotations

import time

import pytest
from aiohttp import web
from joserfc.jwk import ECKey, KeySet

from shared.auth.claims import Role
from shared.auth.verifier import (
    LEEWAY_SECONDS,
    InvalidToken,
    JwksKeySource,
    KeysUnavailable,
    StaticKeySource,
    TokenVerifier,
)
from tests.support import TokenIssuer, serving

ISSUER = "http://portal.test"


class CountingJwks:
    """A real JWKS endpoint that counts its fetches and can be switched off."""

    def __init__(self, issuer: TokenIssuer) -> None:
        self.issuer = issuer
        self.fetches = 0
        self.down = False

    def app(self) -> web.Application:
        async def jwks(_request: web.Request) -> web.Response:
            self.fetches += 1
            if self.down:
                raise web.HTTPServiceUnavailable
            return web.json_response(self.issuer.jwks())

        app = web.Application()
        app.router.add_get("/.well-known/jwks.json", jwks)
        return app


async def test_a_valid_token_gives_its_claims() -> None:
    issuer = TokenIssuer(ISSUER)
    verifier = TokenVerifier(StaticKeySource(KeySet([issuer.key])), ISSUER + "/")
    claims = await verifier.verify(issuer.mint(sub="u1", role="vendor_agent"))
    assert (claims.sub, claims.role, claims.org) == ("u1", Role.VENDOR_AGENT, None)


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "other"},
        {"iss": "http://other.test"},
        {"exp": int(time.time()) - 120},
        {"role": "superuser"},
        {"iat": int(time.time()) + 3600},
    ],
    ids=["audience", "issuer", "expired", "unknown-role", "issued-in-future"],
)
async def test_claims_outside_the_contract_are_refused(claims: dict[str, object]) -> None:
    issuer = TokenIssuer(ISSUER)
    verifier = TokenVerifier(StaticKeySource(KeySet([issuer.key])), ISSUER)
    with pytest.raises(InvalidToken):
        await verifier.verify(issuer.mint(**claims))


async def test_an_expired_token_within_the_leeway_is_accepted() -> None:
    issuer = TokenIssuer(ISSUER)
    verifier = TokenVerifier(StaticKeySource(KeySet([issuer.key])), ISSUER)
    await verifier.verify(issuer.mint(exp=int(time.time()) - 5))


async def test_unknown_key_ids_refetch_the_jwks_at_most_once_per_interval() -> None:
    issuer = TokenIssuer(ISSUER)
    jwks = CountingJwks(issuer)
    async with serving(jwks.app()) as url:
        source = JwksKeySource(f"{url}/.well-known/jwks.json", min_refresh_interval=60)
        verifier = TokenVerifier(source, ISSUER)
        try:
            for _ in range(3):
                await verifier.verify(issuer.mint())
            assert jwks.fetches == 1  # cached
            stranger = ECKey.generate_key("P-256", auto_kid=True)
            for _ in range(20):
                with pytest.raises(InvalidToken):
                    await verifier.verify(issuer.sign(issuer.claims(), key=stranger))
            assert jwks.fetches == 1  # made-up key ids do not hammer identity
        finally:
            await source.close()


async def test_a_rotated_key_is_picked_up_and_an_outage_keeps_the_last_good_set() -> None:
    issuer = TokenIssuer(ISSUER)
    jwks = CountingJwks(issuer)
    async with serving(jwks.app()) as url:
        source = JwksKeySource(f"{url}/.well-known/jwks.json", min_refresh_interval=0)
        verifier = TokenVerifier(source, ISSUER)
        try:
            await verifier.verify(issuer.mint())
            old_key = issuer.key
            issuer.key = ECKey.generate_key("P-256", auto_kid=True)  # identity rotated
            await verifier.verify(issuer.mint())
            assert jwks.fetches == 2
            jwks.down = True
            # identity is down: tokens signed with a key we know still verify
            await verifier.verify(issuer.sign(issuer.claims()))
            with pytest.raises(InvalidToken):
                await verifier.verify(issuer.sign(issuer.claims(), key=old_key))
        finally:
            await source.close()


async def test_no_keys_at_all_is_unavailable_not_invalid() -> None:
    issuer = TokenIssuer(ISSUER)
    jwks = CountingJwks(issuer)
    jwks.down = True
    async with serving(jwks.app()) as url:
        source = JwksKeySource(f"{url}/.well-known/jwks.json")
        try:
            with pytest.raises(KeysUnavailable):
                await TokenVerifier(source, ISSUER).verify(issuer.mint())
        finally:
            await source.close()


async def test_a_token_verified_before_is_refused_once_it_expires() -> None:
    issuer = TokenIssuer(ISSUER)
    now = time.time()
    clock = [now]
    verifier = TokenVerifier(StaticKeySource(KeySet([issuer.key])), ISSUER, clock=lambda: clock[0])
    token = issuer.mint(exp=int(now) + 60)
    for _ in range(2):  # the second time, the verifier remembers it
        await verifier.verify(token)
    clock[0] = now + 60 + LEEWAY_SECONDS
    with pytest.raises(InvalidToken):
        await verifier.verify(token)


async def test_a_token_verified_before_is_refused_once_its_key_is_retired() -> None:
    issuer = TokenIssuer(ISSUER)
    jwks = CountingJwks(issuer)
    async with serving(jwks.app()) as url:
        # max_age=0: every verification asks identity for its current keys
        source = JwksKeySource(f"{url}/.well-known/jwks.json", max_age=0, min_refresh_interval=0)
        verifier = TokenVerifier(source, ISSUER)
        try:
            token = issuer.mint()
            for _ in range(2):
                await verifier.verify(token)
            issuer.key = ECKey.generate_key("P-256", auto_kid=True)  # the old key is gone
            with pytest.raises(InvalidToken):
                await verifier.verify(token)
        finally:
            await source.close()


async def test_remembering_tokens_changes_no_refusal() -> None:
    """A tampered copy of a token verified before is a different token, checked in full."""
    issuer = TokenIssuer(ISSUER)
    verifier = TokenVerifier(StaticKeySource(KeySet([issuer.key])), ISSUER, remembered=2)
    token = issuer.mint(sub="first")
    await verifier.verify(token)
    header, payload, signature = token.split(".")
    tampered_signature = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    for forged in (f"{header}.{payload}.{tampered_signature}", f"{header}.{payload}."):
        with pytest.raises(InvalidToken):
            await verifier.verify(forged)
    for _ in range(3):  # more tokens than it remembers: the oldest are checked afresh
        await verifier.verify(issuer.mint())
    assert (await verifier.verify(token)).sub == "first"
