"""Session-wide real servers for every test: PostgreSQL, the Kafka-compatible broker and the
mail catcher, started by the same devstack code that runs the local portal; and, for the tests
that ask for it, an S3-compatible object store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from devstack import broker, mailcatcher, objectstore, postgres
from devstack.supervisor import Supervisor
from shared.telemetry import configure_logging, configure_tracing
from tests.support import KAFKA_SESSION_TIMEOUT_MS, MailCatcher, TokenIssuer, free_port

SPANS = InMemorySpanExporter()
configure_logging("tests", "info", "console")
configure_tracing("tests", exporter=SPANS)


# Directories whose conftest starts a stack for the whole session (the web portal and its
# browser; the e2e portal): under xdist their tests share one worker, so it starts once.
SESSION_STACKS = ("services/web/tests/", "tests/e2e/")


def worker_group(nodeid: str) -> str:
    """The tests that run on one xdist worker, one after the other: a session stack's
    directory, else a module (its module-scoped fixtures then start once)."""
    path = nodeid.split("::", 1)[0]
    return next((stack for stack in SESSION_STACKS if path.startswith(stack)), path)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist's loadscope, with `worker_group` as the scope. (Its `loadgroup` marks do not
    work with pytest 9, which no longer lets a plugin rewrite a test's id.)"""
    from xdist.scheduler import LoadScopeScheduling  # noqa: PLC0415 - only under xdist

    class ByWorkerGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

    return ByWorkerGroup(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The session stacks' groups are the longest: handed out first, so that no worker
    starts one when the others are nearly done. Only in an xdist worker, whose order is the
    plan the scheduler follows; a plain run keeps the order that fails fastest."""
    if hasattr(config, "workerinput"):
        items.sort(key=lambda item: worker_group(item.nodeid) not in SESSION_STACKS)


# The tests' PostgreSQL trades durability for speed; the benchmarks use the real thing.
FAST_POSTGRES = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


@dataclass
class Infrastructure:
    supervisor: Supervisor
    root: Path
    postgres_port: int
    kafka_bootstrap: str
    smtp_url: str
    mail: MailCatcher

    def database_url(self, database: str = postgres.DATABASE) -> str:
        return postgres.url(self.postgres_port, database)


@pytest.fixture(scope="session")
async def infrastructure(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Infrastructure]:
    root = tmp_path_factory.mktemp("servers")
    supervisor = Supervisor(log_dir=root / "logs", echo=False)
    pg_port, kafka_port, smtp_port, mail_web_port = (free_port() for _ in range(4))
    try:
        await postgres.start(supervisor, root / "pgdata", pg_port, settings=FAST_POSTGRES)
        await broker.start(supervisor, kafka_port)
        await mailcatcher.start(supervisor, root / "mail", smtp_port, mail_web_port)
        yield Infrastructure(
            supervisor=supervisor,
            root=root,
            postgres_port=pg_port,
            kafka_bootstrap=broker.bootstrap(kafka_port),
            smtp_url=f"smtp://127.0.0.1:{smtp_port}",
            mail=MailCatcher(f"http://127.0.0.1:{mail_web_port}"),
        )
    finally:
        await supervisor.stop_all()


@pytest.fixture(scope="session")
async def object_store(infrastructure: Infrastructure) -> AsyncIterator[objectstore.ObjectStore]:
    """SeaweedFS's S3 gateway, started on first use (most sessions need none); see `s3_bucket`."""
    ports = objectstore.Ports(*(free_port() for _ in range(8)))
    yield await objectstore.start(
        infrastructure.supervisor,
        infrastructure.root / "objectstore",
        ports,
        access_key_id="guichet-tests",
        secret_access_key=uuid.uuid4().hex,
    )
    await objectstore.stop(infrastructure.supervisor, ports)


@pytest.fixture
async def s3_bucket(object_store: objectstore.ObjectStore) -> str:
    """A fresh, empty bucket for one test, on `object_store`."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    await objectstore.create_bucket(object_store, name)
    return name


@dataclass
class DisposableBroker:
    """A broker of one test's own, which the test may restart (losing every message)."""

    supervisor: Supervisor
    port: int

    @property
    def name(self) -> str:
        return f"broker-{self.port}"

    @property
    def bootstrap(self) -> str:
        return broker.bootstrap(self.port)

    async def restart(self) -> None:
        await self.supervisor.stop(self.name)
        await broker.start(self.supervisor, self.port, name=self.name)


@pytest.fixture
async def disposable_broker(infrastructure: Infrastructure) -> AsyncIterator[DisposableBroker]:
    own = DisposableBroker(infrastructure.supervisor, free_port())
    await broker.start(own.supervisor, own.port, name=own.name)
    yield own
    await own.supervisor.stop(own.name)


@pytest.fixture
async def database_url(infrastructure: Infrastructure) -> str:
    """A fresh, empty database for one test: services keep their fixed schema names."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    await postgres.ensure_database(infrastructure.database_url("postgres"), name)
    return infrastructure.database_url(name)


@pytest.fixture
def kafka_namespace() -> str:
    """Topics and consumer groups of one test, unseen by the others."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
async def token_issuer() -> AsyncIterator[TokenIssuer]:
    """Signs access tokens that every service under test accepts (its JWKS is what
    `identity_url` points at in `service_env`): `token_issuer.mint(org=..., role=...)`."""
    issuer = TokenIssuer("http://portal.test")
    await issuer.start()
    yield issuer
    await issuer.close()


@pytest.fixture
def service_env(
    infrastructure: Infrastructure,
    database_url: str,
    kafka_namespace: str,
    token_issuer: TokenIssuer,
) -> Callable[..., dict[str, Any]]:
    """Settings values for a service under test; keyword arguments override them."""

    def build(**overrides: Any) -> dict[str, Any]:
        return {
            "database_url": database_url,
            "kafka_bootstrap": infrastructure.kafka_bootstrap,
            "kafka_namespace": kafka_namespace,
            "public_url": "http://portal.test/",
            "identity_url": token_issuer.url,
            "smtp_url": infrastructure.smtp_url,
            "kafka_session_timeout_ms": KAFKA_SESSION_TIMEOUT_MS,
            **overrides,
        }

    return build
