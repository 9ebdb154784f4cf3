"""Flow 15's email, end to end inside one process: a meter reading a customer enters in
fleet becomes one confirmation email from notifications, in the customer's language, through
real PostgreSQL, the broker and the SMTP catcher; the daily reminder reaches the same person.
Readings staff enter for the customer are confirmed to nobody."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from conftest import Infrastructure
from services.fleet.events import registry
from services.fleet.handlers.reminders import remind_due_readings
from services.fleet.tests import conftest as fleet_side
from services.fleet.tests.conftest import FleetUnderTest
from services.identity import events as identity
from services.notifications.app import create_app as create_notifications
from services.notifications.settings import NotificationsSettings
from shared.db import create_pool
from shared.eventstore import EventStore
from shared.kafka import service_topic
from shared.sealing import new_sealing_key
from shared.wakeup import outbox_channel
from tests.support import publish, serving

TODAY = dt.datetime.now(dt.UTC).date()
# The fleet service under test, as fleet's own tests run it (fixtures `fleet`, `fleet_settings`).
fleet_service, fleet_settings = fleet_side.fleet, fleet_side.fleet_settings


async def grant(fleet: FleetUnderTest, organisation: uuid.UUID, email: str) -> uuid.UUID:
    """Identity's word that Claire has portal access (notifications learns her address and
    language from it; fleet needs nothing of her)."""
    user_id = uuid.uuid4()
    event = identity.PortalAccessGranted(
        user_id=user_id,
        organisation_id=organisation,
        contact_id=uuid.uuid4(),
        user_code="IMP001001",
        email=email,
        first_name="Claire",
        last_name="Martin",
        language="fr",
        role="customer_admin",
        modules=frozenset({"fleet", "meter_readings"}),
        granted_by=uuid.uuid4(),
    )
    topic = service_topic(fleet.namespace, "identity")
    await publish(
        fleet.kafka_bootstrap,
        topic,
        event,
        source="identity",
        organisation=organisation,
        subject=str(user_id),
    )
    return user_id


async def test_a_customers_reading_is_confirmed_by_email_and_due_readings_are_reminded(
    fleet_service: FleetUnderTest,
    infrastructure: Infrastructure,
    service_env: Callable[..., dict[str, Any]],
) -> None:
    fleet = fleet_service
    settings = NotificationsSettings(**service_env(sealing_key=new_sealing_key()))
    email = f"claire-{uuid.uuid4().hex[:8]}@imprimerie-martin.example"
    async with serving(create_notifications(settings)):
        organisation, code = await fleet.organisation()
        equipped = await fleet.equip(organisation, code)
        claire = fleet.customer(organisation, user=await grant(fleet, organisation, email))
        asset = equipped.asset_id
        await claire.ok(
            "POST",
            "/meter-readings",
            201,
            json={"asset_id": asset, "counters": {"black_and_white": 120345, "colour": 40210}},
        )
        await fleet.staff().ok(
            "POST",
            f"/agent/fleet/assets/{asset}/readings",
            201,
            json={"counters": {"black_and_white": 120400, "colour": 40300}},
        )
        await claire.ok(
            "POST",
            "/meter-readings",
            201,
            json={"asset_id": asset, "counters": {"black_and_white": 121000, "colour": 40300}},
        )
        # Her access's own email (identity's), and one per reading she entered.
        mails = await infrastructure.mail.wait_for(email, count=3)
        first, second = sorted(
            (m for m in mails if m["subject"].startswith("Relevé de compteurs enregistré")),
            key=lambda mail: "120 345" not in mail["text"],
        )

        pool = await create_pool(fleet.database_url, "fleet", min_size=1, max_size=1)
        try:
            store = EventStore(registry, outbox_channel("fleet"))
            later = TODAY + dt.timedelta(days=25)
            assert await remind_due_readings(pool, store, today=later, notice_days=7) == 1
        finally:
            await pool.close()
        mails = await infrastructure.mail.wait_for(email, count=4)
        [reminder] = [m for m in mails if m["subject"].startswith("Relevé de compteurs attendu")]

    for mail in (first, second):
        assert mail["subject"] == (
            f"Relevé de compteurs enregistré : imageRUNNER C3226i n° {equipped.serial_number}"
        )
        assert "Bonjour Claire," in mail["text"]
    lines = first["text"].splitlines()
    assert [line for line in lines if line.startswith("- ")] == [
        "- Noir & blanc : 120 345",
        "- Couleur : 40 210",
    ], first["text"]
    # Usage since the reading before it, whoever entered that one (here, the back office).
    assert "- Noir & blanc : 121 000 (600 depuis le relevé précédent)" in second["text"]
    assert f"http://portal.test/fleet/assets/{asset}" in second["text"]
    assert "<strong>121 000</strong>" in second["html"]
    assert reminder["subject"] == (
        f"Relevé de compteurs attendu : imageRUNNER C3226i n° {equipped.serial_number}"
    )
    due = (TODAY + dt.timedelta(days=30)).day
    assert (
        f"Atelier de Nancy (2e étage) : pour le {'1er' if due == 1 else due} " in reminder["text"]
    )
    assert "http://portal.test/meter-readings" in reminder["text"]
