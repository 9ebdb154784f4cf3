"""OAuth 2.0 and OpenID Connect as apps meet them: a mobile app signs a user in with
authorization code + PKCE on identity's page, exchanges the code, refreshes; an internal
system gets its own token with client credentials; and everything that should be refused
is, the way RFC 6749 says."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from services.identity.app import create_app
from services.identity.bootstrap import create_admin
from services.identity.settings import IdentitySettings
from services.identity.tests.test_access import (
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


async def token_call(
    url: str, form: dict[str, str], *, auth: aiohttp.BasicAuth | None = None
) -> tuple[int, dict[str, str], dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{url}/oauth/token", data=form, auth=auth) as response,
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
    assert id_token.header["kid"] in {key.kid for key in keys.keys}

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
