"""Helpers for tests: real servers, waiting for what a user would wait for."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
import uuid
import warnings
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

import aiohttp
import asyncpg
import hypothesis
import hypothesis.errors
import jsonschema_rs
import requests
import schemathesis
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet
from schemathesis import CheckFunction, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.adapter.validators import validate_v3 as validate_openapi_3
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.auth.claims import AUDIENCE, SIGNING_ALGORITHM
from shared.auth.verifier import JWKS_PATH
from shared.cloudevents import CloudEvent
from shared.events import DomainEvent
from shared.kafka import ensure_topics, service_topic

T = TypeVar("T")

# The tests' consumers: Tansu holds a consumer's group join for half its session timeout,
# rounded up to whole seconds, and with Kafka's 10 s default every service under test took
# 5 s to see its first event. 2 s gives a 1 s join; heartbeats still go every 0.67 s, so
# a replica that leaves or dies is still noticed (production keeps 10 s).
KAFKA_SESSION_TIMEOUT_MS = 2_000


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


@dataclass
class Answer:
    status: int
    headers: Any
    body: Any
    raw: bytes


@dataclass
class ApiClient:
    """Someone calling a service under test with their own real token."""

    base_url: str
    headers: dict[str, str]
    user_id: uuid.UUID
    organisation_id: uuid.UUID | None
    session: aiohttp.ClientSession = field(repr=False)

    async def call(self, method: str, path: str, **kwargs: Any) -> Answer:
        async with self.session.request(
            method, f"{self.base_url}{path}", headers=self.headers, **kwargs
        ) as response:
            raw = await response.read()
            body: Any = None
            if response.content_type.endswith("json"):
                body = await response.json(content_type=None)
            return Answer(response.status, response.headers, body, raw)

    async def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        answer = await self.call(method, path, **kwargs)
        assert answer.status == status, (answer.status, answer.body)
        return answer.body


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


@asynccontextmanager
async def consuming_service(
    app: web.Application, kafka_bootstrap: str, namespace: str, consumes: Iterable[str]
) -> AsyncIterator[tuple[str, aiohttp.ClientSession]]:
    """A service that reads other services' topics, served once those topics exist (so its
    consumers start from their beginning), and a client session to call it: its base URL and
    the session."""
    topics = {service_topic(namespace, source): 3 for source in consumes}
    await ensure_topics(kafka_bootstrap, topics, 1)
    async with serving(app) as url, aiohttp.ClientSession() as session:
        yield url, session


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


async def publish(
    bootstrap: str,
    topic: str,
    event: DomainEvent,
    *,
    source: str,
    organisation: uuid.UUID | None = None,
    subject: str | None = None,
) -> CloudEvent:
    """Publish one event as its service would (a CloudEvent keyed by `subject`); the
    envelope sent."""
    envelope = CloudEvent(
        id=str(uuid.uuid4()),
        source=f"/guichet/{source}",
        type=event.type,
        subject=subject or str(uuid.uuid4()),
        time=datetime.now(UTC),
        data=event.model_dump(mode="json"),
        dataversion=event.version,
        organisationid=str(organisation) if organisation else None,
        correlationid=str(uuid.uuid4()),
    )
    await send_envelopes(bootstrap, topic, envelope)
    return envelope


async def send_envelopes(bootstrap: str, topic: str, *envelopes: CloudEvent) -> None:
    """Send these CloudEvents as they are, in order (each keyed by its subject): the same one
    twice is what a broker or a relay may do, a redelivery."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send_and_wait(topic, envelope.kafka_value(), key=envelope.kafka_key())
    finally:
        await producer.stop()


class ServiceUnderTest:
    """What tests of a service that consumes others' events share: its own tables (`sql`),
    and another service's event published so that the service handles it. Mixed into a
    dataclass holding `database_url`, `kafka_bootstrap` and `namespace`."""

    schema: ClassVar[str]
    database_url: str
    kafka_bootstrap: str
    namespace: str

    async def sql(self, query: str, *args: Any) -> Any:
        connection = await asyncpg.connect(self.database_url)
        try:
            await connection.execute(f"SET search_path TO {self.schema}")
            return await connection.fetch(query, *args)
        finally:
            await connection.close()

    async def consumed(
        self, source: str, event: DomainEvent, organisation: uuid.UUID | None
    ) -> None:
        """`source`'s event, as that service publishes it; returns once this one handled it."""
        [before] = await self.sql("SELECT count(*) AS n FROM inbox")
        topic = f"{self.namespace}.{source}"
        await publish(self.kafka_bootstrap, topic, event, source=source, organisation=organisation)

        async def handled() -> bool:
            [now] = await self.sql("SELECT count(*) AS n FROM inbox")
            return now["n"] > before["n"]

        await eventually(handled, timeout=30)


def assert_valid_openapi(document: Mapping[str, Any]) -> None:
    """Fail unless `document` is valid OpenAPI 3.1: the official meta-schema (the copy
    schemathesis ships, so no extra dependency), every schema in it valid JSON Schema 2020-12,
    and every `$ref` pointing at something that exists."""
    try:
        validate_openapi_3(document)
    except jsonschema_rs.ValidationError as error:
        raise AssertionError(f"not valid OpenAPI 3.1: {error}") from None
    problems: list[str] = []
    for where, node in _walk(document, "#"):
        ref = node.get("$ref")
        if isinstance(ref, str) and _resolve_pointer(document, ref) is None:
            problems.append(f"{where}: $ref {ref} points at nothing")
    schemas = [
        (f"#/components/schemas/{name}", schema)
        for name, schema in document.get("components", {}).get("schemas", {}).items()
    ] + [
        (where, node["schema"])
        for where, node in _walk(document.get("paths", {}), "#/paths")
        if isinstance(node.get("schema"), Mapping)
    ]
    for where, schema in schemas:
        try:
            jsonschema_rs.meta.validate(dict(schema))
        except jsonschema_rs.ValidationError as error:
            problems.append(f"{where}: not valid JSON Schema: {error}")
    assert not problems, "\n".join(problems)


def _walk(node: Any, where: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if isinstance(node, Mapping):
        yield where, node
        for key, value in node.items():
            yield from _walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{where}/{index}")


def _resolve_pointer(document: Mapping[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        return None
    node: Any = document
    for escaped in ref[2:].split("/"):
        part = escaped.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


EVERY_REQUEST_REFUSED = "every request was refused (401 or 403): do the headers authenticate?"
DEFAULT_CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)


async def fuzz(
    schema: str | Mapping[str, Any],
    base_url: str,
    *,
    headers: Mapping[str, str] | None = None,
    max_examples: int = 20,
    checks: Sequence[CheckFunction] = DEFAULT_CHECKS,
    modes: Sequence[GenerationMode] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
    refusing: Collection[str] = (),
) -> None:
    """Let schemathesis send generated requests to every operation of a live server and check
    the answers; fail with one readable entry per operation that misbehaved, or whose every
    request was refused with 401/403 (wrong `headers`: nothing was tested). `refusing` names
    the operations ("POST /auth/refresh") that rightly refuse every generated request so:
    those that check a secret or a right no generated value can have.

    `schema` is the document or its URL. Runs in a thread: schemathesis is synchronous, and the
    server under test usually lives on this event loop. Deterministic (derandomized)."""
    failures = await asyncio.to_thread(
        _fuzz,
        schema,
        base_url,
        dict(headers or {}),
        max_examples,
        list(checks),
        list(modes),
        frozenset(refusing),
    )
    if failures:
        raise AssertionError(f"{len(failures)} failing operation(s):\n\n" + "\n\n".join(failures))


def _fuzz(
    schema: str | Mapping[str, Any],
    base_url: str,
    headers: dict[str, str],
    max_examples: int,
    checks: list[CheckFunction],
    modes: list[GenerationMode],
    refusing: frozenset[str],
) -> list[str]:
    loaded = (
        schemathesis.openapi.from_url(schema, headers=headers)
        if isinstance(schema, str)
        else schemathesis.openapi.from_dict(dict(schema))
    )
    failures: list[str] = []
    with requests.Session() as session:
        for result in loaded.get_all_operations():
            if not isinstance(result, Ok):
                failures.append(f"schema: {result.err()}")
                continue
            operation = result.ok()
            for mode in modes:
                failure = _fuzz_operation(
                    operation, mode, base_url, headers, session, max_examples, checks
                )
                if failure == EVERY_REQUEST_REFUSED and operation.label in refusing:
                    continue
                if failure:
                    failures.append(f"{operation.label} ({mode.value} data):\n{failure}")
    return failures


def _fuzz_operation(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    base_url: str,
    headers: dict[str, str],
    session: requests.Session,
    max_examples: int,
    checks: list[CheckFunction],
) -> str | None:
    @hypothesis.settings(
        max_examples=max_examples,
        derandomize=True,  # same cases every run: a failure here is a bug, not bad luck
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        report_multiple_bugs=False,
        print_blob=False,
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode, headers=headers))
    def run(case: schemathesis.Case) -> None:
        response = case.call_and_validate(
            base_url=base_url, session=session, headers=headers, checks=checks
        )
        statuses.add(response.status_code)

    statuses: set[int] = set()
    try:
        with warnings.catch_warnings():
            # Raised from inside schemathesis' own strategies; nothing a caller can change.
            warnings.filterwarnings(
                "ignore",
                "Do not use the `random` module",
                hypothesis.errors.HypothesisDeprecationWarning,
            )
            run()
    except hypothesis.errors.Unsatisfiable:  # nothing to make invalid (no parameters, no body)
        return None
    # What the checks found (a BaseExceptionGroup), or what made the call impossible.
    except (schemathesis.errors.FailureGroup, Exception) as error:
        return str(error).strip() or type(error).__name__
    if statuses and statuses <= {401, 403}:
        # Every answer documented, yet nothing reached the route: that proves nothing.
        return EVERY_REQUEST_REFUSED
    return None


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
