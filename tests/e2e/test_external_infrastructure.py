"""The same commands on infrastructure the user already runs: GUICHET_* settings win."""

from __future__ import annotations

import asyncio
import os
import subprocess

import aiohttp
import asyncpg
import pytest
from confluent_kafka.admin import AdminClient

from conftest import Infrastructure
from devstack import demo
from devstack.services import SERVICES
from tests.e2e.portal import ROOT, Stack

pytestmark = pytest.mark.e2e


async def test_start_uses_the_given_database_broker_and_smtp_server(
    running_portal: Stack, infrastructure: Infrastructure
) -> None:
    """The session's portal was started with GUICHET_DATABASE_URL, GUICHET_KAFKA_BOOTSTRAP,
    GUICHET_SMTP_URL and GUICHET_KAFKA_NAMESPACE pointing at the tests' own servers."""
    given = running_portal.given
    assert given is not None
    started = {line.split("|")[0].strip() for line in running_portal.output if "|" in line}
    assert {service.name for service in SERVICES} <= started
    assert not started & {"postgres", "broker", "mail"}  # none of its own

    # The demo organisation went into the given database, its invitation to the given SMTP
    # server, its events to the given broker under the given namespace.
    connection = await asyncpg.connect(given.database_url)
    try:
        count = await connection.fetchval(
            "SELECT count(*) FROM identity.organisations WHERE code = $1",
            demo.ORGANISATION["code"],
        )
        assert count == 1
    finally:
        await connection.close()
    invitations = [
        mail
        for mail in await infrastructure.mail.to("claire.martin@imprimerie-martin.example")
        if f"{running_portal.url}/password/set?token=" in mail["text"]
    ]
    assert len(invitations) == 1
    topics = await asyncio.to_thread(_topics, given.kafka_bootstrap)
    assert {f"{given.kafka_namespace}.identity", f"{given.kafka_namespace}.tickets"} <= topics
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{running_portal.api_url}/branding") as response,
    ):
        assert response.status == 200


def _topics(bootstrap: str) -> set[str]:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    return set(admin.list_topics(timeout=10).topics)


async def test_migrate_applies_every_service_schema_to_the_given_database(
    database_url: str,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUICHET_")}
    result = await asyncio.to_thread(
        subprocess.run,
        [str(ROOT / "guichet"), "migrate"],
        env={**env, "GUICHET_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    connection = await asyncpg.connect(database_url)
    try:
        schemas = {
            row["nspname"] for row in await connection.fetch("SELECT nspname FROM pg_namespace")
        }
        assert {"tickets", "notifications"} <= schemas
        assert await connection.fetchval("SELECT to_regclass('tickets.events')") is not None
    finally:
        await connection.close()
