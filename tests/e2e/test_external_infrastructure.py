"""The same commands on infrastructure the user already runs: GUICHET_* settings win."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid

import aiohttp
import asyncpg
import pytest

from conftest import Infrastructure
from tests.e2e.portal import ROOT, Stack

pytestmark = pytest.mark.e2e


async def test_start_uses_the_given_database_broker_and_smtp_server(
    infrastructure: Infrastructure, database_url: str, stack: Stack
) -> None:
    await stack.start(
        GUICHET_DATABASE_URL=database_url,
        GUICHET_KAFKA_BOOTSTRAP=infrastructure.kafka_bootstrap,
        GUICHET_SMTP_URL=infrastructure.smtp_url,
        GUICHET_KAFKA_NAMESPACE=f"t{uuid.uuid4().hex[:10]}",
    )
    started = {line.split("|")[0].strip() for line in stack.output if "|" in line}
    assert {"gateway", "identity", "tickets", "notifications"} <= started
    assert not started & {"postgres", "broker", "mail"}  # none of its own

    # The demo organisation went into the given database, its invitation to the given
    # SMTP server.
    connection = await asyncpg.connect(database_url)
    try:
        count = await connection.fetchval("SELECT count(*) FROM identity.organisations")
        assert count == 1
    finally:
        await connection.close()
    [invitation] = await infrastructure.mail.wait_for("claire.martin@imprimerie-martin.example")
    assert "password/set?token=" in invitation["text"]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{stack.api_url}/branding") as response,
    ):
        assert response.status == 200
    assert await stack.stop() == 0


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
