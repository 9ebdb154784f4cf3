"""The portal's only source of data: the gateway's public API, called server to server.

Each call carries the user's bearer token and the browser's address (X-Forwarded-For; the
gateway trusts the portal as a proxy), so IP restrictions and rate limits see the real client.
An expired access token is refreshed once, transparently; a refused refresh ends the session.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from services.web.sessions import SessionEnded, SessionStore, Tokens, WebSession
from shared.http.client_ip import client_ip
from shared.http.middleware import REQUEST_ID, REQUEST_ID_HEADER

# A repeated parameter (`?status=new&status=open`) is given as pairs.
Params = Mapping[str, str] | Sequence[tuple[str, str]]


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


@dataclass(frozen=True)
class Upload:
    """A file to send as multipart/form-data; kept as bytes so a retry can send it again."""

    filename: str
    content: bytes
    content_type: str

    def form(self) -> aiohttp.FormData:
        data = aiohttp.FormData()
        data.add_field("file", self.content, filename=self.filename, content_type=self.content_type)
        return data


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
        params: Params | None = None,
        upload: Upload | None = None,
    ) -> Answer:
        async with self.open(
            request,
            method,
            path,
            token=token,
            json=json,
            params=params,
            upload=upload,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        ) as response:
            raw = await response.read()
            content_type = response.headers.get("Content-Type", "")
            body: Any = raw
            if "json" in content_type and raw:
                body = await response.json(content_type=None)
            return Answer(response.status, body, dict(response.headers))

    @contextlib.asynccontextmanager
    async def open(
        self,
        request: web.Request,
        method: str,
        path: str,
        *,
        token: str | None,
        timeout: aiohttp.ClientTimeout,
        json: Any = None,
        params: Params | None = None,
        upload: Upload | None = None,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """The API's answer, not yet read: for streams (live updates, downloads)."""
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
            data=upload.form() if upload is not None else None,
            params=params,
            headers=headers,
            allow_redirects=False,
            timeout=timeout,
        ) as response:
            yield response


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
        params: Params | None = None,
        upload: Upload | None = None,
    ) -> Answer:
        tokens = await self._tokens()
        answer = await self.client.request(
            self.request,
            method,
            path,
            token=tokens.access_token,
            json=json,
            params=params,
            upload=upload,
        )
        if answer.status == 401:  # revoked or expired early (clock skew): one retry
            tokens = await self._renewed()
            answer = await self.client.request(
                self.request,
                method,
                path,
                token=tokens.access_token,
                json=json,
                params=params,
                upload=upload,
            )
            if answer.status == 401:
                await self._end()
        return _raise_for(answer)

    @contextlib.asynccontextmanager
    async def stream(
        self, path: str, *, params: Params | None = None
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """A GET whose answer is relayed as it comes (no overall time limit): a refusal is an
        ApiError, as for `call`."""
        # No total limit, and none between reads: a live stream's heartbeats come every 15 s,
        # a download's chunks as fast as the network gives them.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.client.timeout)
        for attempt in range(2):
            tokens = await (self._tokens() if attempt == 0 else self._renewed())
            async with self.client.open(
                self.request, "GET", path, token=tokens.access_token, params=params, timeout=timeout
            ) as response:
                if response.status == 401 and attempt == 0:
                    continue  # revoked or expired early: one retry with a renewed token
                if response.status == 401:
                    await self._end()
                if response.status >= 400:
                    raw = await response.read()
                    body = await response.json(content_type=None) if b"{" in raw[:1] else {}
                    raise ApiError(response.status, body if isinstance(body, dict) else {})
                yield response
                return

    async def upload(self, upload: Upload) -> dict[str, Any]:
        """A file for a ticket's message or note: its attachment id and what was stored."""
        return (await self.call("POST", "/api/tickets/uploads", upload=upload)).body

    async def _tokens(self) -> Tokens:
        session = self.session
        if session is None or session.tokens is None:
            raise SessionEnded
        if not session.tokens.fresh:
            return await self.store.refreshed(session, self._refresh)
        return session.tokens

    async def _renewed(self) -> Tokens:
        if self.session is None:
            raise SessionEnded
        return await self.store.refreshed(self.session, self._refresh)

    async def _end(self) -> None:
        if self.session is not None:
            await self.store.delete(self.session)
        raise SessionEnded

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
