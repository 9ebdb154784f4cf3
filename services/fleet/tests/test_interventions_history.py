"""Fleet and tickets together, on the real broker: an asset the back office registers in fleet
reaches tickets' copy through fleet's events; an intervention requested on it in tickets, its
scheduling, and a ticket opened about it join the asset's history in fleet through tickets'
events."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from services.fleet.tests.conftest import FleetUnderTest
from services.tickets.app import create_app as create_tickets
from services.tickets.settings import TicketsSettings
from services.tickets.tests.conftest import Client
from tests.support import Answer, eventually, serving


async def test_an_intervention_on_an_asset_appears_in_its_history(
    fleet: FleetUnderTest, service_env: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    organisation, code = await fleet.organisation()
    equipped = await fleet.equip(organisation, code)
    settings = TicketsSettings(**service_env(attachments_dir=tmp_path / "attachments"))
    async with serving(create_tickets(settings)) as tickets_url, aiohttp.ClientSession() as s:
        customer = fleet.customer(organisation)
        on_tickets = Client(tickets_url, customer.headers, customer.user_id, organisation, s)
        agent = Client(tickets_url, fleet.staff("vendor_agent").headers, customer.user_id, None, s)
        body = {
            "asset_id": equipped.asset_id,
            "nature": "breakdown",
            "details": "Ne s'allume plus",
            "requester_email": "claire@imprimerie-martin.example",
        }

        async def requested() -> Answer | None:
            # Tickets knows the asset once fleet's events reached it: until then, a 404.
            answer = await on_tickets.call("POST", "/interventions", json=body)
            assert answer.status in (201, 404), answer.body
            return answer if answer.status == 201 else None

        created = (await eventually(requested, timeout=30)).body
        assert (created["serial_number"], created["covered"]) == (equipped.serial_number, True)
        await agent.ok(
            "POST",
            f"/agent/interventions/{created['intervention_id']}/schedule",
            json={"scheduled_for": "2026-12-07T09:00:00+01:00", "technician": "Marc Lefèvre"},
        )

        with_tickets = Client(
            tickets_url,
            fleet.customer(organisation, modules=["tickets"]).headers,
            customer.user_id,
            organisation,
            s,
        )
        ticket = await with_tickets.ok(
            "POST",
            "/tickets",
            201,
            json={
                "title": "Traces sur les copies",
                "description": "Depuis lundi",
                "requester_email": "claire@imprimerie-martin.example",
                "asset_id": equipped.asset_id,
            },
        )
        assert ticket["asset_id"] == equipped.asset_id

        async def in_history() -> list[dict[str, Any]]:
            history = await customer.ok("GET", f"/fleet/assets/{equipped.asset_id}/history")
            entries = [e for e in history["entries"] if e["source"] == "tickets"]
            return entries if len(entries) == 3 else []

        entries = await eventually(in_history, timeout=30)
    by_kind = {entry["kind"]: entry for entry in entries}
    assert set(by_kind) == {"InterventionRequested", "InterventionScheduled", "TicketOpened"}
    requested_entry, scheduled = by_kind["InterventionRequested"], by_kind["InterventionScheduled"]
    assert (
        by_kind["TicketOpened"]["summary"]["number"],
        by_kind["TicketOpened"]["summary"]["title"],
    ) == (ticket["number"], "Traces sur les copies")
    assert requested_entry["summary"]["number"] == created["number"]
    assert requested_entry["summary"]["nature_labels"]["fr"] == "Panne"
    assert scheduled["summary"]["technician"] == "Marc Lefèvre"
