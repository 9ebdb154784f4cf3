"""The running portal for end-to-end tests: one `./guichet start` shared by every flow test
(each makes its own organisation), and a stack of one test's own for tests that stop it."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from conftest import Infrastructure
from devstack import broker, postgres
from tests.e2e.portal import Given, Portal, Stack, free_port_base, start_on_free_ports

VENDOR_NAME = "Bureautique Lorraine"
PERSONAL_DATA_INTRO = "Bureautique Lorraine traite vos données pour gérer votre espace client."
DPO_EMAIL = "dpo@bureautique-lorraine.example"
LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">'
    b'<text x="4" y="28">Bureautique Lorraine</text></svg>'
)
PASSWORD_MAX_AGE_DAYS = 365


def shared_settings(root: Path) -> dict[str, str]:
    """What the shared portal runs with. Every flow test signs in many times from this one
    address, and the fuzz test sends thousands of requests, some with wrong passwords, under
    one token for minutes: the per-address limits and lockout, and the access token's life,
    are raised so that one test cannot lock out the others. The limits themselves are proven
    by the gateway's and identity's own tests, at their real defaults. The vendor's name,
    logo, texts and a password expiry are set so tests can see them come through."""
    logo = root / "logo.svg"
    logo.write_bytes(LOGO)
    plenty = "100000"
    return {
        "GUICHET_SIGN_IN_PER_MINUTE_PER_IP": plenty,
        "GUICHET_SIGN_IN_BURST_PER_IP": plenty,
        "GUICHET_RATE_PER_IP": plenty,
        "GUICHET_BURST_PER_IP": plenty,
        "GUICHET_RATE_PER_SUBJECT": plenty,
        "GUICHET_BURST_PER_SUBJECT": plenty,
        "GUICHET_SIGN_IN_IP_MAX_FAILURES": plenty,
        "GUICHET_ACCESS_TOKEN_MINUTES": "30",
        "GUICHET_VENDOR_NAME": VENDOR_NAME,
        "GUICHET_VENDOR_LOGO_PATH": str(logo),
        "GUICHET_PERSONAL_DATA_INTRO": PERSONAL_DATA_INTRO,
        "GUICHET_DPO_EMAIL": DPO_EMAIL,
        "GUICHET_PASSWORD_POLICY": json.dumps({"max_age_days": PASSWORD_MAX_AGE_DAYS}),
        # As `./guichet start` sets it on its own broker; the tests' broker is Tansu too.
        "GUICHET_KAFKA_SESSION_TIMEOUT_MS": broker.SESSION_TIMEOUT_MS,
    }


@pytest.fixture(scope="session")
async def running_portal(
    tmp_path_factory: pytest.TempPathFactory, infrastructure: Infrastructure
) -> AsyncIterator[Stack]:
    """`./guichet start` once for the session, with the demo data, on the tests' PostgreSQL,
    broker and mail catcher, as a user would start it on infrastructure they already run
    (its own database and topic namespace): test_external_infrastructure checks it used them,
    and test_local_stack starts a stack of its own servers."""
    root = tmp_path_factory.mktemp("portal")
    database = "e2e_portal"
    await postgres.ensure_database(infrastructure.database_url("postgres"), database)
    given = Given(
        database_url=infrastructure.database_url(database),
        kafka_bootstrap=infrastructure.kafka_bootstrap,
        kafka_namespace=f"e2e{uuid.uuid4().hex[:10]}",
        smtp_url=infrastructure.smtp_url,
        mail=infrastructure.mail,
    )
    stack = await start_on_free_ports(root, given, **shared_settings(root))
    try:
        yield stack
        assert await stack.stop() == 0
    finally:
        await stack.kill()


@pytest.fixture
async def portal(running_portal: Stack) -> AsyncIterator[Portal]:
    async with aiohttp.ClientSession() as session:
        yield Portal(running_portal, session)


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    """A stack of the test's own, not started: for tests that stop and start it."""
    stack = Stack(tmp_path / "data", free_port_base())
    yield stack
    await stack.kill()
