"""Helpers for tests: real servers, waiting for what a user would wait for."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiokafka import AIOKafkaConsumer, TopicPartition
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from shared.auth.claims import AUDIENCE, SIGNING_ALGORITHM
from shared.auth.verifier import JWKS_PATH

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def eventually(
    check: Callable[[], Awaitable[T]], *, timeout: float = 20.0, interval: float = 0.1
) -> T:
    """Poll `check` until it returns something truthy; fail with the last value otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout}s (last value: {value!r})")
        await asyncio.sleep(interval)


class MailCatcher:
    """MailDev's JSON API: what arrived in the inbox, as a user would see it."""

    def __init__(self, web_url: str) -> None:
        self.web_url = web_url

    async def all(self) -> list[dict[str, Any]]:
        async with aiohttp.ClientSession() as session, session.get(f"{self.web_url}/email") as r:
            r.raise_for_status()
            return await r.json()

    async def to(self, recipient: str) -> list[dict[str, Any]]:
        return [
            mail
            for mail in await self.all()
            if any(to["address"].lower() == recipient.lower() for to in mail["to"])
        ]

    async def wait_for(
        self, recipient: str, count: int = 1, timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        async def arrived() -> list[dict[str, Any]]:
            mails = await self.to(recipient)
            return mails if len(mails) >= count else []

        return await eventually(arrived, timeout=timeout, interval=0.2)


@asynccontextmanager
async def in_background(work: Coroutine[Any, Any, None]) -> AsyncIterator[asyncio.Task[None]]:
    """Run `work` as a task for the duration of the block; cancel it and wait on exit."""
    task = asyncio.create_task(work)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Run a service app on a real port for the duration; yields its base URL."""
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


class TopicReader:
    """Reads every partition of a topic from the beginning, in the background, as it grows."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.records: list[Any] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> TopicReader:
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _read(self) -> None:
        while True:  # survives a broker restart: starts again from the beginning
            self.records.clear()
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50
            )
            try:
                await consumer.start()
                partitions = None
                while not partitions:
                    await consumer._client.force_metadata_update()
                    partitions = consumer.partitions_for_topic(self.topic)
                    if not partitions:
                        await asyncio.sleep(0.1)
                assignment = [TopicPartition(self.topic, p) for p in sorted(partitions)]
                consumer.assign(assignment)
                await consumer.seek_to_beginning(*assignment)
                while True:
                    batch = await consumer.getmany(timeout_ms=100)
                    for records in batch.values():
                        self.records.extend(records)
            except asyncio.CancelledError:
                raise
            except Exception:
                await asyncio.sleep(0.2)
            finally:
                await consumer.stop()

    async def wait_for(self, count: int, timeout: float = 20.0) -> list[Any]:
        async def enough() -> list[Any]:
            return list(self.records) if len(self.records) >= count else []

        return await eventually(enough, timeout=timeout)


class TokenIssuer:
    """A real ES256 token issuer for service tests: identity's role, without identity.

    Its JWKS is served by a real HTTP server (`url` is what a service's `identity_url` is set
    to), and `mint(**claims)` signs access tokens the services accept. Claims default to a
    customer user of no organisation, valid for five minutes; pass what a test needs.
    """

    def __init__(self, issuer: str = "http://portal.test") -> None:
        self.issuer = issuer
        self.key = ECKey.generate_key("P-256", auto_kid=True)
        self.url = ""
        self._server: TestServer | None = None

    def jwks(self) -> dict[str, Any]:
        return dict(KeySet([self.key]).as_dict(private=False))

    def claims(self, **claims: Any) -> dict[str, Any]:
        now = int(time.time())
        defaults: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": str(uuid.uuid4()),
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
            "sid": str(uuid.uuid4()),
            "role": "customer_user",
        }
        merged = {**defaults, **claims}
        for name in ("org", "branch"):
            if merged.get(name) is not None:
                merged[name] = str(merged[name])
        if "modules" in merged:
            merged["modules"] = [str(module) for module in merged["modules"]]
        return merged

    def mint(self, **claims: Any) -> str:
        return self.sign(self.claims(**claims))

    def sign(
        self,
        claims: dict[str, Any],
        *,
        key: ECKey | None = None,
        header: dict[str, Any] | None = None,
    ) -> str:
        """Sign any claims, with any EC key and header: for tests of what must be refused."""
        signing_key = key or self.key
        return jwt.encode(
            {"alg": SIGNING_ALGORITHM, "kid": signing_key.kid, **(header or {})},
            claims,
            signing_key,
            algorithms=[SIGNING_ALGORITHM],
        )

    def bearer(self, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.mint(**claims)}"}

    async def start(self) -> None:
        app = web.Application()

        async def jwks(_request: web.Request) -> web.Response:
            return web.json_response(self.jwks())

        app.router.add_get(JWKS_PATH, jwks)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        self.url = str(self._server.make_url("")).rstrip("/")

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()
