"""Flow 14 on the running portal, through the gateway: the back office registers a copier in
fleet; its customer sees it in the fleet and asks for an intervention on it (tickets knows the
machine from fleet's events); the summary email gives the number; the vendor's agent
schedules it, after which the customer can no longer cancel it; a request still waiting is
cancelled, confirmed by email; the asset's history in fleet shows the interventions."""

from __future__ import annotations

import uuid
from typing import Any

from tests.e2e.portal import Portal
from tests.support import eventually


async def _copier(portal: Portal, staff: str, organisation_id: str) -> dict[str, Any]:
    """A site, a full-service contract covering interventions, a model, and a copier."""

    async def registered(path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await portal.call("POST", f"/agent/fleet/{path}", token=staff, json=body, expect=201)

    site = await registered(
        "sites",
        {
            "organisation_id": organisation_id,
            "name": "Atelier de Nancy",
            "address": {"line1": "14 rue des Presses", "postal_code": "54000", "city": "Nancy"},
        },
    )
    contract = await registered(
        "contracts",
        {
            "organisation_id": organisation_id,
            "number": f"FS-{uuid.uuid4().hex[:6]}",
            "contract_type": "full_service",
            "starts_on": "2026-01-01",
            "service_level": "J+1",
            "covers_support": True,
            "covers_interventions": True,
        },
    )
    model = await registered(
        "models",
        {
            "code": f"C3226I-{uuid.uuid4().hex[:6]}",
            "name": "imageRUNNER C3226i",
            "manufacturer": "Canon",
            "counters": ["black_and_white", "colour"],
        },
    )
    asset = await registered(
        "assets",
        {
            "organisation_id": organisation_id,
            "model_id": model["model_id"],
            "serial_number": f"SN{uuid.uuid4().hex[:8].upper()}",
            "site_id": site["site_id"],
            "location": "2e étage",
            "contract_id": contract["contract_id"],
        },
    )
    return {**asset["asset"], "contract_number": contract["number"]}


async def test_an_intervention_is_requested_scheduled_and_another_cancelled(
    portal: Portal,
) -> None:
    admin = await portal.vendor_admin()
    organisation = await portal.create_organisation(admin)
    customer = await portal.invite(
        admin,
        organisation["organisation_id"],
        first_name="Claire",
        last_name="Parc",
        modules=("fleet", "tickets"),
    )
    token = await portal.token(customer.user_code, customer.password)
    copier = await _copier(portal, admin, organisation["organisation_id"])

    fleet = await portal.call("GET", "/fleet/assets", token=token, expect=200)
    [listed] = [a for a in fleet["assets"] if a["asset_id"] == copier["asset_id"]]
    assert listed["serial_number"] == copier["serial_number"]

    body = {
        "asset_id": copier["asset_id"],
        "nature": "paper_jam",
        "error_code": "J-1402",
        "details": "Bourrage systématique magasin 2",
        "urgency": "high",
    }

    async def requested() -> dict[str, Any] | None:
        # Tickets learns the copier from fleet's events, a moment after fleet registered it.
        headers = {"Authorization": f"Bearer {token}"}
        async with portal.session.post(
            f"{portal.stack.api_url}/interventions", json=body, headers=headers
        ) as response:
            assert response.status in (201, 404), await response.text()
            return await response.json() if response.status == 201 else None

    first = await eventually(requested, timeout=30)
    assert (first["status"], first["covered"]) == ("waiting_for_validation", True)
    assert first["contract_number"] == copier["contract_number"]
    [summary] = await portal.emails_to(customer.email, subject=f"DIT n° {first['number']}")
    assert "Bourrage papier" in summary["text"]

    queue = await portal.call("GET", "/agent/interventions", token=admin, expect=200)
    assert first["intervention_id"] in [i["intervention_id"] for i in queue["interventions"]]
    path = f"/interventions/{first['intervention_id']}"
    await portal.call(
        "POST",
        f"/agent{path}/schedule",
        token=admin,
        json={"scheduled_for": "2026-12-07T09:30:00+01:00", "technician": "Marc Lefèvre"},
        expect=200,
    )
    refused = await portal.call(
        "POST", f"{path}/cancel", token=token, json={"comment": "Trop tard"}, expect=409
    )
    assert refused["status_now"] == "scheduled"
    [scheduled] = await portal.emails_to(customer.email, subject="planifiée")
    assert "Marc Lefèvre" in scheduled["text"]

    second = await portal.call("POST", "/interventions", token=token, json=body, expect=201)
    cancelled = await portal.call(
        "POST",
        f"/interventions/{second['intervention_id']}/cancel",
        token=token,
        json={"comment": "Réglé en changeant le papier"},
        expect=200,
    )
    assert cancelled["status"] == "cancelled"
    [confirmation] = await portal.emails_to(customer.email, subject="est annulée")
    assert "Réglé en changeant le papier" in confirmation["text"]

    mine = await portal.call(
        "GET", "/interventions", token=token, params={"asset_id": copier["asset_id"]}, expect=200
    )
    assert {i["status"] for i in mine["interventions"]} == {"scheduled", "cancelled"}

    async def in_history() -> list[dict[str, Any]]:
        history = await portal.call(
            "GET", f"/fleet/assets/{copier['asset_id']}/history", token=token, expect=200
        )
        entries = [e for e in history["entries"] if e["source"] == "tickets"]
        return entries if len(entries) >= 4 else []

    kinds = {entry["kind"] for entry in await eventually(in_history, timeout=30)}
    assert kinds == {"InterventionRequested", "InterventionScheduled", "InterventionCancelled"}
