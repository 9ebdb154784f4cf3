"""OAuth 2.0 and OpenID Connect as apps meet them: a mobile app signs a user in with
authorization code + PKCE on identity's page, exchanges the code, refreshes; an internal
system gets its own token with client credentials; and everything that should be refused
is, the way RFC 6749 says."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from services.gateway.app import create_app as create_gateway
from services.gateway.settings import GatewaySettings
from services.identity.app import create_app
from services.identity.bootstrap import create_admin
from services.identity.settings import IdentitySettings
from services.identity.tests.portal import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    GOOD_PASSWORD,
    Portal,
    back_office,
    customer_with_access,
)
from shared.sealing import Sealer, new_sealing_key
from tests.support import serving

# authlib refuses an authorization server that is not on https (but loopback).
PUBLIC_URL = "https://portal.test"
REDIRECT_URI = "com.guichet.mobile:/oauth/callback"
CUSTOMER_LOGIN = "8005551001"


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class FormReader(HTMLParser):
    """The page as a browser reads it: the form's action and fields, labels, alerts."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.labels: list[str] = []
        self.text: list[str] = []
        self._in_label = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.action = attributes.get("action")
        elif tag == "input" and attributes.get("type") in {"hidden", "text"}:
            self.fields[attributes["name"]] = attributes.get("value", "")
        elif tag == "label":
            self.labels.append(attributes.get("for", ""))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def words(self) -> str:
        return " ".join(part.strip() for part in self.text if part.strip())


@dataclass
class Screen:
    status: int
    headers: dict[str, str]
    page: FormReader
    url: str

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")

    def redirect_parameters(self) -> dict[str, str]:
        assert self.location, (self.status, self.page.words)
        return {name: values[0] for name, values in parse_qs(urlsplit(self.location).query).items()}


@dataclass
class Browser:
    """The in-app browser tab a mobile app opens: keeps its cookie, shows pages, and hands
    redirects to the app instead of following them."""

    base: str
    """Where the authorization endpoint is: identity directly, or /api through the gateway."""
    language: str = "fr"
    cookies: dict[str, str] = field(default_factory=dict)

    async def open(self, **query: str) -> Screen:
        return await self._request("GET", f"{self.base}/oauth/authorize?{urlencode(query)}")

    async def submit(self, screen: Screen, **fields: str) -> Screen:
        assert screen.page.action, screen.page.words
        # Resolved like a browser does, against the page's own URL.
        target = screen.url.rsplit("/", 1)[0] + "/" + screen.page.action
        return await self._request("POST", target, data={**screen.page.fields, **fields})

    async def _request(self, method: str, url: str, data: dict[str, str] | None = None) -> Screen:
        headers = {"Accept-Language": self.language}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        async with (
            aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session,
            session.request(
                method, url, data=data, headers=headers, allow_redirects=False
            ) as response,
        ):
            for cookie in response.cookies.values():
                self.cookies[cookie.key] = cookie.value
            page = FormReader()
            page.feed(await response.text())
            page_url = url.split("?", maxsplit=1)[0]
            return Screen(response.status, dict(response.headers), page, page_url)


@dataclass
class MobileApp:
    client_id: str
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    state: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    def authorization_request(self, **overrides: str) -> dict[str, str]:
        return {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid",
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": s256(self.verifier),
            "code_challenge_method": "S256",
            **overrides,
        }


def basic(client_id: str, secret: str) -> str:
    """client_secret_basic: HTTP Basic with the client id and secret (RFC 6749 §2.3.1)."""
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


async def token_call(
    url: str, form: dict[str, str], *, auth: str | None = None
) -> tuple[int, dict[str, str], dict[str, Any]]:
    headers = {"Authorization": auth} if auth else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{url}/oauth/token", data=form, headers=headers) as response,
    ):
        return response.status, dict(response.headers), await response.json()


async def register_client(portal: Portal, staff: str, **registration: Any) -> dict[str, Any]:
    body = {"name": "Guichet Mobile", "kind": "public", "redirect_uris": [REDIRECT_URI]}
    return await portal.call(
        "POST", "/oauth-clients", token=staff, json={**body, **registration}, expect=201
    )


async def sign_in_for_a_code(browser: Browser, app: MobileApp, login: str, password: str) -> str:
    screen = await browser.open(**app.authorization_request())
    assert screen.status == 200, screen.page.words
    answer = await browser.submit(screen, login=login, password=password, action="sign_in")
    assert answer.status == 302, (answer.status, answer.page.words)
    parameters = answer.redirect_parameters()
    assert answer.location is not None
    assert answer.location.startswith(REDIRECT_URI + "?")
    assert parameters["state"] == app.state
    return parameters["code"]


def exchange(app: MobileApp, code: str, **overrides: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": app.client_id,
        "code_verifier": app.verifier,
        **overrides,
    }


@pytest.fixture
async def portal(service_env: Callable[..., dict[str, Any]]) -> AsyncIterator[Portal]:
    key = new_sealing_key()
    settings = IdentitySettings(
        **service_env(sealing_key=key, identity_url=None, public_url=f"{PUBLIC_URL}/")
    )
    await create_admin(settings, ADMIN_EMAIL, ADMIN_PASSWORD)
    async with serving(create_app(settings)) as url, aiohttp.ClientSession() as session:
        yield Portal(url, settings.database_url, Sealer(key), session)


# --- the mobile app's sign-in ------------------------------------------------------------


async def test_a_mobile_app_signs_a_user_in_with_pkce_gets_an_id_token_and_refreshes(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    _, user_id, _ = await customer_with_access(portal, staff)
    client = await register_client(portal, staff)
    assert client["client_secret"] is None
    assert client["scopes"] == ["openid"]
    app = MobileApp(client["client_id"])
    browser = Browser(portal.url, language="en-GB,en;q=0.9,fr;q=0.5")

    screen = await browser.open(**app.authorization_request())
    assert screen.status == 200
    assert "Guichet Mobile wants to access your Guichet customer space." in screen.page.words
    assert {"login", "password"} <= set(screen.page.labels)  # every field has its label
    assert screen.page.action == "authorize"
    assert screen.page.fields["csrf_token"]
    policy = screen.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "form-action 'self' com.guichet.mobile:" in policy

    answer = await browser.submit(screen, login=CUSTOMER_LOGIN, password=GOOD_PASSWORD)
    assert answer.status == 302
    parameters = answer.redirect_parameters()
    assert parameters["state"] == app.state
    status, headers, tokens = await token_call(portal.url, exchange(app, parameters["code"]))
    assert status == 200, tokens
    assert headers["Cache-Control"] == "no-store"
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "openid"

    me = await portal.call("GET", "/me", token=tokens["access_token"], expect=200)
    assert me["user_code"] == CUSTOMER_LOGIN

    async with portal.session.get(f"{portal.url}/.well-known/jwks.json") as response:
        keys = KeySet.import_key_set(await response.json())
    id_token = jwt.decode(tokens["id_token"], keys, algorithms=["ES256"])
    claims = id_token.claims
    assert claims["iss"] == PUBLIC_URL
    assert claims["aud"] == app.client_id
    assert claims["sub"] == user_id
    assert claims["nonce"] == app.nonce
    assert abs(claims["auth_time"] - time.time()) < 60
    assert claims["exp"] > time.time()
    assert claims["amr"] == ["pwd"]
    assert claims["at_hash"]
    assert id_token.header["kid"] in {key.kid for key in keys.keys}
    # The app's refresh token is the app's: the portal's own refresh does not take it.
    foreign = await portal.call(
        "POST", "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert foreign["status"] == 401

    refreshed_status, _, refreshed = await token_call(
        portal.url,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": app.client_id,
        },
    )
    assert refreshed_status == 200, refreshed
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    await portal.call("GET", "/me", token=refreshed["access_token"], expect=200)
    # The old refresh token was used up: presenting it again ends the session.
    status, _, reused = await token_call(
        portal.url,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": app.client_id,
        },
    )
    assert (status, reused["error"]) == (400, "invalid_grant")
    status, _, after = await token_call(
        portal.url,
        {
            "grant_type": "refresh_token",
            "refresh_token": refreshed["refresh_token"],
            "client_id": app.client_id,
        },
    )
    assert (status, after["error"]) == (400, "invalid_grant")


async def test_a_code_needs_its_verifier_works_once_and_its_reuse_ends_the_session(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    await customer_with_access(portal, staff)
    app = MobileApp((await register_client(portal, staff))["client_id"])
    code = await sign_in_for_a_code(Browser(portal.url), app, CUSTOMER_LOGIN, GOOD_PASSWORD)

    wrong = exchange(app, code, code_verifier=secrets.token_urlsafe(48))
    status, _, refused = await token_call(portal.url, wrong)
    assert (status, refused["error"]) == (400, "invalid_grant")
    status, _, refused = await token_call(portal.url, exchange(app, code, code_verifier=""))
    assert (status, refused["error"]) == (400, "invalid_request")
    elsewhere = exchange(app, code, redirect_uri="com.guichet.mobile:/other")
    status, _, refused = await token_call(portal.url, elsewhere)
    assert (status, refused["error"]) == (400, "invalid_grant")

    status, _, tokens = await token_call(portal.url, exchange(app, code))
    assert status == 200, tokens
    status, _, again = await token_call(portal.url, exchange(app, code))
    assert (status, again["error"]) == (400, "invalid_grant")
    # The code leaked: the session its first exchange opened is over.
    status, _, refreshed = await token_call(
        portal.url,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": app.client_id,
        },
    )
    assert (status, refreshed["error"]) == (400, "invalid_grant")
    reason = await portal.sql(
        "SELECT revoked_reason FROM identity.sessions WHERE client_id = $1", app.client_id
    )
    assert reason == "authorization code reused"


async def test_a_bad_client_or_redirect_uri_gets_an_error_page_and_never_a_redirect(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    app = MobileApp((await register_client(portal, staff))["client_id"])
    browser = Browser(portal.url)
    for request in [
        app.authorization_request(client_id="gc_unknown"),
        app.authorization_request(redirect_uri="https://evil.example/steal"),
        app.authorization_request(redirect_uri=REDIRECT_URI + "/more"),
        {k: v for k, v in app.authorization_request().items() if k != "redirect_uri"},
        {k: v for k, v in app.authorization_request().items() if k != "client_id"},
    ]:
        screen = await browser.open(**request)
        assert screen.status == 400, request
        assert screen.location is None
        assert "Cette demande de connexion n'est pas valide." in screen.page.words
        assert screen.headers["Content-Type"].startswith("text/html")


async def test_what_the_app_can_be_told_goes_back_to_it_as_an_rfc_6749_error(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    app = MobileApp((await register_client(portal, staff))["client_id"])
    browser = Browser(portal.url)
    cases = [
        (app.authorization_request(code_challenge_method="plain"), "invalid_request"),
        (
            app.authorization_request(code_challenge=app.verifier, code_challenge_method=""),
            "invalid_request",
        ),
        (app.authorization_request(code_challenge=""), "invalid_request"),
        (app.authorization_request(scope="openid tickets"), "invalid_scope"),
        (app.authorization_request(response_type="token"), "unsupported_response_type"),
        (app.authorization_request(prompt="none"), "login_required"),
    ]
    for request, error in cases:
        screen = await browser.open(**request)
        assert screen.status == 302, (request, screen.page.words)
        parameters = screen.redirect_parameters()
        assert (parameters["error"], parameters["state"]) == (error, app.state), request
        assert "code" not in parameters
    # Without a state the app cannot tell its answers apart: refused, and said so.
    stateless = {k: v for k, v in app.authorization_request().items() if k != "state"}
    screen = await browser.open(**stateless)
    parameters = screen.redirect_parameters()
    assert parameters["error"] == "invalid_request"
    assert "state" in parameters["error_description"]


async def test_the_sign_in_page_applies_the_portals_sign_in_rules(portal: Portal) -> None:
    staff = await back_office(portal)
    organisation_id, user_id, _ = await customer_with_access(portal, staff)
    app = MobileApp((await register_client(portal, staff))["client_id"])
    browser = Browser(portal.url)
    screen = await browser.open(**app.authorization_request())

    # A form posted from elsewhere (no cookie, or no token) issues nothing.
    forged = await Browser(portal.url).submit(screen, login=CUSTOMER_LOGIN, password=GOOD_PASSWORD)
    assert forged.status == 403
    assert forged.location is None
    assert "Ce formulaire a expiré." in forged.page.words

    wrong = await browser.submit(screen, login=CUSTOMER_LOGIN, password="Wrong&Guess99")
    assert wrong.status == 200
    assert wrong.location is None
    assert "L'identifiant ou le mot de passe est incorrect." in wrong.page.words
    assert wrong.page.fields["login"] == CUSTOMER_LOGIN  # kept, the password is not

    cancelled = await browser.submit(screen, action="cancel")
    parameters = cancelled.redirect_parameters()
    assert (parameters["error"], parameters["state"]) == ("access_denied", app.state)
    assert "code" not in parameters

    # The user must change their password: told so, and no code.
    await portal.sql(
        "UPDATE identity.credentials SET set_by_user = false WHERE user_id = $1",
        uuid.UUID(user_id),
    )
    forced = await browser.submit(screen, login=CUSTOMER_LOGIN, password=GOOD_PASSWORD)
    assert forced.status == 200
    assert forced.location is None
    assert "Votre mot de passe doit être changé." in forced.page.words
    await portal.sql("UPDATE identity.credentials SET set_by_user = true")

    # Blocked: the user proved who they are, the app learns it is denied.
    admin_token = (await portal.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD))["access_token"]
    await portal.call(
        "POST",
        f"/organisations/{organisation_id}/users/{user_id}/block",
        token=admin_token,
        expect=204,
    )
    blocked = await browser.submit(screen, login=CUSTOMER_LOGIN, password=GOOD_PASSWORD)
    parameters = blocked.redirect_parameters()
    assert (parameters["error"], parameters["state"]) == ("access_denied", app.state)
    assert "blocked" in parameters["error_description"]

    # Repeated failures lock the account, here as on the portal.
    for _ in range(5):
        await browser.submit(screen, login=CUSTOMER_LOGIN, password="Wrong&Guess99")
    locked = await browser.submit(screen, login=CUSTOMER_LOGIN, password=GOOD_PASSWORD)
    assert locked.status == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert "Trop de tentatives échouées." in locked.page.words


# --- internal systems ----------------------------------------------------------------------


async def test_an_internal_system_gets_a_service_token_with_client_credentials(
    portal: Portal,
) -> None:
    staff = await back_office(portal)
    registered = await register_client(
        portal,
        staff,
        name="ERP",
        kind="confidential",
        redirect_uris=[],
        scopes=["tickets:read", "orders:write"],
    )
    client_id, secret = registered["client_id"], registered["client_secret"]
    assert secret
    listed = await portal.call("GET", "/oauth-clients", token=staff, expect=200)
    assert [c["client_id"] for c in listed] == [client_id]
    assert "client_secret" not in listed[0]
    events = await portal.sql(
        "SELECT string_agg(data::text, ' ') FROM identity.events WHERE stream_id = $1",
        client_id,
    )
    assert "ERP" in events
    assert secret not in events
    assert "secret" not in events

    authorization = basic(client_id, secret)
    status, _, tokens = await token_call(
        portal.url, {"grant_type": "client_credentials"}, auth=authorization
    )
    assert status == 200, tokens
    assert "refresh_token" not in tokens
    assert tokens["scope"] == "tickets:read orders:write"
    async with portal.session.get(f"{portal.url}/.well-known/jwks.json") as response:
        keys = KeySet.import_key_set(await response.json())
    claims = jwt.decode(tokens["access_token"], keys, algorithms=["ES256"]).claims
    assert (claims["sub"], claims["role"], claims["aud"]) == (client_id, "service", "guichet")
    assert "org" not in claims
    assert claims["scope"] == "tickets:read orders:write"
    # Identity's user routes are not for it, and say so cleanly.
    refused = await portal.call("GET", "/me", token=tokens["access_token"])
    assert refused["status"] == 403

    status, _, narrower = await token_call(
        portal.url,
        {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "tickets:read",
        },
    )
    assert (status, narrower["scope"]) == (200, "tickets:read")
    status, _, wider = await token_call(
        portal.url, {"grant_type": "client_credentials", "scope": "admin"}, auth=authorization
    )
    assert (status, wider["error"]) == (400, "invalid_scope")

    for auth, form in [
        (basic(client_id, secret + "x"), {}),
        (None, {"client_id": client_id, "client_secret": "not-the-secret"}),
        (basic("gc_unknown", secret), {}),
    ]:
        status, headers, refused = await token_call(
            portal.url, {"grant_type": "client_credentials", **form}, auth=auth
        )
        assert (status, refused["error"]) == (401, "invalid_client"), form
        assert headers["WWW-Authenticate"].startswith("Basic ")
    # A mobile app has no secret and no client credentials.
    app = await register_client(portal, staff)
    status, _, refused = await token_call(
        portal.url, {"grant_type": "client_credentials", "client_id": app["client_id"]}
    )
    assert status in {400, 401}
    assert refused["error"] in {"invalid_client", "unauthorized_client"}


async def test_a_revoked_client_gets_nothing_more_and_its_sessions_end(portal: Portal) -> None:
    staff = await back_office(portal)
    await customer_with_access(portal, staff)
    app = MobileApp((await register_client(portal, staff))["client_id"])
    system = await register_client(
        portal, staff, name="ERP", kind="confidential", redirect_uris=[], scopes=[]
    )
    code = await sign_in_for_a_code(Browser(portal.url), app, CUSTOMER_LOGIN, GOOD_PASSWORD)
    _, _, tokens = await token_call(portal.url, exchange(app, code))

    customer = (await portal.sign_in(CUSTOMER_LOGIN, GOOD_PASSWORD))["access_token"]
    denied = await portal.call("POST", f"/oauth-clients/{app.client_id}/revocation", token=customer)
    assert denied["status"] == 403
    for client_id in (app.client_id, system["client_id"]):
        await portal.call("POST", f"/oauth-clients/{client_id}/revocation", token=staff, expect=204)
    again = await portal.call("POST", f"/oauth-clients/{app.client_id}/revocation", token=staff)
    assert again["status"] == 409
    shown = await portal.call("GET", f"/oauth-clients/{app.client_id}", token=staff, expect=200)
    assert shown["revoked_at"] is not None

    status, _, refused = await token_call(
        portal.url,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": app.client_id,
        },
    )
    assert (status, refused["error"]) == (400, "invalid_client")
    reason = await portal.sql(
        "SELECT revoked_reason FROM identity.sessions WHERE client_id = $1", app.client_id
    )
    assert reason == "client revoked"
    screen = await Browser(portal.url).open(**app.authorization_request())
    assert (screen.status, screen.location) == (400, None)
    status, _, refused = await token_call(
        portal.url,
        {"grant_type": "client_credentials"},
        auth=basic(system["client_id"], system["client_secret"]),
    )
    assert (status, refused["error"]) == (401, "invalid_client")


async def test_registration_refuses_clients_that_would_be_unsafe(portal: Portal) -> None:
    staff = await back_office(portal)
    for registration in [
        {"name": "App", "kind": "public", "redirect_uris": ["http://app.example/cb"]},
        {"name": "App", "kind": "public", "redirect_uris": ["https://app.example/cb#x"]},
        {"name": "App", "kind": "public", "redirect_uris": ["myapp:/cb"]},
        {"name": "App", "kind": "public", "redirect_uris": []},
        {"name": "App", "kind": "public", "redirect_uris": [REDIRECT_URI], "scopes": ["x"]},
        {"name": "ERP", "kind": "confidential", "redirect_uris": [REDIRECT_URI]},
        {"name": "ERP", "kind": "confidential", "scopes": ["openid"]},
        {"name": "ERP", "kind": "confidential", "scopes": ["Not A Scope"]},
    ]:
        refused = await portal.call("POST", "/oauth-clients", token=staff, json=registration)
        assert refused["status"] == 422, registration
    assert await portal.call("GET", "/oauth-clients", token=staff, expect=200) == []
    missing = await portal.call("GET", "/oauth-clients/gc_nothing", token=staff)
    assert missing["status"] == 404


# --- through the gateway ------------------------------------------------------------------


async def test_through_the_gateway_an_app_finds_every_endpoint_and_signs_a_user_in(
    portal: Portal, service_env: Callable[..., dict[str, Any]]
) -> None:
    staff = await back_office(portal)
    await customer_with_access(portal, staff)
    app = MobileApp((await register_client(portal, staff))["client_id"])
    settings = GatewaySettings(
        **service_env(
            public_url=f"{PUBLIC_URL}/", identity_url=portal.url, upstreams={"identity": portal.url}
        )
    )
    async with serving(create_gateway(settings)) as gateway, aiohttp.ClientSession() as http:
        async with http.get(f"{gateway}/.well-known/openid-configuration") as response:
            discovery = await response.json()
        assert discovery["issuer"] == PUBLIC_URL
        assert discovery["code_challenge_methods_supported"] == ["S256"]
        assert "userinfo_endpoint" not in discovery  # not built, so not announced

        def here(url: str) -> str:
            assert url.startswith(PUBLIC_URL + "/")
            return gateway + url.removeprefix(PUBLIC_URL)

        async with http.get(here(discovery["jwks_uri"])) as response:
            assert response.status == 200
            assert (await response.json())["keys"]
        async with http.get(here(discovery["authorization_endpoint"])) as response:
            assert response.status == 400  # no client: the error page
            assert response.content_type == "text/html"
        async with http.post(here(discovery["token_endpoint"]), data={}) as response:
            assert response.status == 400
            assert (await response.json())["error"] == "unsupported_grant_type"

        # The page's form posts back through the gateway's path.
        api = here(discovery["authorization_endpoint"]).removesuffix("/oauth/authorize")
        code = await sign_in_for_a_code(Browser(api), app, CUSTOMER_LOGIN, GOOD_PASSWORD)
        status, _, tokens = await token_call(api, exchange(app, code))
        assert status == 200, tokens
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        async with http.get(f"{api}/me", headers=bearer) as response:
            assert response.status == 200
            assert (await response.json())["user_code"] == CUSTOMER_LOGIN

        # Clients are the vendor admin's business alone.
        async with http.get(f"{api}/oauth-clients", headers=bearer) as response:
            assert response.status == 403
        async with http.get(
            f"{api}/oauth-clients", headers={"Authorization": f"Bearer {staff}"}
        ) as response:
            assert response.status == 200
            assert [c["client_id"] for c in await response.json()] == [app.client_id]
