"""Exactly one email per (event, recipient) when the notifications process is killed outright
(SIGKILL) in the middle of a burst of events, then started again: no email lost, none queued
twice, and the one email that may have been in the SMTP server's hands at the kill comes again
with the same Message-ID, which receiving systems recognise as the same message."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections import Counter, defaultdict
from pathlib import Path

from conftest import Infrastructure
from devstack import services
from devstack.supervisor import Supervisor
from services.identity import events as identity
from services.notifications.tests.identity_side import IdentityWire, identity_wire
from tests.support import TokenIssuer, eventually, free_port

BURST = 200
BATCH = 10  # events per identity transaction
NOTIFICATIONS = next(s for s in services.SERVICES if s.name == "notifications")


def environment(wire: IdentityWire, token_issuer: TokenIssuer) -> dict[str, str]:
    return {
        f"GUICHET_{name.upper()}": str(value)
        for name, value in wire.notifications_settings(token_issuer, log_level="warning").items()
    }


async def publish_burst(wire: IdentityWire, recipients: list[str]) -> None:
    """Password-reset requests, a transaction of BATCH at a time, as identity would write
    them while people click "forgot password"."""
    for start in range(0, len(recipients), BATCH):
        for email in recipients[start : start + BATCH]:
            user_id = uuid.uuid4()
            _, link = wire.invitation(user_id)
            await wire.publish(
                user_id,
                identity.PasswordResetRequested(
                    user_id=user_id, email=email, language="en", reset=link
                ),
            )
        await asyncio.sleep(0.02)


async def sent_count(wire: IdentityWire) -> int:
    return await wire.pool.fetchval(
        "SELECT count(*) FROM notifications.outgoing_emails WHERE status = 'sent'"
    )


async def test_a_killed_and_restarted_service_sends_each_email_once(
    infrastructure: Infrastructure, token_issuer: TokenIssuer, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    recipients = [f"burst-{run}-{index}@client.example" for index in range(BURST)]
    supervisor = Supervisor(log_dir=tmp_path / "logs", echo=False)
    port = free_port()
    async with identity_wire(infrastructure) as wire:
        env = environment(wire, token_issuer)
        try:
            await services.start(supervisor, NOTIFICATIONS, port, env)
            burst = asyncio.create_task(publish_burst(wire, recipients))
            # Mid-burst: some emails sent, the consumer still busy with the rest.
            await eventually(lambda: _at_least(wire, BURST // 10), interval=0.01)
            await supervisor.stop(NOTIFICATIONS.name, sig=signal.SIGKILL)
            sent_before_kill = await sent_count(wire)
            assert sent_before_kill < BURST, "the kill came after the burst: nothing proven"
            await burst
            await services.start(supervisor, NOTIFICATIONS, port, env)

            async def all_arrived() -> dict[str, list[str]]:
                mine = [
                    mail
                    for mail in await wire.mail.all()
                    if mail["to"][0]["address"].startswith(f"burst-{run}-")
                ]
                by_recipient: dict[str, list[str]] = defaultdict(list)
                for mail in mine:
                    by_recipient[mail["to"][0]["address"]].append(mail["messageId"])
                return by_recipient if len(by_recipient) == BURST else {}

            arrived = await eventually(all_arrived, timeout=120, interval=0.5)
            async with wire.pool.acquire() as connection:
                statuses = Counter(
                    dict(
                        await connection.fetch(
                            "SELECT status, count(*) FROM notifications.outgoing_emails"
                            " GROUP BY status"
                        )
                    )
                )
            arrived = await all_arrived()  # anything resent late is counted too
        finally:
            await supervisor.stop_all()

    # Queued exactly once per event and recipient, and every one sent.
    assert statuses == {"sent": BURST}
    # Each recipient got their email; a second copy, if any, is the very same message.
    assert sorted(arrived) == sorted(recipients)
    assert all(len(set(ids)) == 1 for ids in arrived.values())
    copies = sum(len(ids) for ids in arrived.values())
    # The dispatcher has one email in the server's hands at a time: one kill, one at most.
    assert BURST <= copies <= BURST + 1, copies


async def _at_least(wire: IdentityWire, count: int) -> bool:
    return await sent_count(wire) >= count
