"""Emails: how many per second notifications sustains, and how long from an event's commit to
the SMTP server's acceptance of its email, at 100 events/s.

Identity's side is its event store (the kit's tables) and the real `OutboxRelay`, publishing
to the Tansu broker; the notifications service runs whole (consumer, renderer, dispatcher)
in this process; the SMTP server is MailDev, the mail catcher of the tests and devstack,
started by this benchmark. Each event is a password-reset request, so each is one email
(rendered from its fr/en templates, with a one-time link unsealed from the event) to an
address of its own; MailDev's receipt time of each email (ms resolution, same wall clock)
is the moment the SMTP server accepted it.

Two runs:
- latency: one event per transaction at 100 events/s (an absolute schedule), latency =
  MailDev receipt - commit, per email;
- throughput: a backlog of events committed as fast as possible (100 per transaction),
  emails/s = emails / (last receipt - first commit).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import secrets
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp import web

from bench.relay_latency import Percentiles
from devstack import mailcatcher
from devstack.supervisor import Supervisor
from services.identity import events as identity
from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from shared.db import create_pool, migrate
from shared.eventstore import EventContext, EventStore
from shared.outbox import OutboxRelay, RelayConfig
from shared.sealing import Sealer, new_sealing_key
from shared.wakeup import outbox_channel

RATE = 100.0
BATCH = 100
EXPIRES = datetime.now(UTC) + timedelta(days=1)


class Identity:
    """Appends password-reset requests as identity would, noting each commit time."""

    def __init__(self, pool: asyncpg.Pool, schema: str, sealer: Sealer, tag: str) -> None:
        self.pool = pool
        self.store = EventStore(identity.registry, outbox_channel(schema))
        self.sealer = sealer
        self.tag = tag

    def reset(self, recipient: str) -> tuple[str, identity.PasswordResetRequested]:
        user_id = uuid.uuid4()
        link = identity.OneTimeLink(
            sealed_token=self.sealer.seal(secrets.token_urlsafe(32), subject=str(user_id)),
            expires_at=EXPIRES,
        )
        event = identity.PasswordResetRequested(
            user_id=user_id, email=recipient, language="fr", reset=link
        )
        return str(user_id), event

    async def commit(
        self, connection: asyncpg.Connection, recipients: list[str]
    ) -> dict[str, float]:
        """One transaction, one event per recipient (each on its user's stream)."""
        async with connection.transaction():
            for recipient in recipients:
                stream_id, event = self.reset(recipient)
                await self.store.append(
                    connection,
                    stream_id=stream_id,
                    stream_type="identity",
                    expected_version=0,
                    events=[event],
                    context=EventContext.new(actor_id="bench"),
                )
        committed = time.time()
        return dict.fromkeys(recipients, committed)

    def recipients(self, label: str, count: int) -> list[str]:
        return [f"{label}-{self.tag}-{index}@bench.example" for index in range(count)]


class Inbox:
    """MailDev's JSON API: when each recipient's email was accepted."""

    def __init__(self, web_url: str) -> None:
        self.web_url = web_url

    async def received(self, session: aiohttp.ClientSession) -> dict[str, float]:
        async with session.get(f"{self.web_url}/email") as response:
            response.raise_for_status()
            mails = await response.json()
        return {
            mail["to"][0]["address"]: datetime.fromisoformat(
                mail["time"].replace("Z", "+00:00")
            ).timestamp()
            for mail in mails
        }

    async def wait_for(self, recipients: set[str], timeout: float) -> dict[str, float]:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while True:
                received = await self.received(session)
                if recipients <= received.keys() or time.monotonic() > deadline:
                    return {r: at for r, at in received.items() if r in recipients}
                await asyncio.sleep(0.5)


@contextlib.asynccontextmanager
async def notifications_running(settings: NotificationsSettings) -> AsyncIterator[None]:
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield
    finally:
        await runner.cleanup()


async def run(  # noqa: PLR0915 - one measured scenario, read top to bottom
    database_url: str, kafka_bootstrap: str, *, quick: bool
) -> dict[str, object]:
    duration = 4.0 if quick else 10.0
    backlog = 600 if quick else 2000
    token = secrets.token_hex(4)
    schema = f"bench_identity_{token}"
    namespace = f"bench-{token}"
    key = new_sealing_key()
    workdir = Path(tempfile.mkdtemp(prefix="guichet-bench-mail-"))
    supervisor = Supervisor(log_dir=workdir / "logs", echo=False)
    smtp_port, web_port = _free_ports(2)
    await migrate(database_url, schema, None)
    pool = await create_pool(database_url, schema, min_size=1, max_size=2)
    relay = OutboxRelay(
        RelayConfig(
            database_url=database_url,
            schema=schema,
            service="identity",
            kafka_bootstrap=kafka_bootstrap,
            kafka_namespace=namespace,
        )
    )
    settings = NotificationsSettings(
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        kafka_namespace=namespace,
        public_url="http://portal.bench/",
        # No request is made to it: the service only needs to know where tokens come from.
        identity_url="http://127.0.0.1:9/",
        smtp_url=f"smtp://127.0.0.1:{smtp_port}",
        sealing_key=key,
        log_level="warning",
    )
    producer = Identity(pool, schema, Sealer(key), token)
    inbox = Inbox(f"http://127.0.0.1:{web_port}")
    relay_task = asyncio.create_task(relay.run())
    try:
        await mailcatcher.start(supervisor, workdir / "mail", smtp_port, web_port)
        async with notifications_running(settings), pool.acquire() as connection:
            # Warm-up: topic, consumer group, templates, SMTP connection.
            warm = producer.recipients("warm", 50)
            await producer.commit(connection, warm)
            if len(await inbox.wait_for(set(warm), timeout=60)) < len(warm):
                raise RuntimeError("warm-up emails did not arrive")

            count = round(RATE * duration)
            print(f"latency: {RATE:.0f} events/s for {duration:.0f} s, one per transaction")
            committed: dict[str, float] = {}
            start = time.perf_counter()
            for index, recipient in enumerate(producer.recipients("latency", count)):
                delay = start + index / RATE - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                committed |= await producer.commit(connection, [recipient])
            achieved = count / (time.perf_counter() - start)
            accepted = await inbox.wait_for(set(committed), timeout=60)
            latency = Percentiles.of(accepted[r] - committed[r] for r in accepted)

            print(f"throughput: a backlog of {backlog} events, {BATCH} per transaction")
            first_commit = time.time()
            backlog_committed: dict[str, float] = {}
            for begin in range(0, backlog, BATCH):
                recipients = producer.recipients("backlog", backlog)[begin : begin + BATCH]
                backlog_committed |= await producer.commit(connection, recipients)
            drained = await inbox.wait_for(set(backlog_committed), timeout=300)
            stages = await _stages(connection, "backlog", token)
    finally:
        relay_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay_task
        await pool.close()
        await supervisor.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)

    last = max(drained.values()) if drained else math.nan
    rate = len(drained) / (last - first_commit) if drained else math.nan
    print(f"target {RATE:.0f} events/s, achieved {achieved:.1f} events/s")
    print()
    print("| measure                                   | value                          |")
    print("|:------------------------------------------|:-------------------------------|")
    print(
        f"| event commit -> SMTP accepted, {RATE:.0f}/s       |"
        f" p50 {latency.p50_ms:.0f} ms, p99 {latency.p99_ms:.0f} ms, max {latency.max_ms:.0f} ms |"
    )
    print(f"| emails accepted / events (latency run)    | {latency.count} / {count} |")
    print(f"| emails per second, backlog drained        | {rate:.0f} emails/s |")
    print(f"| emails accepted / events (backlog)        | {len(drained)} / {backlog} |")
    print(
        "| backlog: queued by the consumer           |"
        f" {stages['queued_per_second']:.0f} emails/s |"
    )
    print(
        f"| backlog: sent by the dispatcher           | {stages['sent_per_second']:.0f} emails/s |"
    )
    return {"latency": latency, "emails_per_second": rate, "backlog": backlog, **stages}


async def _stages(connection: asyncpg.Connection, label: str, token: str) -> dict[str, float]:
    """Where the backlog's time went: the rate at which the consumer queued its emails (one
    event per transaction) and the rate at which the dispatcher sent them (one per transaction,
    SMTP included), from notifications' own timestamps."""
    row = await connection.fetchrow(
        "SELECT count(*) AS emails,"
        " extract(epoch FROM max(created_at) - min(created_at)) AS queuing,"
        " extract(epoch FROM max(sent_at) - min(sent_at)) AS sending"
        " FROM notifications.outgoing_emails WHERE recipient LIKE $1",
        f"{label}-{token}-%",
    )
    emails = row["emails"]
    return {
        "queued_per_second": emails / float(row["queuing"]) if row["queuing"] else math.nan,
        "sent_per_second": emails / float(row["sending"]) if row["sending"] else math.nan,
    }


def _free_ports(count: int) -> list[int]:
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
