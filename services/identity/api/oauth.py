"""OAuth 2.0 and OpenID Connect (decision 0009): the authorization page and the token
endpoint, which anyone may call; the registration of clients, for the vendor admin."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections.abc import Mapping
from typing import Annotated, Any

from aiohttp import web
from authlib.oauth2.rfc6749.errors import AccessDeniedError, OAuth2Error
from multidict import MultiMapping
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    model_validator,
)

from services.identity.api.common import (
    AUTHENTICATOR,
    IDENTITY,
    IDENTITY_SETTINGS,
    SIGNING_KEYS,
    context,
    ip_of,
    json_response,
)
from services.identity.authentication import AccessDenied, LockedOut, SignInRefused
from services.identity.domain_types import Language
from services.identity.oauth import clients, csrf
from services.identity.oauth.codes import SignedIn
from services.identity.oauth.pages import (
    Branding,
    error_page,
    html_response,
    language_of,
    sign_in_page,
)
from services.identity.oauth.server import Answer, Backing, CodeGrant, FormRequest, Provider
from shared.auth.claims import Role
from shared.http.keys import DB_POOL, SETTINGS
from shared.http.openapi import operation
from shared.http.principal import acting_principal, require_role
from shared.http.problems import read_json

routes = web.RouteTableDef()
# Where the gateway exposes identity's paths (services/gateway/routes.py).
PUBLIC_PREFIX = "/api"
# Bounds the work a post can make argon2 do, as the JSON sign-in does.
MAX_LOGIN = 254
MAX_PASSWORD = 256


HTML = "text/html"
OAUTH_JSON = "application/json"


class TokenAnswer(BaseModel):
    """RFC 6749 §5.1; `id_token` with the `openid` scope, no refresh token for a system."""

    access_token: str
    token_type: str
    expires_in: int
    refresh_token: str | None = None
    scope: str | None = None
    id_token: str | None = None


class OAuthError(BaseModel):
    """RFC 6749 §5.2."""

    error: str
    error_description: str | None = None


# --- the authorization endpoint ---------------------------------------------------------------


@routes.get("/oauth/authorize")
@operation(
    "OAuth 2.0 authorization endpoint: the sign-in page a mobile app opens",
    responses={200: None, 302: None, 400: None},
    media_types={200: HTML, 400: HTML},
    tags=("oauth",),
    public=True,
    description="Query: `response_type=code`, `client_id`, `redirect_uri` (exactly as"
    " registered), `state`, `code_challenge` with `code_challenge_method=S256`, optional"
    " `scope` (`openid`) and `nonce`. Answers an HTML sign-in page; a request the app can be"
    " told about redirects back with `error`; an unknown client or redirect URI gets an error"
    " page, never a redirect.",
)
async def authorization_page(request: web.Request) -> web.StreamResponse:
    provider = _provider(request)
    try:
        grant = await provider.consent_grant(_oauth_request(request, request.query))
    except OAuth2Error as error:
        return _refusal(request, error)
    return _sign_in_form(request, grant, request.query)


@routes.post("/oauth/authorize")
@operation(
    "Sign in on the authorization page; redirects to the app with a code",
    responses={200: None, 302: None, 400: None, 403: None, 429: None},
    media_types={200: HTML, 400: HTML, 403: HTML, 429: HTML},
    tags=("oauth",),
    public=True,
    description="The page's form (`application/x-www-form-urlencoded`): the authorization"
    " request's parameters, `csrf_token`, `login`, `password`, `remember_me`, and `action`"
    " (`sign_in` or `cancel`). The same rules as `/auth/sign-in` apply (lockout, networks,"
    " blocked access).",
)
async def authorize(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    oauth_request = _oauth_request(request, form)
    provider = _provider(request)
    try:
        grant = await provider.consent_grant(oauth_request)
    except OAuth2Error as error:
        return _refusal(request, error)
    if not csrf.genuine(request, request.app[IDENTITY].sealer, _text(form, csrf.FIELD)):
        return _sign_in_form(request, grant, form, notice="stale", status=403)
    user = None  # cancelled: the app gets access_denied
    if _text(form, "action") != "cancel":
        outcome = await _sign_in(request, grant, form)
        if isinstance(outcome, web.Response):
            return outcome
        user = outcome
    return _redirect(await provider.authorization_answer(oauth_request, grant, user))


async def _sign_in(
    request: web.Request, grant: CodeGrant, form: MultiMapping[Any]
) -> SignedIn | web.Response:
    """The user who signed in, or the page (or redirect) saying why not."""
    login = _text(form, "login").strip()
    password = _text(form, "password")
    if not login or not password or len(login) > MAX_LOGIN or len(password) > MAX_PASSWORD:
        return _sign_in_form(request, grant, form, login=login[:MAX_LOGIN], notice="wrong")
    try:
        proven = await request.app[AUTHENTICATOR].authenticate(
            login, password, client_ip=ip_of(request)
        )
    except SignInRefused:
        return _sign_in_form(request, grant, form, login=login, notice="wrong")
    except LockedOut as locked:
        response = _sign_in_form(request, grant, form, login=login, notice="locked", status=429)
        wait = (locked.until - dt.datetime.now(dt.UTC)).total_seconds()
        response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        return response
    except AccessDenied as denied:
        # The user proved who they are but may not act here: the app is told (RFC 6749).
        refusal = AccessDeniedError(
            description=str(denied).capitalize() + ".",
            redirect_uri=grant.redirect_uri,
            state=_text(form, "state"),
        )
        return _refusal(request, refusal)
    if proven.must_change_password:
        # No code: the password is changed on the portal first (kept simple on purpose).
        return _sign_in_form(request, grant, form, notice="must_change")
    return SignedIn(
        user_id=proven.user.user_id,
        organisation_id=proven.membership.organisation_id if proven.membership else None,
        remember_me=_text(form, "remember_me") == "on",
        authenticated_at=dt.datetime.now(dt.UTC),
    )


# --- the token endpoint -----------------------------------------------------------------------


@routes.post("/oauth/token")
@operation(
    "OAuth 2.0 token endpoint: authorization_code, refresh_token, client_credentials",
    responses={200: TokenAnswer, 400: OAuthError, 401: OAuthError},
    media_types={400: OAUTH_JSON, 401: OAUTH_JSON},
    tags=("oauth",),
    public=True,
    description="A form (`application/x-www-form-urlencoded`), as RFC 6749 says. Mobile apps"
    " send `client_id` and the PKCE `code_verifier`; internal systems authenticate with"
    " HTTP Basic or `client_id` + `client_secret`. Errors are RFC 6749 JSON (`error`,"
    " `error_description`), `invalid_client` with 401 and `WWW-Authenticate`.",
)
async def token(request: web.Request) -> web.Response:
    form = await request.post()
    answer = await _provider(request).token_answer(_oauth_request(request, form))
    headers = {name: value for name, value in answer.headers if name.lower() != "content-type"}
    return web.json_response(answer.body, status=answer.status, headers=headers)


# --- registration of clients (vendor admin) ---------------------------------------------------


def _redirect_uri(uri: str) -> str:
    problem = clients.redirect_uri_problem(uri)
    if problem:
        raise ValueError(f"the redirect URI {problem}")
    return uri


RedirectUri = Annotated[
    str, StringConstraints(min_length=1, max_length=2000), AfterValidator(_redirect_uri)
]
ScopeToken = Annotated[str, StringConstraints(pattern=clients.SCOPE_TOKEN.pattern)]


class ClientRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    kind: clients.ClientKind = Field(
        description="`public`: a mobile app (authorization code + PKCE); `confidential`: an"
        " internal system (client credentials, with a generated secret)"
    )
    redirect_uris: list[RedirectUri] = Field(default_factory=list, max_length=10)
    scopes: list[ScopeToken] | None = Field(
        default=None,
        max_length=20,
        description="A mobile app: `openid` or nothing (default `openid`). An internal system:"
        " the scopes its tokens carry (`scope` claim), none by default",
    )

    @model_validator(mode="after")
    def _fits_kind(self) -> ClientRegistration:
        scopes = set(self.scopes or ())
        if self.kind == "public":
            if not self.redirect_uris:
                raise ValueError("a public client needs at least one redirect URI")
            if scopes - {clients.OPENID}:
                raise ValueError("a public client's only scope is openid")
        else:
            if self.redirect_uris:
                raise ValueError("a confidential client has no redirect URI")
            if clients.OPENID in scopes:
                raise ValueError("openid is for users signing in, not for internal systems")
        return self

    def new_client(self) -> clients.NewClient:
        default = (clients.OPENID,) if self.kind == "public" else ()
        scopes = tuple(dict.fromkeys(self.scopes)) if self.scopes is not None else default
        return clients.NewClient(
            name=self.name,
            kind=self.kind,
            redirect_uris=tuple(dict.fromkeys(self.redirect_uris)),
            scopes=scopes,
        )


class ClientView(BaseModel):
    client_id: str
    name: str
    kind: clients.ClientKind
    redirect_uris: list[str]
    scopes: list[str]
    registered_at: dt.datetime
    revoked_at: dt.datetime | None

    @classmethod
    def of(cls, client: clients.OAuthClient) -> ClientView:
        return cls(
            client_id=client.client_id,
            name=client.name,
            kind=client.kind,
            redirect_uris=list(client.redirect_uris),
            scopes=list(client.scopes),
            registered_at=client.registered_at,
            revoked_at=client.revoked_at,
        )


class ClientList(RootModel[list[ClientView]]):
    pass


class RegisteredClient(ClientView):
    client_secret: str | None = Field(
        description="A confidential client's secret: shown this once, only a hash is kept"
    )


@routes.post("/oauth-clients")
@operation(
    "Register an OAuth client: a mobile app or an internal system",
    request=ClientRegistration,
    responses={201: RegisteredClient, 403: None, 422: None},
    tags=("oauth",),
)
async def register_client(request: web.Request) -> web.Response:
    _vendor_admin(request)
    body = await read_json(request, ClientRegistration)
    client, secret = await clients.register(
        request.app[DB_POOL], request.app[IDENTITY].store, body.new_client(), context(request)
    )
    view = ClientView.of(client).model_dump()
    return json_response(RegisteredClient(**view, client_secret=secret), status=201)


@routes.get("/oauth-clients")
@operation(
    "The registered OAuth clients, revoked ones included",
    responses={200: ClientList, 403: None},
    tags=("oauth",),
)
async def list_clients(request: web.Request) -> web.Response:
    _vendor_admin(request)
    listed = [ClientView.of(client) for client in await clients.every(request.app[DB_POOL])]
    return json_response(ClientList(listed))


@routes.get("/oauth-clients/{client_id}")
@operation("One OAuth client", responses={200: ClientView, 403: None, 404: None}, tags=("oauth",))
async def get_client(request: web.Request) -> web.Response:
    _vendor_admin(request)
    client = await clients.one(request.app[DB_POOL], request.match_info["client_id"])
    return json_response(ClientView.of(client))


@routes.post("/oauth-clients/{client_id}/revocation")
@operation(
    "Revoke an OAuth client: no more tokens, and the sessions it opened end",
    responses={204: None, 403: None, 404: None, 409: None},
    tags=("oauth",),
)
async def revoke_client(request: web.Request) -> web.Response:
    _vendor_admin(request)
    await clients.revoke(
        request.app[DB_POOL],
        request.app[IDENTITY].store,
        request.match_info["client_id"],
        context(request),
    )
    return web.Response(status=204)


# --- helpers ----------------------------------------------------------------------------------


def _vendor_admin(request: web.Request) -> None:
    require_role(acting_principal(request), Role.VENDOR_ADMIN)


def _issuer(request: web.Request) -> str:
    return str(request.app[SETTINGS].public_url).rstrip("/")


def _provider(request: web.Request) -> Provider:
    backing = Backing(
        pool=request.app[DB_POOL],
        authenticator=request.app[AUTHENTICATOR],
        signing_keys=request.app[SIGNING_KEYS],
        issuer=_issuer(request),
    )
    return Provider(backing, asyncio.get_running_loop(), ip_of(request))


def _oauth_request(request: web.Request, parameters: MultiMapping[Any]) -> FormRequest:
    # authlib wants the URI the client used (it refuses plain http but on loopback).
    uri = f"{_issuer(request)}{PUBLIC_PREFIX}{request.path}"
    return FormRequest(request.method, uri, request.headers, parameters)


def _text(form: Mapping[str, object], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _branding(request: web.Request) -> Branding:
    settings = request.app[IDENTITY_SETTINGS]
    # Relative to the page, like the form: /api/branding/logo through the gateway.
    logo = "../branding/logo" if settings.vendor_logo_path else None
    return Branding(settings.vendor_name, logo, portal_url=f"{_issuer(request)}/")


def _language(request: web.Request) -> Language:
    return language_of(
        request.headers.get("Accept-Language"), request.app[IDENTITY_SETTINGS].default_language
    )


def _sign_in_form(
    request: web.Request,
    grant: CodeGrant,
    parameters: Mapping[str, object],
    *,
    login: str = "",
    notice: str | None = None,
    status: int = 200,
) -> web.Response:
    secret = csrf.browser_secret(request)
    page = sign_in_page(
        language=_language(request),
        branding=_branding(request),
        app_name=grant.client.name,
        parameters={name: _text(parameters, name) for name in parameters},
        csrf_field=(csrf.FIELD, csrf.form_token(request.app[IDENTITY].sealer, secret)),
        login=login,
        notice=notice,
    )
    response = html_response(page, status=status, sends_to=grant.redirect_uri)
    csrf.keep(response, secret, secure=_issuer(request).startswith("https:"))
    return response


def _refusal(request: web.Request, error: OAuth2Error) -> web.Response:
    """Back to the app when its redirect URI is known good (RFC 6749 §4.1.2.1); otherwise an
    error page, never a redirect to a URI nobody vouched for."""
    if error.redirect_uri:
        status, body, headers = error()
        return _redirect(Answer(status, body, list(headers)))
    page = error_page(
        language=_language(request),
        branding=_branding(request),
        reason=error.get_error_description() or error.error,
    )
    return html_response(page, status=400)


def _redirect(answer: Answer) -> web.Response:
    if answer.location is None:  # authlib answers redirects only, once the request is valid
        raise RuntimeError(f"expected a redirect, got {answer.status}")
    return web.Response(
        status=302, headers={"Location": answer.location, "Cache-Control": "no-store"}
    )
