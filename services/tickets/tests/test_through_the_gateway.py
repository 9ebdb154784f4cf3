"""The support flows as the portal calls them: every request through the gateway, with its
route rules (module for customers, vendor staff for the agents' side)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import openpyxl

from services.gateway.app import create_app as create_gateway
from services.gateway.settings import GatewaySettings
from services.tickets.tests.conftest import TicketsUnderTest
from services.tickets.tests.fleet_side import register_machine, terms
from tests.support import serving

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


async def test_open_converse_attach_suspend_resume_resolve_close_and_export_through_the_gateway(
    tickets: TicketsUnderTest, service_env: Callable[..., dict[str, Any]]
) -> None:
    settings = GatewaySettings(
        **service_env(upstreams={"identity": tickets.url, "tickets": tickets.url})
    )
    async with serving(create_gateway(settings)) as gateway:
        customer = tickets.customer(uuid.uuid4())
        agent = tickets.agent()
        without_module = tickets.customer(customer.organisation_id, modules=["invoices"])
        for client in (customer, agent, without_module):
            client.base_url = f"{gateway}/api"

        assert (await without_module.call("GET", "/tickets")).status == 403
        form = aiohttp.FormData(quote_fields=False)
        form.add_field("file", PDF, filename="facture.pdf", content_type="application/pdf")
        upload = await customer.ok("POST", "/tickets/uploads", 201, data=form)
        ticket = await customer.open(
            title="Facture illisible", attachment_ids=[upload["attachment_id"]]
        )
        path, agent_path = (
            f"/tickets/{ticket['ticket_id']}",
            f"/agent/tickets/{ticket['ticket_id']}",
        )

        queue = await agent.ok("GET", "/agent/tickets", params={"q": "facture"})
        assert [t["ticket_id"] for t in queue["tickets"]] == [ticket["ticket_id"]]
        for status in ("open", "in_progress"):
            await agent.ok("POST", f"{agent_path}/status", json={"status": status})
        await agent.ok("POST", f"{agent_path}/notes", json={"body": "à vérifier en compta"})
        await agent.ok("POST", f"{agent_path}/messages", json={"body": "Laquelle ?"})
        await agent.ok(
            "POST",
            f"{agent_path}/status",
            json={"status": "waiting_for_customer", "reason": "Le numéro de facture"},
        )
        listed = await customer.ok("GET", "/tickets")
        assert listed["tickets"][0]["unread_messages"] == 1
        page = await customer.ok("GET", path)
        assert [m["body"] for m in page["conversation"]] == ["Laquelle ?"]
        assert "internal_notes" not in page
        # The service's link is relative to its own root, as the portal's API paths are.
        download = await customer.call("GET", page["ticket"]["attachments"][0]["download_url"])
        assert download.status == 200
        assert download.raw == PDF
        assert download.headers["X-Content-Type-Options"] == "nosniff"

        await customer.ok("POST", f"{path}/resume", json={"body": "F-2026-001"})
        await agent.ok("POST", f"{agent_path}/status", json={"status": "resolved"})
        closed = await customer.ok("POST", f"{path}/close")
        assert closed["status"] == "closed"

        export = await customer.call("GET", "/tickets/export.xlsx", params={"status": "closed"})
        assert export.status == 200
        rows = list(
            openpyxl.load_workbook(io.BytesIO(export.raw)).active.iter_rows(values_only=True)
        )
        assert [row[1] for row in rows[1:]] == ["Facture illisible"]
        assert (await customer.call("GET", agent_path)).status == 403


async def test_an_intervention_requested_followed_and_cancelled_through_the_gateway(
    tickets: TicketsUnderTest, service_env: Callable[..., dict[str, Any]]
) -> None:
    settings = GatewaySettings(
        **service_env(upstreams={"identity": tickets.url, "tickets": tickets.url})
    )
    async with serving(create_gateway(settings)) as gateway:
        organisation = uuid.uuid4()
        machine = await register_machine(tickets, organisation, terms())
        customer = tickets.customer(organisation, modules=["fleet"])
        tickets_only = tickets.customer(organisation)
        agent = tickets.agent()
        for client in (customer, tickets_only, agent):
            client.base_url = f"{gateway}/api"

        body = {"asset_id": str(machine.asset_id), "nature": "breakdown", "details": "HS"}
        refused = await tickets_only.call("POST", "/interventions", json=body)
        assert refused.status == 403  # the gateway's module rule: fleet, not tickets
        form = aiohttp.FormData()
        form.add_field("file", PDF, filename="rapport.pdf", content_type="application/pdf")
        upload = await customer.ok("POST", "/interventions/uploads", 201, data=form)
        created = await customer.ok(
            "POST",
            "/interventions",
            201,
            json={
                **body,
                "requester_email": "c@client.example",
                "attachment_ids": [upload["attachment_id"]],
            },
        )
        download = await customer.call("GET", created["attachments"][0]["download_url"])
        assert (download.status, download.raw) == (200, PDF)
        queue = await agent.ok("GET", "/agent/interventions")
        assert created["intervention_id"] in [i["intervention_id"] for i in queue["interventions"]]
        assert (await customer.call("GET", "/agent/interventions")).status == 403
        path = f"/interventions/{created['intervention_id']}"
        cancelled = await customer.ok("POST", f"{path}/cancel", json={"comment": "Réparé"})
        assert cancelled["status"] == "cancelled"
        listed = await customer.ok(
            "GET", "/interventions", params={"asset_id": str(machine.asset_id)}
        )
        assert [i["status"] for i in listed["interventions"]] == ["cancelled"]
