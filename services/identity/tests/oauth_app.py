"""A mobile app and a browser as OAuth tests need them: PKCE, the authorization page's form
read and posted like a browser would, the token endpoint called like an app would."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp

from services.identity.tests.portal import (
    Portal,
)

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
