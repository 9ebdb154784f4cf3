"""OAuth clients, registered and revoked by the vendor admin.

A client is either a mobile app (`public`: it cannot keep a secret, so it signs users in with
authorization code + PKCE and is redirected to one of its exact URIs) or an internal system
(`confidential`: it authenticates with a generated secret, client credentials only). The
secret is shown once; only its SHA-256 is kept (it is 256 random bits, so a slow hash would
add nothing). `OAuthClient` answers the questions authlib's grants ask of a client.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

import asyncpg
from authlib.oauth2.rfc6749 import ClientMixin, list_to_scope, scope_to_list

from services.identity import sessions
from services.identity.domain import RuleBroken
from services.identity.events import OAuthClientRegistered, OAuthClientRevoked
from services.identity.one_time_tokens import token_hash
from shared.eventstore import EventContext, EventStore

ClientKind = Literal["public", "confidential"]
STREAM_TYPE = "oauth_client"
OPENID = "openid"
# RFC 6749 §3.3 allows more; a narrower syntax keeps scopes readable in tokens and logs.
SCOPE_TOKEN = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1"})
GRANT_TYPES: dict[str, frozenset[str]] = {
    "public": frozenset({"authorization_code", "refresh_token"}),
    "confidential": frozenset({"client_credentials"}),
}
AUTH_METHODS: dict[str, frozenset[str]] = {
    "public": frozenset({"none"}),
    "confidential": frozenset({"client_secret_basic", "client_secret_post"}),
}


@dataclass(frozen=True)
class OAuthClient(ClientMixin):
    client_id: str
    name: str
    kind: ClientKind
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    registered_at: dt.datetime
    revoked_at: dt.datetime | None = None
    secret_hash: bytes | None = field(default=None, repr=False)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        """None: every authorization request must name its redirect URI."""
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scope when the client was registered for all of it, else None
        (authlib answers invalid_scope): asking for more is a mistake worth seeing."""
        requested = scope_to_list(scope) or []
        if any(item not in self.scopes for item in requested):
            return None
        return list_to_scope(requested)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris  # exact match (OAuth 2.0 Security BCP §4.1)

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret_hash is not None and hmac.compare_digest(
            token_hash(client_secret), self.secret_hash
        )

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in AUTH_METHODS[self.kind]

    def check_response_type(self, response_type: str) -> bool:
        return self.kind == "public" and response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES[self.kind]


@dataclass(frozen=True)
class NewClient:
    name: str
    kind: ClientKind
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]


def redirect_uri_problem(uri: str) -> str | None:
    """Why `uri` cannot be a mobile app's redirect URI (RFC 8252 §7), or None."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "is not a URI"
    if parts.fragment or "#" in uri:
        return "must not have a fragment"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return None
    if parts.scheme not in {"http", "https"} and "." in parts.scheme:
        return None  # a private-use scheme in reverse-domain form: com.example.app:/callback
    return (
        "must be https, http on a loopback address, or a private-use scheme in reverse-domain"
        " form (com.example.app:/callback)"
    )


async def register(
    pool: asyncpg.Pool, store: EventStore, new: NewClient, context: EventContext
) -> tuple[OAuthClient, str | None]:
    """The registered client and, for a confidential one, its secret (never shown again)."""
    client_id = f"gc_{secrets.token_urlsafe(16)}"
    secret = secrets.token_urlsafe(32) if new.kind == "confidential" else None
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            "INSERT INTO oauth_clients (client_id, name, kind, redirect_uris, scopes,"
            " secret_hash, registered_at, registered_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, now(), $7) RETURNING *",
            client_id,
            new.name,
            new.kind,
            list(new.redirect_uris),
            list(new.scopes),
            token_hash(secret) if secret else None,
            context.actor_id,
        )
        await store.append(
            connection,
            stream_id=client_id,
            stream_type=STREAM_TYPE,
            expected_version=0,
            events=[
                OAuthClientRegistered(
                    client_id=client_id,
                    name=new.name,
                    kind=new.kind,
                    redirect_uris=new.redirect_uris,
                    scopes=new.scopes,
                )
            ],
            context=context,
        )
    return _client(row), secret


async def revoke(
    pool: asyncpg.Pool, store: EventStore, client_id: str, context: EventContext
) -> None:
    """No more tokens for the client; the sessions it opened end now."""
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            "SELECT revoked_at FROM oauth_clients WHERE client_id = $1 FOR UPDATE", client_id
        )
        if row is None:
            raise LookupError("there is no such client")
        if row["revoked_at"] is not None:
            raise RuleBroken("this client is already revoked")
        await connection.execute(
            "UPDATE oauth_clients SET revoked_at = now() WHERE client_id = $1", client_id
        )
        _, version = await store.load(connection, client_id)
        await store.append(
            connection,
            stream_id=client_id,
            stream_type=STREAM_TYPE,
            expected_version=version,
            events=[OAuthClientRevoked(client_id=client_id)],
            context=context,
        )
        await sessions.revoke_client_sessions(connection, client_id, "client revoked")


async def active(db: asyncpg.Pool | asyncpg.Connection, client_id: str) -> OAuthClient | None:
    """The client, unless unknown or revoked (then authlib answers invalid_client)."""
    row = await db.fetchrow(
        "SELECT * FROM oauth_clients WHERE client_id = $1 AND revoked_at IS NULL", client_id
    )
    return _client(row) if row else None


async def one(db: asyncpg.Pool | asyncpg.Connection, client_id: str) -> OAuthClient:
    row = await db.fetchrow("SELECT * FROM oauth_clients WHERE client_id = $1", client_id)
    if row is None:
        raise LookupError("there is no such client")
    return _client(row)


async def every(db: asyncpg.Pool | asyncpg.Connection) -> list[OAuthClient]:
    rows = await db.fetch("SELECT * FROM oauth_clients ORDER BY registered_at, client_id")
    return [_client(row) for row in rows]


def _client(row: asyncpg.Record) -> OAuthClient:
    return OAuthClient(
        client_id=row["client_id"],
        name=row["name"],
        kind=row["kind"],
        redirect_uris=tuple(row["redirect_uris"]),
        scopes=tuple(row["scopes"]),
        registered_at=row["registered_at"],
        revoked_at=row["revoked_at"],
        secret_hash=row["secret_hash"],
    )
