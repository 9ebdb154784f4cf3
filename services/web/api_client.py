"""The portal's only source of data: the gateway's public API, called server to server.

Each call carries the user's bearer token and the browser's address (X-Forwarded-For; the
gateway trusts the portal as a proxy), so IP restrictions and rate limits see the real client.
An expired access token is refreshed once, transparently; a refused refresh ends the session.
"""

from __future__ import annotations

import datetime as dt
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

    async def request(
        self,
        request: web.Request,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: dict[str, str] | None = None,
    ) -> Answer:
        headers = {REQUEST_ID_HEADER: request[REQUEST_ID]}
        address = client_ip(request)
        if address is not None:
            headers["X-Forwarded-For"] = str(address)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        language = request.headers.get("Accept-Language")
        if language:
            headers["Accept-Language"] = language
        async with self.http.request(
            method,
            self.base.join(URL(path.lstrip("/"))),
            json=json,
            params=params,
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        ) as response:
            raw = await response.read()
            content_type = response.headers.get("Content-Type", "")
            body: Any = raw
            if "json" in content_type and raw:
                body = await response.json(content_type=None)
            return Answer(response.status, body, dict(response.headers))


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

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
    ) -> Answer:
        session = self.session
        if session is None or session.tokens is None:
            raise SessionEnded
        tokens = session.tokens
        if not tokens.fresh:
            tokens = await self.store.refreshed(session, self._refresh)
        answer = await self.client.request(
            self.request, method, path, token=tokens.access_token, json=json, params=params
        )
        if answer.status == 401:  # revoked or expired early (clock skew): one retry
            tokens = await self.store.refreshed(session, self._refresh)
            answer = await self.client.request(
                self.request, method, path, token=tokens.access_token, json=json, params=params
            )
            if answer.status == 401:
                await self.store.delete(session)
                raise SessionEnded
        return _raise_for(answer)

    async def get(self, path: str, **params: str) -> Any:
        return (await self.call("GET", path, params=params or None)).body

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
