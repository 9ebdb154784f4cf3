"""Sends queued webhook deliveries: signed, a few at a time, each attempt recorded; failures
retried with exponential backoff; an endpoint failing too many times in a row is disabled and
the admin who registered it emailed, in the same transaction."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from urllib.parse import urljoin

import aiohttp
import asyncpg
import structlog

from services.notifications.mailer import Mailer
from services.notifications.webhooks.addresses import PublicOnlyResolver
from services.notifications.webhooks.endpoints import WEBHOOK_CHANNEL
from services.notifications.webhooks.signing import SIGNATURE_HEADER, signature
from shared.cloudevents import CONTENT_TYPE
from shared.sealing import Sealer
from shared.wakeup import Wakeup

log = structlog.get_logger(__name__)
MAX_BACKOFF = timedelta(hours=6)
WORKERS = 4  # deliveries in flight at once: one slow endpoint does not hold up the others

_NEXT_DUE = """
SELECT d.delivery_id, d.endpoint_id, d.event_id, d.event_type, d.body, d.attempts,
       e.url, e.sealed_secret, e.organisation_id, e.created_by
FROM webhook_deliveries d JOIN webhook_endpoints e USING (endpoint_id)
WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND e.status = 'active'
ORDER BY d.next_attempt_at
LIMIT 1
FOR UPDATE OF d SKIP LOCKED
"""


class WebhookDispatcher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        mailer: Mailer,
        *,
        timeout: float,
        max_attempts: int,
        disable_after: int,
        first_backoff: float,
        allow_insecure: bool,
        poll_interval: float = 2.0,
    ) -> None:
        self.pool = pool
        self.mailer = mailer
        self.sealer = Sealer(mailer.settings.sealing_key)
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.disable_after = disable_after
        self.first_backoff = first_backoff
        self.allow_insecure = allow_insecure
        self.poll_interval = poll_interval

    def backoff(self, attempts: int) -> timedelta:
        return min(timedelta(seconds=self.first_backoff * 2 ** (attempts - 1)), MAX_BACKOFF)

    async def run(self) -> None:
        connector = aiohttp.TCPConnector(
            # The public-address guard re-checks every name at connection time (SSRF).
            resolver=None if self.allow_insecure else PublicOnlyResolver(),
            limit=WORKERS * 2,
        )
        async with aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=self.timeout)
        ) as session:
            wakeup = Wakeup(WEBHOOK_CHANNEL, self.poll_interval)
            while True:
                try:
                    async with self.pool.acquire() as listener:
                        await wakeup.listen(listener)
                        try:
                            while True:
                                sent = await asyncio.gather(
                                    *(self.deliver_due(session) for _ in range(WORKERS))
                                )
                                if not any(sent):
                                    await wakeup.wait()
                        finally:
                            await wakeup.unlisten(listener)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("webhook dispatcher stopped; restarting")
                    await asyncio.sleep(self.poll_interval)

    async def deliver_due(self, session: aiohttp.ClientSession) -> int:
        """Attempt every due delivery, one transaction each; the number attempted."""
        attempted = 0
        while True:
            async with self.pool.acquire() as connection, connection.transaction():
                row = await connection.fetchrow(_NEXT_DUE)
                if row is None:
                    return attempted
                await self._attempt(connection, session, row)
                attempted += 1

    async def _attempt(
        self, connection: asyncpg.Connection, session: aiohttp.ClientSession, row: asyncpg.Record
    ) -> None:
        attempt = row["attempts"] + 1
        secret = self.sealer.unseal(row["sealed_secret"], subject=str(row["endpoint_id"]))
        body: bytes = row["body"]
        headers = {
            "Content-Type": CONTENT_TYPE,
            "User-Agent": "Guichet-Webhooks/1",
            SIGNATURE_HEADER: signature(secret, int(time.time()), body),
            "Guichet-Event-Id": str(row["event_id"]),
            "Guichet-Event-Type": row["event_type"],
            "Guichet-Delivery-Id": str(row["delivery_id"]),
            "Guichet-Delivery-Attempt": str(attempt),
        }
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            async with session.post(
                row["url"], data=body, headers=headers, allow_redirects=False
            ) as response:
                status = response.status
            if not 200 <= status < 300:
                error = f"the endpoint answered HTTP {status}"
        except (aiohttp.ClientError, TimeoutError, OSError) as failure:
            error = (
                f"{type(failure).__name__}: {failure}"[:300]
                if str(failure)
                else (type(failure).__name__)
            )
        duration_ms = round((time.monotonic() - started) * 1000)
        await connection.execute(
            "INSERT INTO webhook_attempts (delivery_id, attempt, response_status, error,"
            " duration_ms) VALUES ($1, $2, $3, $4, $5)",
            row["delivery_id"],
            attempt,
            status,
            error,
            duration_ms,
        )
        if error is None:
            await connection.execute(
                "UPDATE webhook_deliveries SET status = 'delivered', attempts = $2,"
                " delivered_at = now() WHERE delivery_id = $1",
                row["delivery_id"],
                attempt,
            )
            await connection.execute(
                "UPDATE webhook_endpoints SET consecutive_failures = 0 WHERE endpoint_id = $1",
                row["endpoint_id"],
            )
            log.info(
                "webhook delivered",
                delivery_id=str(row["delivery_id"]),
                endpoint_id=str(row["endpoint_id"]),
                attempt=attempt,
            )
            return
        await connection.execute(
            "UPDATE webhook_deliveries SET attempts = $2,"
            " status = CASE WHEN $3 THEN 'failed' ELSE 'pending' END,"
            " next_attempt_at = now() + $4::interval WHERE delivery_id = $1",
            row["delivery_id"],
            attempt,
            attempt >= self.max_attempts,
            self.backoff(attempt),
        )
        failures = await connection.fetchval(
            "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1"
            " WHERE endpoint_id = $1 RETURNING consecutive_failures",
            row["endpoint_id"],
        )
        log.warning(
            "webhook not delivered",
            delivery_id=str(row["delivery_id"]),
            endpoint_id=str(row["endpoint_id"]),
            attempt=attempt,
            response_status=status,
            consecutive_failures=failures,
        )
        if failures >= self.disable_after:
            await self._disable(connection, row, failures, error)

    async def _disable(
        self, connection: asyncpg.Connection, row: asyncpg.Record, failures: int, error: str
    ) -> None:
        disabled = await connection.fetchval(
            "UPDATE webhook_endpoints SET status = 'disabled', disabled_at = now()"
            " WHERE endpoint_id = $1 AND status = 'active' RETURNING true",
            row["endpoint_id"],
        )
        if not disabled:
            return
        log.warning(
            "webhook endpoint disabled",
            endpoint_id=str(row["endpoint_id"]),
            organisation_id=str(row["organisation_id"]),
            consecutive_failures=failures,
        )
        # This disabling is the fact the email is for: its own id keeps it to one email.
        await self.mailer.send_to_user(
            connection,
            event_id=str(uuid.uuid4()),
            user_id=row["created_by"],
            template="webhook_disabled",
            values={
                "endpoint_url": row["url"],
                "failures": failures,
                "last_error": error,
                "webhooks_url": urljoin(self.mailer.portal_url, "organisation/webhooks"),
            },
            organisation_id=row["organisation_id"],
        )
