"""The fleet as its users meet it, against real PostgreSQL and the broker: the back office
registers a customer's equipment, the customer finds it, enters meter readings (a lower one
is refused, naming the meter and its last value), sees what is due; the daily reminder names
each asset once per due date."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from services.fleet.events import registry
from services.fleet.handlers.reminders import remind_due_readings
from services.fleet.tests.conftest import FleetUnderTest
from services.identity.domain_types import Branch
from shared.db import create_pool
from shared.eventstore import EventStore
from shared.wakeup import outbox_channel

TODAY = dt.datetime.now(dt.UTC).date()


async def test_the_back_office_registers_equipment_and_the_customer_finds_it(
    fleet: FleetUnderTest,
) -> None:
    organisation, code = await fleet.organisation()
    equipped = await fleet.equip(organisation, code)
    claire = fleet.customer(organisation)

    listed = await claire.ok("GET", "/fleet/assets")
    [row] = listed["assets"]
    assert (row["serial_number"], row["model_name"], row["site_name"], row["location"]) == (
        equipped.serial_number,
        "imageRUNNER C3226i",
        "Atelier de Nancy",
        "2e étage",
    )
    assert row["contract_number"].startswith("CT-")
    assert row["next_reading_due_on"] == (TODAY - dt.timedelta(days=10)).isoformat()
    for query in (
        {"site_id": equipped.site_id},
        {"model_id": equipped.model_id},
        {"contract_id": equipped.contract_id},
        {"status": "in_service"},
        {"q": equipped.serial_number[-5:].lower()},
        {"q": "nancy"},
    ):
        assert [
            a["asset_id"] for a in (await claire.ok("GET", "/fleet/assets", params=query))["assets"]
        ] == [equipped.asset_id], query
    for query in ({"status": "withdrawn"}, {"q": "Lyon"}, {"site_id": str(uuid.uuid4())}):
        assert (await claire.ok("GET", "/fleet/assets", params=query))["assets"] == [], query

    page = await claire.ok("GET", f"/fleet/assets/{equipped.asset_id}")
    assert page["counters"] == [
        {"counter": "black_and_white", "last_value": None},
        {"counter": "colour", "last_value": None},
    ]
    assert page["contract"]["covers_interventions"] is True
    assert page["contract"]["in_force"] is True
    assert page["consumables"] == 2
    consumables = await claire.ok("GET", f"/fleet/assets/{equipped.asset_id}/consumables")
    assert [c["reference"] for c in consumables["consumables"]] == ["TON-C", "TON-K"]
    history = await claire.ok("GET", f"/fleet/assets/{equipped.asset_id}/history")
    assert [entry["kind"] for entry in history["entries"]] == ["AssetRegistered"]
    [site] = (await claire.ok("GET", "/fleet/sites"))["sites"]
    assert (site["name"], site["assets"]) == ("Atelier de Nancy", 1)
    [contract] = (await claire.ok("GET", "/fleet/contracts"))["contracts"]
    assert (contract["service_level"], contract["assets"]) == ("J+1", 1)


async def test_the_fleet_list_pages_by_serial_number_without_gaps_or_repeats(
    fleet: FleetUnderTest,
) -> None:
    organisation, code = await fleet.organisation()
    equipped = await fleet.equip(organisation, code)
    office = fleet.staff()
    for number in range(4):
        await office.ok(
            "POST",
            "/agent/fleet/assets",
            201,
            json={
                "organisation_id": str(organisation),
                "model_id": equipped.model_id,
                "serial_number": f"A{number}",
                "site_id": equipped.site_id,
            },
        )
    claire = fleet.customer(organisation)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = await claire.ok("GET", "/fleet/assets", params=params)
        seen += [asset["serial_number"] for asset in page["assets"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["A0", "A1", "A2", "A3", equipped.serial_number]
    refused = await claire.call("GET", "/fleet/assets", params={"cursor": "not-ours"})
    assert refused.status == 422
    assert refused.body["errors"][0]["field"] == "cursor"


async def test_a_reading_lower_than_the_last_is_refused_naming_the_meter_and_its_last_value(
    fleet: FleetUnderTest,
) -> None:
    organisation, code = await fleet.organisation()
    equipped = await fleet.equip(organisation, code)
    claire = fleet.customer(organisation)
    due = await claire.ok("GET", "/meter-readings/due")
    assert [(d["asset_id"], d["overdue"]) for d in due["readings"]] == [(equipped.asset_id, True)]

    first = await claire.ok(
        "POST",
        "/meter-readings",
        201,
        json={
            "asset_id": equipped.asset_id,
            "counters": {"black_and_white": 120345, "colour": 40210},
        },
    )
    assert first["read_on"] == TODAY.isoformat()
    assert first["recorded_by"] == str(claire.user_id)

    lower = await claire.call(
        "POST",
        "/meter-readings",
        json={
            "asset_id": equipped.asset_id,
            "counters": {"black_and_white": 120400, "colour": 40000},
        },
    )
    assert lower.status == 422, lower.body
    assert lower.headers["Content-Type"].startswith("application/problem+json")
    assert lower.body["type"].endswith("/meter-reading-lower-than-last")
    assert lower.body["errors"] == [
        {
            "field": "counters.colour",
            "message": "At least 40210, the last accepted value.",
            "code": "lower_than_last",
            "last_value": 40210,
        }
    ]
    assert "colour 40000 is lower than the last accepted reading" in lower.body["detail"]

    for body, field in (
        ({"counters": {"black_and_white": 120400}}, "counters"),
        ({"counters": {"black_and_white": 1, "colour": 1, "scans": 1}}, "counters"),
        ({"counters": {"black_and_white": 1, "colour": -1}}, "counters.colour"),
        (
            {
                "counters": {"black_and_white": 130000, "colour": 41000},
                "read_on": (TODAY + dt.timedelta(days=1)).isoformat(),
            },
            "read_on",
        ),
    ):
        refused = await claire.call(
            "POST", "/meter-readings", json={"asset_id": equipped.asset_id, **body}
        )
        assert refused.status == 422, (body, refused.body)
        assert refused.body["errors"][0]["field"] == field, refused.body

    second = await claire.ok(
        "POST",
        "/meter-readings",
        201,
        json={
            "asset_id": equipped.asset_id,
            "counters": {"black_and_white": 121000, "colour": 40210},
        },
    )
    assert second["usage"] == {"black_and_white": 655, "colour": 0}
    readings = await claire.ok("GET", f"/fleet/assets/{equipped.asset_id}/readings")
    assert [r["reading_id"] for r in readings["readings"]] == [
        second["reading_id"],
        first["reading_id"],
    ]
    page = await claire.ok("GET", f"/fleet/assets/{equipped.asset_id}")
    assert [c["last_value"] for c in page["counters"]] == [121000, 40210]
    assert page["asset"]["next_reading_due_on"] == (TODAY + dt.timedelta(days=30)).isoformat()
    assert (await claire.ok("GET", "/meter-readings/due"))["readings"] == []
    history = await claire.ok("GET", f"/fleet/assets/{equipped.asset_id}/history")
    assert [e["kind"] for e in history["entries"]] == [
        "MeterReadingRecorded",
        "MeterReadingRecorded",
        "AssetRegistered",
    ]
    # Nothing of the refused readings was kept.
    assert len(await fleet.sql("SELECT * FROM meter_readings")) == 2
    without_module = fleet.customer(organisation, modules=["fleet"])
    assert (await without_module.call("GET", "/meter-readings/due")).status == 403


async def test_the_daily_reminder_names_each_asset_once_per_due_date(fleet: FleetUnderTest) -> None:
    organisation, code = await fleet.organisation()
    equipped = await fleet.equip(organisation, code)
    store = EventStore(registry, outbox_channel("fleet"))
    pool = await create_pool(fleet.database_url, "fleet", min_size=1, max_size=2)
    try:
        assert await remind_due_readings(pool, store, today=TODAY, notice_days=7) == 1
        assert await remind_due_readings(pool, store, today=TODAY, notice_days=7) == 0
        assert (
            await remind_due_readings(
                pool, store, today=TODAY + dt.timedelta(days=1), notice_days=7
            )
            == 0
        )
        [event] = await fleet.sql(
            "SELECT data, organisation_id FROM events WHERE type = $1",
            "guichet.fleet.MeterReadingsDue",
        )
        assert event["organisation_id"] == organisation
        [due] = json.loads(event["data"])["assets"]
        assert (due["asset_id"], due["due_on"]) == (
            equipped.asset_id,
            (TODAY - dt.timedelta(days=10)).isoformat(),
        )
        await fleet.customer(organisation).ok(
            "POST",
            "/meter-readings",
            201,
            json={"asset_id": equipped.asset_id, "counters": {"black_and_white": 1, "colour": 1}},
        )
        # The next due date is 30 days on: reminded 7 days before it, once.
        assert (
            await remind_due_readings(
                pool, store, today=TODAY + dt.timedelta(days=22), notice_days=7
            )
            == 0
        )
        assert (
            await remind_due_readings(
                pool, store, today=TODAY + dt.timedelta(days=23), notice_days=7
            )
            == 1
        )
        assert (
            await remind_due_readings(
                pool, store, today=TODAY + dt.timedelta(days=23), notice_days=7
            )
            == 0
        )
    finally:
        await pool.close()


async def test_an_asset_moves_changes_contract_and_is_withdrawn_each_step_in_its_history(
    fleet: FleetUnderTest,
) -> None:
    organisation, code = await fleet.organisation()
    equipped = await fleet.equip(organisation, code)
    office = fleet.staff()
    annex = await office.ok(
        "POST",
        "/agent/fleet/sites",
        201,
        json={
            "organisation_id": str(organisation),
            "name": "Annexe de Metz",
            "address": {"line1": "1 rue Serpenoise", "city": "Metz"},
        },
    )
    placement = f"/agent/fleet/assets/{equipped.asset_id}/placement"
    moved = {"site_id": annex["site_id"], "location": "RDC", "contract_id": None}
    page = await office.ok("PUT", placement, json=moved)
    assert (page["asset"]["site_name"], page["contract"]) == ("Annexe de Metz", None)
    assert await office.ok("PUT", placement, json=moved) == page  # the same again: no change
    await office.ok("PUT", placement, json={**moved, "status": "withdrawn", "reason": "repris"})
    refused = await office.call("PUT", placement, json={**moved, "location": "1er"})
    assert refused.status == 409, refused.body

    claire = fleet.customer(organisation)
    assert (await claire.ok("GET", "/fleet/assets"))["assets"] == []
    listed = await claire.ok("GET", "/fleet/assets", params={"status": "withdrawn"})
    assert [asset["status"] for asset in listed["assets"]] == ["withdrawn"]
    kinds, cursor = [], None
    while True:
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        page = await claire.ok("GET", f"/fleet/assets/{equipped.asset_id}/history", params=params)
        kinds += [entry["kind"] for entry in page["entries"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert kinds == ["AssetStatusChanged", "ContractDetached", "AssetRelocated", "AssetRegistered"]


async def test_a_user_limited_to_a_branch_sees_the_equipment_of_its_sites_only(
    fleet: FleetUnderTest,
) -> None:
    nancy, metz = (
        Branch(branch_id=uuid.uuid4(), name="Nancy"),
        Branch(branch_id=uuid.uuid4(), name="Metz"),
    )
    organisation, code = await fleet.organisation(branches=(nancy, metz))
    equipped = await fleet.equip(organisation, code)
    office = fleet.staff()
    address = {"line1": "14 rue des Presses", "city": "Nancy"}
    body = {"name": "Atelier de Nancy", "address": address}
    refused = await office.call(
        "PUT",
        f"/agent/fleet/sites/{equipped.site_id}",
        json={**body, "branch_id": str(uuid.uuid4())},
    )
    assert (refused.status, refused.body["errors"][0]["field"]) == (422, "branch_id")
    site = await office.ok(
        "PUT",
        f"/agent/fleet/sites/{equipped.site_id}",
        json={**body, "branch_id": str(nancy.branch_id)},
    )
    assert site["branch_id"] == str(nancy.branch_id)
    metz_site = await office.ok(
        "POST",
        "/agent/fleet/sites",
        201,
        json={
            "organisation_id": str(organisation),
            "name": "Agence de Metz",
            "address": {"line1": "1 rue Serpenoise", "city": "Metz"},
            "branch_id": str(metz.branch_id),
        },
    )
    metz_asset = await office.ok(
        "POST",
        "/agent/fleet/assets",
        201,
        json={
            "organisation_id": str(organisation),
            "model_id": equipped.model_id,
            "serial_number": "METZ-1",
            "site_id": metz_site["site_id"],
            "installed_on": (TODAY - dt.timedelta(days=40)).isoformat(),
            "contract_id": equipped.contract_id,
        },
    )
    in_metz = fleet.customer(organisation, branch=metz.branch_id)
    everywhere = fleet.customer(organisation)
    listed = await in_metz.ok("GET", "/fleet/assets")
    assert [a["serial_number"] for a in listed["assets"]] == ["METZ-1"]
    assert len((await everywhere.ok("GET", "/fleet/assets"))["assets"]) == 2
    assert [s["name"] for s in (await in_metz.ok("GET", "/fleet/sites"))["sites"]] == [
        "Agence de Metz"
    ]
    due = await in_metz.ok("GET", "/meter-readings/due")
    assert [d["serial_number"] for d in due["readings"]] == ["METZ-1"]
    nancy_asset = f"/fleet/assets/{equipped.asset_id}"
    for path in (nancy_asset, f"{nancy_asset}/history", f"{nancy_asset}/readings"):
        assert (await in_metz.call("GET", path)).status == 404, path
    reading = {"asset_id": equipped.asset_id, "counters": {"black_and_white": 1, "colour": 1}}
    assert (await in_metz.call("POST", "/meter-readings", json=reading)).status == 404
    await in_metz.ok(
        "POST",
        "/meter-readings",
        201,
        json={**reading, "asset_id": metz_asset["asset"]["asset_id"]},
    )
