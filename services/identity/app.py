"""Wiring of the identity service."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from joserfc.jwk import KeySet

from services.identity import lockout
from services.identity.access_tokens import AccessTokens
from services.identity.api import route_tables
from services.identity.api.common import (
    AUTHENTICATOR,
    IDENTITY,
    IDENTITY_SETTINGS,
    PASSWORD_RULES,
    SIGNING_KEYS,
    domain_problems,
)
from services.identity.authentication import Authenticator, SessionPolicy
from services.identity.credentials import PasswordRules
from services.identity.events import registry
from services.identity.handlers import Identity
from services.identity.passwords import PasswordHasher
from services.identity.settings import IdentitySettings
from services.identity.signing_keys import SigningKeys
from shared.auth.verifier import KeysUnavailable
from shared.http.app import create_service_app
from shared.http.keys import DB_POOL, EVENT_STORE
from shared.sealing import Sealer

SERVICE = "identity"
MIGRATIONS = Path(__file__).parent / "migrations"


class OwnKeys:
    """Identity verifies the tokens it signed with its own keys, not over HTTP to itself.
    The keys live in the database, so they are there once the pool is."""

    def __init__(self) -> None:
        self.signing_keys: SigningKeys | None = None

    async def verification_keys(self, *, refresh: bool = False) -> KeySet:
        if self.signing_keys is None:
            raise KeysUnavailable("identity is still starting")
        return await self.signing_keys.verification_keys(refresh=refresh)


def create_app(settings: IdentitySettings) -> web.Application:
    own_keys = OwnKeys()
    app = create_service_app(
        settings,
        service=SERVICE,
        migrations=MIGRATIONS,
        registry=registry,
        key_source=own_keys,
        authenticated=True,
    )
    app.middlewares.append(domain_problems)
    sealer = Sealer(settings.sealing_key)
    rules = PasswordRules(policy=settings.password_policy, hasher=PasswordHasher())
    app[IDENTITY_SETTINGS] = settings
    app[PASSWORD_RULES] = rules
    app[IDENTITY] = Identity.configured(settings, app[EVENT_STORE])

    async def sign_in_machinery(app: web.Application) -> AsyncIterator[None]:
        keys = SigningKeys(
            app[DB_POOL], sealer, dt.timedelta(days=settings.signing_key_rotation_days)
        )
        app[SIGNING_KEYS] = own_keys.signing_keys = keys
        lockout_window = dt.timedelta(minutes=settings.sign_in_lockout_minutes)
        app[AUTHENTICATOR] = Authenticator(
            pool=app[DB_POOL],
            store=app[EVENT_STORE],
            tokens=AccessTokens(
                keys,
                str(settings.public_url).rstrip("/"),
                dt.timedelta(minutes=settings.access_token_minutes),
            ),
            rules=rules,
            policy=SessionPolicy(
                session=dt.timedelta(hours=settings.session_hours),
                remembered_session=dt.timedelta(days=settings.remembered_session_days),
                account_lockout=lockout.LockoutPolicy(
                    settings.sign_in_max_failures, lockout_window
                ),
                address_lockout=lockout.LockoutPolicy(
                    settings.sign_in_ip_max_failures, lockout_window
                ),
            ),
        )
        await keys.signing_key()  # the first replica to start makes the first key
        yield

    # After the database context (appended by create_service_app), before the workers stop.
    app.cleanup_ctx.insert(1, sign_in_machinery)
    for routes in route_tables:
        app.add_routes(routes)
    return app
