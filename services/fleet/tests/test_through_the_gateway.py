"""The fleet as the portal and the ERP call it: every request through the gateway, with its
route rules (module `fleet` for the fleet, `meter_readings` for entering readings, vendor
staff for the back office, the `fleet:import` scope for the ERP)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.fleet.tests.conftest import FleetUnderTest
from services.fleet.tests.test_erp_import import batch
from services.gateway.app import create_app as create_gateway
from services.gateway.settings import GatewaySettings
from tests.support import serving


async def test_the_erp_imports_and_the_customer_reads_meters_through_the_gateway(
    fleet: FleetUnderTest, service_env: Callable[..., dict[str, Any]]
) -> None:
    settings = GatewaySettings(**service_env(upstreams={"identity": fleet.url, "fleet": fleet.url}))
    organisation, code = await fleet.organisation()
    async with serving(create_gateway(settings)) as gateway:
        erp = fleet.erp()
        claire = fleet.customer(organisation)
        fleet_only = fleet.customer(organisation, modules=["fleet"])
        office = fleet.staff()
        for client in (erp, claire, fleet_only, office):
            client.base_url = f"{gateway}/api"

        report = await erp.ok("POST", "/import/fleet", json=batch(code))
        assert report["created"] == 4
        # The ERP's token opens nothing but the import.
        assert (await erp.call("GET", "/agent/fleet/assets")).status == 403

        [asset] = (await claire.ok("GET", "/fleet/assets"))["assets"]
        reading = {
            "asset_id": asset["asset_id"],
            "counters": {"black_and_white": 10, "colour": 5, "scans": 2},
        }
        assert (await fleet_only.call("POST", "/meter-readings", json=reading)).status == 403
        await claire.ok("POST", "/meter-readings", 201, json=reading)
        lower = await claire.call(
            "POST",
            "/meter-readings",
            json={**reading, "counters": {"black_and_white": 9, "colour": 5, "scans": 2}},
        )
        assert (lower.status, lower.body["errors"][0]["field"]) == (422, "counters.black_and_white")
        readings = await fleet_only.ok("GET", f"/fleet/assets/{asset['asset_id']}/readings")
        assert len(readings["readings"]) == 1
        assert (await claire.call("GET", "/agent/fleet/assets")).status == 403
        page = await office.ok("GET", f"/agent/fleet/assets/{asset['asset_id']}")
        assert page["counters"][0] == {"counter": "black_and_white", "last_value": 10}
