"""What identity tells Prometheus about sign-ins and its signing keys, read from /metrics as
the scraper reads it."""

from __future__ import annotations

import datetime as dt

from prometheus_client.parser import text_string_to_metric_families

from services.identity.signing_keys import SigningKeys
from services.identity.tests.portal import ADMIN_EMAIL, ADMIN_PASSWORD, Portal
from shared.db import create_pool


async def scrape(identity: Portal) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics by (name, sorted labels)."""
    async with identity.session.get(f"{identity.url}/metrics") as response:
        assert response.status == 200
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def sign_ins(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], outcome: str) -> float:
    return samples.get(("guichet_sign_ins_total", (("outcome", outcome),)), 0.0)


async def test_sign_ins_are_counted_by_outcome(portal: Portal) -> None:
    before = await scrape(portal)
    await portal.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
    for _ in range(5):
        wrong = {"login": ADMIN_EMAIL, "password": "Wrong&Guess99"}
        await portal.call("POST", "/auth/sign-in", json=wrong, expect=401)
    right = {"login": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    await portal.call("POST", "/auth/sign-in", json=right, expect=429)
    after = await scrape(portal)

    def counted(outcome: str) -> float:
        return sign_ins(after, outcome) - sign_ins(before, outcome)

    assert counted("succeeded") == 1
    assert counted("refused") == 5
    assert counted("locked_out") == 1
    assert counted("denied") == 0


async def test_signing_key_age_is_that_of_the_key_that_last_signed(
    portal: Portal,
) -> None:
    await portal.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
    samples = await scrape(portal)
    assert samples[("guichet_signing_key_rotation_seconds", ())] == 30 * 86400
    assert 0 <= samples[("guichet_signing_key_age_seconds", ())] < 120

    # A key ten days old that is still the newest: it keeps signing, and says its age.
    pool = await create_pool(portal.database_url, "identity")
    try:
        await pool.execute("UPDATE signing_keys SET created_at = now() - interval '10 days'")
        keys = SigningKeys(pool, portal.sealer, dt.timedelta(days=30))
        await keys.signing_key()
    finally:
        await pool.close()
    age = (await scrape(portal))[("guichet_signing_key_age_seconds", ())]
    assert 10 * 86400 <= age < 10 * 86400 + 120
