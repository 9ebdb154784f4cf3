"""The portal's only source of data: the gateway's public API, called server to server.

Each call carries the user's bearer token and the browser's address (X-Forwarded-For; the
gateway trusts the portal as a proxy), so IP restrictions and rate limits see the real client.
An expired access token is refreshed once, transparently; a refused refresh ends the session.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from services.web.sessions import SessionEnded, SessionStore, Tokens, WebSession
from shared.http.client_ip import client_ip
from shared.http.middleware import REQUEST_ID, REQUEST_ID_HEADER


class ApiError(Exception):
    """The API refused: its problem+json, for the page to explain."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("detail") or problem.get("title") or str(status))
        self.status = status
        self.problem = problem

    @property
    def violations(self) -> list[str]:
        """Password rules broken, by rule id."""
        return [str(v.get("rule")) for v in self.problem.get("violations", []) or []]

    @property
    def field_errors(self) -> dict[str, str]:
        return {
            str(error.get("field")): str(error.get("message"))
            for error in self.problem.get("errors", []) or []
            if error.get("field")
        }

    @property
    def field_codes(self) -> dict[str, str]:
        """The kind of each field's error (pydantic's type, e.g. `string_too_short`), for a
        message in the reader's language."""
        return {
            str(error.get("field")): str(error.get("code") or "")
            for error in self.problem.get("errors", []) or []
            if error.get("field")
        }


Params = Mapping[str, str] | Sequence[tuple[str, str]]
FormFactory = Callable[[], aiohttp.FormData]
"""A multipart body, built anew for each attempt (a sent one cannot be sent again)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class GatewayClient:
    http: aiohttp.ClientSession
    base: URL
    timeout: float

    def _headers(self, request: web.Request, token: str | None) -> dict[str, str]:
        headers = {REQUEST_ID_HEADER: request[REQUEST_ID]}
        address = client_ip(request)
        if address is not None:
            headers["X-Forwarded-For"] = str(address)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        language = request.headers.get("Accept-Language")
        if language:
            headers["Accept-Language"] = language
        return headers

    async def request(
        self,
        request: web.Request,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: Params | None = None,
        data: aiohttp.FormData | None = None,
    ) -> Answer:
        async with self.http.request(
            method,
            self.base.join(URL(path.lstrip("/"))),
            json=json,
            data=data,
            params=params,
            headers=self._headers(request, token),
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        ) as response:
            raw = await response.read()
            content_type = response.headers.get("Content-Type", "")
            body: Any = raw
            if "json" in content_type and raw:
                body = await response.json(content_type=None)
            return Answer(response.status, body, dict(response.headers))

    @contextlib.asynccontextmanager
    async def stream(
        self,
        request: web.Request,
        path: str,
        *,
        token: str,
        params: Params | None = None,
        method: str = "GET",
        json: Any = None,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """A request whose answer is read as it comes (a download, an export, an event
        stream): no limit on its length, only on the wait for its headers."""
        async with self.http.request(
            method,
            self.base.join(URL(path.lstrip("/"))),
            params=params,
            json=json,
            headers=self._headers(request, token),
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.timeout, sock_read=None),
        ) as response:
            yield response


async def _problem(response: aiohttp.ClientResponse) -> ApiError:
    body: Any = None
    if "json" in response.headers.get("Content-Type", ""):
        body = await response.json(content_type=None)
    return ApiError(response.status, body if isinstance(body, dict) else {})


def _raise_for(answer: Answer) -> Answer:
    if answer.status >= 400:
        problem = answer.body if isinstance(answer.body, dict) else {}
        raise ApiError(answer.status, problem)
    return answer


@dataclass
class Api:
    """The API as one request of one visitor sees it."""

    client: GatewayClient
    store: SessionStore
    request: web.Request
    session: WebSession | None

    async def public(self, method: str, path: str, *, json: Any = None) -> Answer:
        return _raise_for(await self.client.request(self.request, method, path, json=json))

    async def _signed_in(self) -> tuple[WebSession, Tokens]:
        session = self.session
        if session is None or session.tokens is None:
            raise SessionEnded
        tokens = session.tokens
        if not tokens.fresh:
            tokens = await self.store.refreshed(session, self._refresh)
        return session, tokens

    async def _refused_token(self, session: WebSession, attempt: int) -> Tokens:
        """A 401 on a token thought fresh (revoked, or expired early: clock skew): one
        retry with a refreshed token; a second 401 ends the session."""
        if attempt > 0:
            await self.store.delete(session)
            raise SessionEnded
        return await self.store.refreshed(session, self._refresh)

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Params | None = None,
        form: FormFactory | None = None,
    ) -> Answer:
        session, tokens = await self._signed_in()
        for attempt in range(2):
            answer = await self.client.request(
                self.request,
                method,
                path,
                token=tokens.access_token,
                json=json,
                params=params,
                data=form() if form is not None else None,
            )
            if answer.status != 401:
                break
            tokens = await self._refused_token(session, attempt)
        return _raise_for(answer)

    async def get(self, path: str, **params: str) -> Any:
        return (await self.call("GET", path, params=params or None)).body

    @contextlib.asynccontextmanager
    async def stream(
        self, path: str, params: Params | None = None, *, method: str = "GET", json: Any = None
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """An answer read as it comes (a GET, or a POST that only asks, such as a ZIP of
        chosen files); its refusal is an ApiError like any call's."""
        session, tokens = await self._signed_in()
        for attempt in range(2):
            async with self.client.stream(
                self.request,
                path,
                token=tokens.access_token,
                params=params,
                method=method,
                json=json,
            ) as response:
                if response.status == 401:
                    tokens = await self._refused_token(session, attempt)
                    continue
                if response.status >= 400:
                    raise await _problem(response)
                yield response
                return

    async def _refresh(self, refresh_token: str) -> tuple[Tokens, dt.datetime] | None:
        answer = await self.client.request(
            self.request, "POST", "/api/auth/refresh", json={"refresh_token": refresh_token}
        )
        if answer.status == 401:  # refused: the session is over
            return None
        _raise_for(answer)  # anything else (the API down, rate limited) is not a sign-out
        return Tokens.from_answer(answer.body), expiry(answer.body)


def expiry(tokens: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(tokens["refresh_expires_at"])
