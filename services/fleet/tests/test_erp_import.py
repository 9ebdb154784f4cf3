"""The ERP's bulk import: idempotent by the ERP's references, all or nothing, open to the
ERP's client-credentials tokens with the `fleet:import` scope and to the back office."""

from __future__ import annotations

import copy
from typing import Any

from services.fleet.tests.conftest import FleetUnderTest


def batch(code: str) -> dict[str, Any]:
    return {
        "models": [
            {
                "code": "MPC3004",
                "name": "Ricoh MP C3004",
                "manufacturer": "Ricoh",
                "counters": ["black_and_white", "colour", "scans"],
                "consumables": [
                    {
                        "reference": "842311",
                        "description": "Toner noir",
                        "max_quantity_per_order": 3,
                    },
                    {
                        "reference": "842312",
                        "description": "Toner cyan",
                        "max_quantity_per_order": 2,
                    },
                ],
            }
        ],
        "sites": [
            {
                "erp_reference": "SITE-0042",
                "organisation_code": code,
                "name": "Siège",
                "address": {"line1": "3 place Stanislas", "postal_code": "54000", "city": "Nancy"},
            }
        ],
        "contracts": [
            {
                "erp_reference": "CTR-0099",
                "organisation_code": code,
                "number": "CP-2026-0099",
                "contract_type": "full_service",
                "starts_on": "2026-02-01",
                "ends_on": "2029-01-31",
                "covers_interventions": True,
                "reading_every_days": 90,
            }
        ],
        "assets": [
            {
                "erp_reference": "EQ-7781",
                "organisation_code": code,
                "model_code": "MPC3004",
                "serial_number": "E205J700123",
                "site_reference": "SITE-0042",
                "location": "Accueil",
                "installed_on": "2026-02-15",
                "contract_reference": "CTR-0099",
            }
        ],
    }


async def _events(fleet: FleetUnderTest) -> int:
    [row] = await fleet.sql("SELECT count(*) AS n FROM events")
    return row["n"]


async def test_the_same_batch_twice_changes_nothing_the_second_time(fleet: FleetUnderTest) -> None:
    organisation, code = await fleet.organisation()
    refused = {
        "an internal system without the scope": fleet.erp(scope="invoices:import"),
        "a customer admin": fleet.customer(organisation, role="customer_admin"),
        "a vendor agent": fleet.staff("vendor_agent"),
    }
    for who, client in refused.items():
        answer = await client.call("POST", "/import/fleet", json=batch(code))
        assert answer.status == 403, (who, answer.body)
    assert await _events(fleet) == 0
    erp = fleet.erp()
    first = await erp.ok("POST", "/import/fleet", json=batch(code))
    assert (first["created"], first["updated"], first["unchanged"]) == (4, 0, 0)
    events = await _events(fleet)
    # The back office sending the same (an export uploaded by hand) changes nothing either.
    again = await fleet.staff().ok("POST", "/import/fleet", json=batch(code))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)
    assert [item["id"] for item in again["items"]] == [item["id"] for item in first["items"]]
    assert await _events(fleet) == events

    claire = fleet.customer(organisation)
    [asset] = (await claire.ok("GET", "/fleet/assets"))["assets"]
    assert (asset["serial_number"], asset["site_name"], asset["contract_number"]) == (
        "E205J700123",
        "Siège",
        "CP-2026-0099",
    )

    moved = copy.deepcopy(batch(code))
    moved["assets"][0]["location"] = "Salle de réunion"
    moved["models"][0]["consumables"].pop()
    moved["contracts"][0]["ended_on"] = "2026-06-30"
    report = await erp.ok("POST", "/import/fleet", json=moved)
    assert [(item["kind"], item["outcome"]) for item in report["items"]] == [
        ("model", "updated"),
        ("site", "unchanged"),
        ("contract", "updated"),
        ("asset", "updated"),
    ]
    history = await claire.ok("GET", f"/fleet/assets/{asset['asset_id']}/history")
    assert [entry["kind"] for entry in history["entries"]] == [
        "AssetRelocated",
        "ContractEnded",
        "AssetRegistered",
    ]
    assert [
        c["reference"]
        for c in (await claire.ok("GET", f"/fleet/assets/{asset['asset_id']}/consumables"))[
            "consumables"
        ]
    ] == ["842311"]
    [contract] = (await claire.ok("GET", "/fleet/contracts"))["contracts"]
    assert (contract["ended_on"], contract["in_force"]) == ("2026-06-30", False)
    types = [row["type"] for row in await fleet.sql("SELECT type FROM events ORDER BY position")]
    assert types[-3:] == [
        "guichet.fleet.ConsumableReferenceWithdrawn",
        "guichet.fleet.ContractEnded",
        "guichet.fleet.AssetRelocated",
    ]


async def test_a_batch_with_refused_items_names_them_all_and_applies_nothing(
    fleet: FleetUnderTest,
) -> None:
    _organisation, code = await fleet.organisation()
    wrong = batch(code)
    wrong["assets"][0]["site_reference"] = "SITE-UNKNOWN"
    wrong["contracts"][0]["organisation_code"] = "NOPE"
    answer = await fleet.erp().call("POST", "/import/fleet", json=wrong)
    assert answer.status == 422, answer.body
    assert {error["field"] for error in answer.body["errors"]} == {
        "contracts.0.organisation_code",
        "assets.0.site_reference",
    }
    assert await _events(fleet) == 0
    assert await fleet.sql("SELECT * FROM sites") == []
