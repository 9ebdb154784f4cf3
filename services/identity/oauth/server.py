"""authlib's OAuth 2.0 and OpenID Connect grants, plugged into aiohttp and identity's sessions.

authlib's server side is synchronous and has no asyncio integration, while everything its
grants ask for (a client, a code, new tokens) is in PostgreSQL behind asyncpg. So one
request's protocol work runs in a worker thread of its own pool, and each question a grant
asks runs back on the event loop (`Provider.run`) while the handler awaits the thread:
the loop never blocks, and authlib's validation (client authentication, exact redirect URIs,
PKCE, scopes, RFC 6749 error responses) is used as it is.

Tokens are identity's own: the same access tokens and rotating refresh tokens as the
portal's sign-in (`Authenticator`), in sessions bound to the client.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import time
from collections import defaultdict
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import asyncpg
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    OAuth2Payload,
    OAuth2Request,
    TokenMixin,
    grants,
)
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import ECKey
from multidict import MultiMapping

from services.identity import sessions
from services.identity.authentication import AccessDenied, Authenticator, Tokens
from services.identity.oauth import clients, codes
from services.identity.oauth.clients import OAuthClient
from services.identity.signing_keys import SigningKeys
from shared.auth.claims import SIGNING_ALGORITHM, Role

T = TypeVar("T")
S256 = "S256"
# Grant threads wait on the event loop: a pool of their own, so they never hold the default
# executor's threads, which password hashing needs (a step waiting on hashing would deadlock).
_GRANT_THREADS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="oauth-grant")


@dataclass(frozen=True)
class Answer:
    """What authlib answered: a status, a JSON body (or "" for a redirect), headers."""

    status: int
    body: dict[str, Any] | str
    headers: list[tuple[str, str]]

    @property
    def location(self) -> str | None:
        return next((value for name, value in self.headers if name == "Location"), None)


@dataclass(frozen=True)
class Backing:
    """What the grants use of identity, the same for every request."""

    pool: asyncpg.Pool
    authenticator: Authenticator
    signing_keys: SigningKeys
    issuer: str


class _Parameters(OAuth2Payload):
    def __init__(self, parameters: MultiMapping[Any]) -> None:
        # Text only: a file in a multipart form is no OAuth parameter.
        self._data: dict[str, str] = {}
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in parameters.items():
            if isinstance(value, str):
                self._data.setdefault(name, value)
                self._datalist[name].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class FormRequest(OAuth2Request):
    """An HTTP request as authlib reads it: its parameters come from the query string of a
    GET or the form of a POST, already read by the aiohttp handler."""

    def __init__(
        self, method: str, uri: str, headers: MultiMapping[str], parameters: MultiMapping[Any]
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self.payload = _Parameters(parameters)

    @property
    def args(self) -> dict[str, str]:
        return self.payload.data

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data


class Provider(AuthorizationServer):
    """One request's authorization server: authlib's protocol, identity's storage."""

    def __init__(
        self, backing: Backing, loop: asyncio.AbstractEventLoop, client_ip: str | None
    ) -> None:
        super().__init__()
        self.backing = backing
        self.client_ip = client_ip
        self._loop = loop
        self.register_grant(CodeGrant, [S256Challenge(required=True), IdTokens(self)])
        self.register_grant(RefreshGrant)
        self.register_grant(ServiceGrant)

    # --- for the handlers, on the event loop ---

    async def consent_grant(self, request: FormRequest) -> CodeGrant:
        """The validated authorization request; raises OAuth2Error (with `redirect_uri` set
        only once the client and its redirect URI are known good)."""
        return await self._in_grant_thread(self.get_consent_grant, request)

    async def authorization_answer(
        self, request: FormRequest, grant: CodeGrant, user: codes.SignedIn | None
    ) -> Answer:
        """The redirect with a code, or with access_denied when `user` is None."""
        return await self._in_grant_thread(self.create_authorization_response, request, user, grant)

    async def token_answer(self, request: FormRequest) -> Answer:
        return await self._in_grant_thread(self.create_token_response, request)

    async def _in_grant_thread(self, function: Callable[..., T], *args: object) -> T:
        # With the request's context (log fields, trace), as asyncio.to_thread would.
        work = functools.partial(contextvars.copy_context().run, function, *args)
        return await self._loop.run_in_executor(_GRANT_THREADS, work)

    # --- authlib's hooks, in the worker thread ---

    def run(self, step: Coroutine[Any, Any, T]) -> T:
        """Run a database step on the event loop and wait for its outcome (or exception)."""
        return asyncio.run_coroutine_threadsafe(step, self._loop).result()

    def query_client(self, client_id: str) -> OAuthClient | None:
        return self.run(clients.active(self.backing.pool, client_id))

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Nothing to do: tokens are stored (as sessions) when they are issued."""

    def create_oauth2_request(self, request: FormRequest) -> FormRequest:
        return request

    def handle_response(
        self, status: int, body: dict[str, Any] | str, headers: list[tuple[str, str]]
    ) -> Answer:
        return Answer(status, body, list(headers))

    def send_signal(self, name: str, *args: object, **kwargs: object) -> None:
        """authlib's signals are for frameworks with a signal system; identity has none."""

    async def redeem(self, code: codes.AuthorizationCode) -> Tokens:
        """Tokens for a code: the session opens and the code is used up in one transaction."""
        try:
            async with self.backing.pool.acquire() as connection, connection.transaction():
                session, tokens = await self.backing.authenticator.open_client_session(
                    connection, code.grant(), self.client_ip
                )
                if not await codes.use(connection, code, session.session_id):
                    raise _CodeTaken  # noqa: TRY301 - leaving the block rolls the session back
        except AccessDenied as denied:
            raise InvalidGrantError(str(denied).capitalize() + ".") from None
        except _CodeTaken:
            # Another exchange of the same code won the race: this is a reuse too.
            await codes.end_session_of_reused(self.backing.pool, code.code_hash)
            raise InvalidGrantError("The code was already used.") from None
        return tokens


class _CodeTaken(Exception):
    pass


def _token_body(tokens: Tokens, scope: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "access_token": tokens.access_token,
        "token_type": tokens.token_type,
        "expires_in": tokens.expires_in,
        "refresh_token": tokens.refresh_token,
    }
    if scope:
        body["scope"] = scope
    return body


class S256Challenge(CodeChallenge):
    """PKCE is mandatory and S256 the only method: `plain` would hand the verifier to
    whoever sees the authorization request (RFC 7636 §4.2, OAuth 2.0 Security BCP §2.1.1)."""

    DEFAULT_CODE_CHALLENGE_METHOD = S256
    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = [S256]

    def validate_code_challenge(self, grant: grants.BaseGrant, redirect_uri: str) -> None:
        parameters = grant.request.payload.data
        if not parameters.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE is required.")
        if parameters.get("code_challenge_method") != S256:
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(grants.AuthorizationCodeGrant):
    """Authorization code for mobile apps: public clients, so PKCE instead of a secret."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]
    server: Provider

    def validate_authorization_request(self) -> str:
        redirect_uri = super().validate_authorization_request()
        if not self.request.payload.state:
            # The app's only defence against a forged redirect to it (RFC 6749 §10.12).
            raise InvalidRequestError("Missing 'state'.", redirect_uri=redirect_uri)
        return redirect_uri

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        self.server.run(
            codes.save(
                self.server.backing.pool,
                code,
                client_id=request.client.client_id,
                user=request.user,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope or "",
                code_challenge=request.payload.data["code_challenge"],
                nonce=request.payload.data.get("nonce"),
            )
        )

    def query_authorization_code(
        self, code: str, client: OAuthClient
    ) -> codes.AuthorizationCode | None:
        found = self.server.run(codes.find(self.server.backing.pool, code))
        if found is None or found.client_id != client.client_id:
            return None
        if found.used_at is not None:
            # Presented again: it leaked. End what its first exchange gave (RFC 6749 §4.1.2).
            self.server.run(codes.end_session_of_reused(self.server.backing.pool, found.code_hash))
            return None
        return found if found.usable else None

    def delete_authorization_code(self, authorization_code: codes.AuthorizationCode) -> None:
        """Nothing to do: `redeem` used the code up with the session it opened."""

    def authenticate_user(self, authorization_code: codes.AuthorizationCode) -> codes.SignedIn:
        return authorization_code.user

    def generate_token(
        self,
        user: object = None,
        scope: str | None = None,
        grant_type: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        tokens = self.server.run(self.server.redeem(self.request.authorization_code))
        return _token_body(tokens, scope or "")


@dataclass(frozen=True)
class RefreshCredential(TokenMixin):
    refresh_token: str
    client_id: str | None
    scope: str

    def check_client(self, client: OAuthClient) -> bool:
        return self.client_id == client.client_id

    def get_scope(self) -> str:
        return self.scope


class RefreshGrant(grants.RefreshTokenGrant):
    """The portal's rotating refresh tokens: each works once, a reused one ends its session
    (`Authenticator.refresh`), and only the client it was issued to may use it."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none"]
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: Provider

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshCredential | None:
        grant = self.server.run(sessions.describe(self.server.backing.pool, refresh_token))
        if grant is None:
            return None
        return RefreshCredential(refresh_token, grant.client_id, grant.scope)

    def authenticate_user(self, refresh_token: RefreshCredential) -> RefreshCredential:
        return refresh_token  # the session knows its user: `issue_token` loads them

    def issue_token(self, user: object, refresh_token: RefreshCredential) -> dict[str, Any]:
        try:
            tokens = self.server.run(
                self.server.backing.authenticator.refresh(
                    refresh_token.refresh_token,
                    self.server.client_ip,
                    client_id=self.request.client.client_id,
                )
            )
        except (sessions.RefreshRefused, AccessDenied):
            raise InvalidGrantError("The session has ended. Sign in again.") from None
        return _token_body(tokens, self.request.payload.scope or refresh_token.scope)

    def revoke_old_credential(self, refresh_token: RefreshCredential) -> None:
        """Nothing to do: `Authenticator.refresh` used the old token up."""


class ServiceGrant(grants.ClientCredentialsGrant):
    """Internal systems: a confidential client's own access token, role `service`, subject
    its client id, no organisation, the scopes it was registered with."""

    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [
        "client_secret_basic",
        "client_secret_post",
    ]
    server: Provider

    def validate_requested_scope(self) -> None:
        if self.request.client.get_allowed_scope(self.request.payload.scope) is None:
            raise InvalidScopeError()

    def generate_token(
        self,
        user: object = None,
        scope: str | None = None,
        grant_type: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        client: OAuthClient = self.request.client
        granted = scope or " ".join(client.scopes)  # none asked: all it was registered with
        tokens = self.server.backing.authenticator.tokens
        access = self.server.run(
            tokens.issue(
                subject=client.client_id, role=Role.SERVICE, session_id=None, scope=granted
            )
        )
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(tokens.lifetime.total_seconds()),
        }
        if granted:
            body["scope"] = granted
        return body


class IdTokens(OpenIDCode):
    """OpenID Connect on the code flow: with the `openid` scope, an ES256 id_token for the
    app (aud = its client id), signed with identity's current key, so its kid is in the
    JWKS."""

    def __init__(self, server: Provider) -> None:
        super().__init__(require_nonce=False)
        self.server = server
        self._key: ECKey | None = None

    def _signing_key(self) -> ECKey:
        if self._key is None:
            self._key = self.server.run(self.server.backing.signing_keys.signing_key())
        return self._key

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return self.server.run(
            codes.nonce_seen(self.server.backing.pool, request.payload.client_id, nonce)
        )

    def get_client_algorithm(self, client: OAuthClient) -> str:
        return SIGNING_ALGORITHM

    def resolve_client_private_key(self, client: OAuthClient) -> ECKey:
        return self._signing_key()

    def get_encode_header(self, client: OAuthClient) -> dict[str, str]:
        return {"alg": SIGNING_ALGORITHM, "kid": self._signing_key().kid}

    def get_client_claims(self, client: OAuthClient) -> dict[str, Any]:
        lifetime = self.server.backing.authenticator.tokens.lifetime
        return {
            "iss": self.server.backing.issuer,
            "aud": client.client_id,
            "exp": int(time.time() + lifetime.total_seconds()),
        }

    def generate_user_info(self, user: codes.SignedIn, scope: str) -> UserInfo:
        return UserInfo(sub=str(user.user_id))
